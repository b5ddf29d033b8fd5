import Foundation
import Logging
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What a finished command left behind.
public struct CommandResult: Sendable, Equatable {
    public var command: Command
    /// Exit code, or 128 + signal number when the command was killed by a signal.
    public var status: Int32
    /// Standard output and standard error, interleaved as the command wrote them.
    public var output: String

    public init(command: Command, status: Int32, output: String) {
        self.command = command
        self.status = status
        self.output = output
    }

    /// The last `count` non-empty lines of the output.
    public func tail(_ count: Int = 20) -> [String] {
        Array(output.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).map(String.init))
    }
}

/// The one layer that spawns short-lived commands (make, gcc, apt-get, dpkg-deb).
///
/// Each command runs in its own session so that a teardown reaches everything it started;
/// when the calling task is cancelled (timeout, SIGINT) the command gets SIGTERM, then
/// SIGKILL after `grace`.
public struct CommandRunner: Sendable {
    public var logger: Logger
    /// Most output kept from one command; anything above is an error.
    public var outputLimit: Int
    public var grace: Duration

    public init(logger: Logger = Logger(label: "zcbench.command"), outputLimit: Int = 64 << 20,
                grace: Duration = .seconds(3)) {
        self.logger = logger
        self.outputLimit = outputLimit
        self.grace = grace
    }

    /// Runs `command` to completion and returns its status and output, whatever the status.
    public func run(_ command: Command) async throws -> CommandResult {
        logger.debug("running \(command)")
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: grace)]
        let executable: Executable = command.executable.hasPrefix("/")
            ? .path(FilePath(command.executable)) : .name(command.executable)
        let environment: Subprocess.Environment = command.environment.isEmpty
            ? .inherit
            : .inherit.updating(Dictionary(uniqueKeysWithValues: command.environment.map {
                (Subprocess.Environment.Key(stringLiteral: $0.key), Optional($0.value))
            }))
        do {
            // Cancelled before the spawn: a teardown would find no process yet, and the
            // command would run its course (seen on a loaded host).
            try Task.checkCancellation()
            let result = try await Subprocess.run(
                executable,
                arguments: Arguments(command.arguments),
                environment: environment,
                workingDirectory: command.workingDirectory.map { FilePath($0) },
                platformOptions: options,
                output: .string(limit: outputLimit),
                error: .combinedWithOutput
            )
            if Task.isCancelled {
                throw ZCError(.interrupted, "interrupted while running \(command.executable)")
            }
            let status: Int32 = switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
            return CommandResult(command: command, status: status, output: result.standardOutput)
        } catch let error as ZCError {
            throw error
        } catch is CancellationError {
            throw ZCError(.interrupted, "interrupted while running \(command.executable)")
        } catch let error as SubprocessError {
            if Task.isCancelled {
                throw ZCError(.interrupted, "interrupted while running \(command.executable)")
            }
            throw ZCError(.missingDependency, "could not run `\(command)`: \(error)",
                          cause: error)
        }
    }

    /// Runs `command` and throws a ``ZCError`` naming it, its status and the tail of its
    /// output when it exits non-zero.
    @discardableResult
    public func checked(_ command: Command, code: ZCError.Code = .commandFailed,
                        what: String? = nil) async throws -> CommandResult {
        let result = try await run(command)
        guard result.status == 0 else {
            let summary = what.map { "\($0): " } ?? ""
            throw ZCError(code, "\(summary)`\(command)` exited with status \(result.status)",
                          details: result.tail())
        }
        return result
    }
}

/// Looks `name` up in PATH the way a shell does; nil when it is not there.
public func findExecutable(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
    if name.contains("/") {
        return FileManager.default.isExecutableFile(atPath: name) ? name : nil
    }
    for directory in (path ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
