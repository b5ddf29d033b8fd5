import Foundation
import ZCCore

/// A git repository, read and bisected only through the `git` command.
public struct GitRepository: Sendable {
    public var root: URL
    var runner: CommandRunner

    /// The repository holding `path`; a clear usage error when there is none.
    public static func open(_ path: URL, runner: CommandRunner) async throws -> GitRepository {
        guard FileManager.default.fileExists(atPath: path.path) else {
            throw ZCError(.usage, "\(path.path) does not exist")
        }
        let result = try await runner.run(Command("git", ["-C", path.path, "rev-parse", "--show-toplevel"]))
        guard result.status == 0, let top = result.output.split(separator: "\n").last else {
            throw ZCError(.usage, "\(path.path) is not a git repository (git bisect needs one; pass --repository DIR)")
        }
        return GitRepository(root: URL(fileURLWithPath: String(top)), runner: runner)
    }

    /// `git <arguments>` in `directory` (default: the repository), its output on success
    /// without trailing white space.
    @discardableResult
    func git(_ arguments: [String], in directory: URL? = nil) async throws -> String {
        let command = Command("git", ["-C", (directory ?? root).path] + arguments)
        let result = try await runner.run(command)
        guard result.status == 0 else {
            throw ZCError(.commandFailed, "`\(command)` exited with status \(result.status)", details: result.tail(10))
        }
        var output = Substring(result.output)
        while output.last?.isWhitespace == true { output.removeLast() }
        return String(output)
    }

    /// The full id of the commit `revision` names.
    public func resolve(_ revision: String) async throws -> String {
        let result = try await runner.run(Command("git", ["-C", root.path, "rev-parse", "--verify", "--quiet",
                                                          "\(revision)^{commit}"]))
        let id = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, id.count == 40 else {
            throw ZCError(.usage, "'\(revision)' names no commit in \(root.path)")
        }
        return id
    }

    /// Is `ancestor` an ancestor of `descendant` (or the same commit)?
    public func isAncestor(_ ancestor: String, of descendant: String) async throws -> Bool {
        let result = try await runner.run(Command("git", ["-C", root.path, "merge-base", "--is-ancestor", ancestor, descendant]))
        switch result.status {
        case 0: return true
        case 1: return false
        default: throw ZCError(.commandFailed, "git merge-base --is-ancestor failed", details: result.tail(5))
        }
    }

    /// Tracked files with uncommitted changes in the checkout.
    public func uncommittedChanges() async throws -> [String] {
        try await git(["status", "--porcelain", "--untracked-files=no"])
            .split(separator: "\n").map { String($0) }
    }

    /// Does `path` exist in `commit`?
    public func contains(_ path: String, at commit: String) async throws -> Bool {
        try await runner.run(Command("git", ["-C", root.path, "cat-file", "-e", "\(commit):\(path)"])).status == 0
    }

    /// A detached worktree of `commit` at `directory`.
    public func addWorktree(_ directory: URL, commit: String, checkout: Bool = true) async throws {
        await removeWorktree(directory)
        try await git(["worktree", "add", "--detach", "--quiet"] + (checkout ? [] : ["--no-checkout"])
                      + [directory.path, commit])
    }

    /// Removes the worktree at `directory`, if any; never fails.
    public func removeWorktree(_ directory: URL) async {
        _ = try? await git(["worktree", "remove", "--force", directory.path])
        try? FileManager.default.removeItem(at: directory)
        _ = try? await git(["worktree", "prune"])
    }

    /// `git diff --stat` from `from` to `to`, limited to `path`.
    public func diffStat(from: String, to: String, path: String) async throws -> String {
        try await git(["diff", "--stat", from, to, "--", path])
    }

    /// `<abbreviated id> <subject>` of `commit`.
    public func oneLine(_ commit: String) async throws -> String {
        try await git(["log", "-1", "--format=%h %s", commit])
    }

