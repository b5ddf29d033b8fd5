import Foundation

/// Where zcbench keeps things on the host.
public struct Paths: Sendable, Equatable {
    /// `$XDG_CACHE_HOME/zcbench`, default `~/.cache/zcbench`: downloaded kernels.
    public var cache: URL
    /// The zcbench checkout (kernel/ and vm/ sources).
    public var repository: URL
    /// Build products and run scratch directories, `<repository>/out` unless overridden.
    public var output: URL
    /// One directory per boot (console.log, results.ktap), `<output>/runs` unless overridden.
    public var runs: URL

    public init(cache: URL, repository: URL, output: URL, runs: URL? = nil) {
        self.cache = cache
        self.repository = repository
        self.output = output
        self.runs = runs ?? output.appendingPathComponent("runs")
    }

    /// Paths from the environment: `XDG_CACHE_HOME`, `HOME`, `ZCBENCH_REPO` (else the
    /// nearest directory above the working directory holding kernel/ and vm/),
    /// `ZCBENCH_OUT` (else `<repository>/out`).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       workingDirectory: String = FileManager.default.currentDirectoryPath) throws -> Paths {
        let cacheBase: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            cacheBase = URL(fileURLWithPath: xdg)
        } else {
            cacheBase = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache")
        }
        let repository: URL
        if let repo = environment["ZCBENCH_REPO"] {
            repository = URL(fileURLWithPath: repo)
        } else if let found = findRepository(from: URL(fileURLWithPath: workingDirectory)) {
            repository = found
        } else {
            throw ZCError(.usage, "run zcbench inside its checkout (no kernel/ and vm/ above \(workingDirectory)), or set ZCBENCH_REPO")
        }
        let output = environment["ZCBENCH_OUT"].map { URL(fileURLWithPath: $0) }
            ?? repository.appendingPathComponent("out")
        return Paths(cache: cacheBase.appendingPathComponent("zcbench"), repository: repository, output: output)
    }

    static func findRepository(from start: URL) -> URL? {
        var directory = start.standardizedFileURL
        while true {
            let fm = FileManager.default
            if fm.fileExists(atPath: directory.appendingPathComponent("kernel/Kbuild").path),
               fm.fileExists(atPath: directory.appendingPathComponent("vm/Makefile").path) {
                return directory
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }
}
