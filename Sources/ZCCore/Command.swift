import Foundation

/// An external command as a plain value: what to run and with which arguments.
///
/// Builders elsewhere (kbuild, apt-get, QEMU) return `Command`s so tests can check the
/// argument list without running anything; ``CommandRunner`` is the one place that spawns.
public struct Command: Sendable, Equatable, CustomStringConvertible {
    /// A program name looked up in PATH, or an absolute path.
    public var executable: String
    public var arguments: [String]
    /// Variables set on top of the inherited environment.
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
                workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The command as a user could paste it into a shell.
    public var description: String {
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(shellQuote($0.value))" }
        return (env + [executable] + arguments.map(shellQuote)).joined(separator: " ")
    }

    /// The same command run as root through sudo, unless `asRoot` is already true.
    public func elevated(alreadyRoot: Bool) -> Command {
        if alreadyRoot { return self }
        var command = self
        command.executable = "sudo"
        command.arguments = (environment.isEmpty ? [] : environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            + [executable] + arguments
        command.environment = [:]
        return command
    }
}

/// Quotes `word` for a POSIX shell when it contains anything but safe characters.
public func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