    /// Commits between `ancestor` and `descendant` (0 when equal).
    public func distance(from ancestor: String, to descendant: String) async throws -> Int {
        Int(try await git(["rev-list", "--count", "\(ancestor)..\(descendant)"])) ?? 0
    }
}

/// `git bisect` driven from a worktree of its own, so the user's checkout, and any bisection
/// the user runs there, stay untouched: bisect state is per worktree. `--no-checkout` keeps
/// git from checking anything out; zcbench builds each revision in a worktree of its own.
public struct GitBisection: Sendable {
    public var repository: GitRepository
    public var good: String
    public var bad: String
    public var path: String
    /// The driver worktree git bisects in.
    public var driver: URL

    public init(repository: GitRepository, good: String, bad: String, path: String, driver: URL) {
        self.repository = repository
        self.good = good
        self.bad = bad
        self.path = path
        self.driver = driver
    }

    /// Tests the endpoints, then lets git pick each revision; `evaluate` tests one commit.
    public func run(_ evaluate: (String) async throws -> Step) async throws -> (steps: [Step], conclusion: BisectConclusion) {
        let goodStep = try await evaluate(good)
        let badStep = try await evaluate(bad)
        try OrderedBisection.confirm(good: goodStep, bad: badStep)
        var steps = [goodStep, badStep]
        try await repository.addWorktree(driver, commit: bad, checkout: false)
        var outcome = try await bisect(["start", "--no-checkout", bad, good, "--", path])
        while case .next = outcome {
            let next = try await repository.git(["rev-parse", "BISECT_HEAD"], in: driver)
            let step = try await evaluate(next)
            steps.append(step)
            outcome = try await bisect([step.verdict(good: goodStep.state).rawValue])
        }
        _ = try? await repository.git(["bisect", "reset"], in: driver)
        await repository.removeWorktree(driver)
        let confidence = steps.map(\.confidence).reduce(1, *)
        let goods = steps.filter { $0.verdict(good: goodStep.state) == .good }.map(\.candidate)
        switch outcome {
        case .culprit(let culprit):
            return (steps, BisectConclusion(culprit: culprit, lastGood: try await nearest(goods, below: culprit),
                                            possibleCulprits: [], confidence: confidence))
        case .onlySkipped(let candidates):
            return (steps, BisectConclusion(culprit: nil, lastGood: try await nearest(goods, below: candidates.first ?? bad),
                                            possibleCulprits: candidates, confidence: confidence))
        case .next:
            preconditionFailure("the loop above runs until git names a result")
        }
    }

    /// `git bisect <arguments>` in the driver worktree. git exits 2 when only skipped
    /// commits are left; that is an outcome, not a failure.
    func bisect(_ arguments: [String]) async throws -> Outcome {
        let command = Command("git", ["-C", driver.path, "bisect"] + arguments)
        let result = try await repository.runner.run(command)
        let outcome = Self.parse(result.output)
        guard result.status == 0 || outcome != .next else {
            throw ZCError(.commandFailed, "`\(command)` exited with status \(result.status)", details: result.tail(10))
        }
        return outcome
    }

    /// Of the good `commits` that are ancestors of `commit`, the closest one.
    func nearest(_ commits: [String], below commit: String) async throws -> String? {
        var best: (commit: String, distance: Int)?
        for candidate in commits where try await repository.isAncestor(candidate, of: commit) {
            let distance = try await repository.distance(from: candidate, to: commit)
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.commit
    }

    enum Outcome: Equatable {
        case next
        case culprit(String)
        case onlySkipped([String])
    }

    /// What a `git bisect start|good|bad|skip` printed means.
    static func parse(_ output: String) -> Outcome {
        let ids = output.split(whereSeparator: { !$0.isHexDigit }).map(String.init).filter { $0.count == 40 }
        if output.contains("is the first bad commit"), let line = output.split(separator: "\n").first(where: {
            $0.contains("is the first bad commit")
        }), let id = line.split(separator: " ").first {
            return .culprit(String(id))
        }
        if output.contains("only 'skip'ped commits left to test") {
            return .onlySkipped(ids)
        }
        return .next
    }
}
