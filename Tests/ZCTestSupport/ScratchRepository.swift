import Foundation
import ZCCore

/// A throwaway git repository: each commit writes `kernel/state` (what a step "measures")
/// and `kernel/Kbuild`.
public struct ScratchRepository {
    public let root: URL
    public let runner = CommandRunner()

    public init(_ name: String) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("zcbench-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("kernel"), withIntermediateDirectories: true)
        try await git(["init", "-q"])
        try await git(["config", "user.email", "test@example.org"])
        try await git(["config", "user.name", "zcbench test"])
    }

    @discardableResult
    public func git(_ arguments: [String]) async throws -> String {
        let result = try await runner.run(Command("git", ["-C", root.path] + arguments))
        guard result.status == 0 else { throw ZCError(.commandFailed, "git \(arguments) failed", details: result.tail()) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Commits `state` as kernel/state; returns the commit id.
    public func commit(_ state: String, file: String = "kernel/state") async throws -> String {
        try Data((state + "\n").utf8).write(to: root.appendingPathComponent(file))
        try await git(["add", "-A"])
        try await git(["commit", "-q", "-m", "state \(state)"])
        return try await git(["rev-parse", "HEAD"])
    }

    public func remove() { try? FileManager.default.removeItem(at: root) }
}
