import Foundation
import Testing
import ZCAnalysis
@testable import ZCRun
import ZCAnalysis
import ZCReport
import ZCFuzz
import ZCBenchmark
import ZCBisect
import ZCCommandLine
import ZCBisect
import ZCCore

/// A throwaway git history of the zcbench sources (kernel/, vm/, expectations/), in which
/// one commit introduces a real accounting bug and another breaks the module's build.
struct BuggyHistory {
    let root: URL
    let runner = CommandRunner()
    /// import, bug, broken build, build fixed, comment.
    private(set) var commits: [String] = []

    var imported: String { commits[0] }
    var bug: String { commits[1] }
    var broken: String { commits[2] }
    var head: String { commits[4] }

    init(in scratch: URL, from repository: URL) async throws {
        root = scratch.appendingPathComponent("history")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let files = try await Self.run(runner, Command("git", ["-C", repository.path, "ls-files", "-co", "--exclude-standard",
                                                              "kernel", "vm", "expectations"]))
        for file in files.split(separator: "\n").map(String.init) {
            let to = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: repository.appendingPathComponent(file), to: to)
        }
        try await git(["init", "-q"])
        try await git(["config", "user.email", "test@example.org"])
        try await git(["config", "user.name", "zcbench test"])
        try await commit("zcpool: import")
        // The bug: pool-free's kmem charge leaves with the last unmap, like v1's, although a
        // pipe may still pin the pages (the review's vmsplice abuse case).
        try edit("kernel/memcg.c", "return d->charge == ZCPOOL_CHARGE_RAW ||",
                 "return d->charge == ZCPOOL_CHARGE_RAW || d->charge == ZCPOOL_CHARGE_KMEM ||")
        try await commit("zcpool: drop kmem charges at the last unmap too")
        try edit("kernel/main.c", "MODULE_LICENSE(", "this does not compile;\nMODULE_LICENSE(")
        try await commit("zcpool: work in progress")
        try edit("kernel/main.c", "this does not compile;\n", "")
        try await commit("zcpool: fix the build")
        try edit("kernel/stats.c", "#include", "/* stats */\n#include")
        try await commit("zcpool: comment")
    }

    static func run(_ runner: CommandRunner, _ command: Command) async throws -> String {
        let result = try await runner.run(command)
        guard result.status == 0 else { throw ZCError(.commandFailed, "\(command) failed", details: result.tail()) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    func git(_ arguments: [String]) async throws -> String {
        try await Self.run(runner, Command("git", ["-C", root.path] + arguments))
    }

    func edit(_ file: String, _ old: String, _ new: String) throws {
        let url = root.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let range = text.range(of: old) else { throw ZCError(.io, "\(file) has no '\(old)'") }
        try Data(text.replacingCharacters(in: range, with: new).utf8).write(to: url)
    }

    mutating func commit(_ message: String) async throws {
        try await git(["add", "-A"])
        try await git(["commit", "-q", "-m", message])
        commits.append(try await git(["rev-parse", "HEAD"]))
    }
}

extension VM {
    @Suite("bisect on 6.1")
    struct BisectVMTests {
        func bisect(_ fixture: VMFixture, _ setup: BisectSetup) async throws -> BisectReport {
            let log = try BisectLog.create(fixture.scratch.appendingPathComponent("bisect/bisect.jsonl"), setup: setup)
            return try await Bisector(pipeline: fixture.pipeline, log: log, expectations: try expectations(fixture),
                                      options: BootOptions()).run()
        }

        func expectations(_ fixture: VMFixture) throws -> ExpectationSet {
            try fixture.pipeline.expectations(nil)
        }

        func figure(_ report: BisectReport, _ candidate: String?) throws -> Int64 {
            try #require(report.step(candidate)?.representative?.figure?.value)
        }

        @Test("variants: ordered by double charge, the first to charge a batch twice is pool-free, after batch")
        func doubleCharge() async throws {
            let fixture = try VMFixture("bisect-double-charge")
            let list = ["unaccounted", "v2", "steal", "batch", "pool-free", "v1"]
            let report = try await bisect(fixture, BisectSetup(mode: .variants, property: "double-charge", variants: list,
                                                                good: "unaccounted", bad: "v1", series: "6.1", repeats: 1, sizeMiB: 32))
            defer { fixture.finish(passed: report.conclusion.culprit == "pool-free") }
            #expect(report.goodState == .holds && report.badState == .violated)
            #expect(report.conclusion.culprit == "pool-free")
            #expect(report.conclusion.lastGood == "batch")
            #expect(report.conclusion.confidence == 1)
            // The numbers on both sides: a whole 64-page unit charged twice against the
            // 32-page batch bound the expectations file sets.
            #expect(try figure(report, "pool-free") > 32)
            #expect(try figure(report, "batch") <= 32)
            #expect(report.steps.count <= 2 + 3, "endpoints plus at most log2(4) + 1 steps")
            #expect(report.steps.allSatisfy { $0.runs.count == 1 && $0.state != .unmeasured })
        }

        @Test("variants: in the review's order, vmsplice-pin starts to hold at pool-free, after v2")
        func vmsplicePin() async throws {
            let fixture = try VMFixture("bisect-vmsplice")
            let report = try await bisect(fixture, BisectSetup(mode: .variants, property: "vmsplice-pin", variants: fixture.designs.map(\.name),
                                                                good: "unaccounted", bad: "steal", series: "6.1", repeats: 1, sizeMiB: 32))
            defer { fixture.finish(passed: report.conclusion.culprit == "pool-free") }
            #expect(report.goodState == .violated && report.badState == .holds)
            #expect(report.conclusion.culprit == "pool-free")
            #expect(report.conclusion.lastGood == "v2")
            // v2 lets nearly all 32 MiB escape while pinned; pool-free keeps them charged.
            #expect(try figure(report, "v2") > 16 << 20)
            #expect(try figure(report, "pool-free") < 1 << 20)
        }

        @Test("git: the commit that lets pinned pages escape is found, the one that does not build is skipped, the checkout is untouched; --replay boots nothing")
        func git() async throws {
            let fixture = try VMFixture("bisect-git")
            let history = try await BuggyHistory(in: fixture.scratch, from: fixture.pipeline.paths.repository)
            let setup = BisectSetup(mode: .git, property: "vmsplice-pin", good: history.imported, bad: history.head,
                                    variant: "pool-free", repository: history.root.path, path: "kernel", series: "6.1",
                                    repeats: 1, sizeMiB: 32)
            let report = try await bisect(fixture, setup)
            let passed = report.conclusion.culprit == history.bug
            defer { fixture.finish(passed: passed) }
            #expect(report.conclusion.culprit == history.bug)
            #expect(report.conclusion.lastGood == history.imported)
            #expect(report.culpritLine?.hasSuffix("zcpool: drop kmem charges at the last unmap too") == true)
            #expect(report.diffStat?.contains("kernel/memcg.c | 2 +-") == true)
            #expect(!report.noOp)
            let skipped = report.steps.filter { $0.verdict(good: report.goodState) == .skip }
            #expect(skipped.map(\.candidate) == [history.broken], "git bisect picks the middle commit, which does not build")
            #expect(skipped.first?.representative?.measured.hasPrefix("does not build: main.c:") == true)
            #expect(try figure(report, history.bug) > 16 << 20)
            #expect(try figure(report, history.imported) < 1 << 20)
            // The user's checkout: same HEAD, no bisection in progress, no worktree left.
            #expect(try await history.git(["rev-parse", "HEAD"]) == history.head)
            #expect(try await history.git(["worktree", "list"]).split(separator: "\n").count == 1)
            #expect(try await history.runner.run(Command("git", ["-C", history.root.path, "bisect", "log"])).status != 0)

            // Replay: every step is in the log, so nothing boots and the answer is the same.
            let logURL = URL(fileURLWithPath: report.log)
            let lines = try String(contentsOf: logURL, encoding: .utf8).split(separator: "\n").count
            let replayed = try await Bisector(pipeline: fixture.pipeline, log: try BisectLog.open(logURL),
                                              expectations: try expectations(fixture), options: BootOptions()).run()
            #expect(replayed.conclusion == report.conclusion)
            #expect(try String(contentsOf: logURL, encoding: .utf8).split(separator: "\n").count == lines)
        }

        @Test("check --property P --exit-code is a git bisect run command: 0 good, 1 bad, 125 for a commit that does not build")
        func gitBisectRun() async throws {
            let fixture = try VMFixture("bisect-run")
            let history = try await BuggyHistory(in: fixture.scratch, from: fixture.pipeline.paths.repository)
            try await history.git(["bisect", "start", history.head, history.imported, "--", "kernel"])
            let run = Command("git", ["-C", history.root.path, "bisect", "run", VM.CLITests.binary, "check",
                                      "--property", "vmsplice-pin", "--variants", "pool-free", "--exit-code"],
                              environment: ["ZCBENCH_OUT": fixture.scratch.appendingPathComponent("out").path])
            let result = try await history.runner.run(run)
            let log = try await history.git(["bisect", "log"])
            try await history.git(["bisect", "reset"])
            let passed = result.status == 0 && result.output.contains("\(history.bug) is the first bad commit")
            defer { fixture.finish(passed: passed) }
            #expect(result.status == 0, "\(result.tail(40).joined(separator: "\n"))")
            #expect(result.output.contains("\(history.bug) is the first bad commit"), "\(log)")
            #expect(log.contains("git bisect skip \(history.broken)"), "\(log)")
            #expect(!log.contains("git bisect bad \(history.broken)"))

            // The good side, which git bisect run did not need to visit: exit 0.
            try await history.git(["checkout", "-q", history.imported])
            var good = Command(VM.CLITests.binary, ["check", "--property", "vmsplice-pin", "--variants", "pool-free", "--exit-code"],
                               environment: ["ZCBENCH_OUT": fixture.scratch.appendingPathComponent("out").path])
            good.workingDirectory = history.root.path
            let goodResult = try await history.runner.run(good)
            #expect(goodResult.status == 0, "\(goodResult.tail(20).joined(separator: "\n"))")
        }
    }
}
