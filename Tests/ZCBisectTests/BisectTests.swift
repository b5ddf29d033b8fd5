import Foundation
import Logging
import Testing
import ZCTestSupport
import ZCAnalysis
import ZCRun
@testable import ZCBisect
import ZCCore

/// Runs of a step with the given states.
func runs(_ candidate: String, _ states: [PropertyState]) -> [StepRun] {
    states.enumerated().map { StepRun(candidate: candidate, attempt: $0.offset + 1, state: $0.element, measured: "\($0.element)") }
}

@Suite("bisect: steps, search, log")
struct BisectTests {
    @Test("a step needs two thirds of its runs", arguments: [
        ([PropertyState.holds], PropertyState.holds, 1.0),
        ([.violated, .violated], .violated, 1.0),
        ([.holds, .violated], .unmeasured, 0.0),
        ([.holds, .violated, .holds], .holds, 2.0 / 3),
        ([.holds, .unmeasured, .unmeasured], .unmeasured, 2.0 / 3),
        ([.holds, .holds, .violated, .violated, .holds], .unmeasured, 0.0),
        ([.unmeasured], .unmeasured, 1.0),
    ])
    func majority(_ states: [PropertyState], state: PropertyState, confidence: Double) {
        let step = Step(candidate: "v1", runs: runs("v1", states))
        #expect(step.state == state)
        #expect(abs(step.confidence - confidence) < 1e-9)
        #expect(step.flaky == (Set(states).count > 1))
    }

    /// Searches `truth` (the state of each candidate) and returns the candidates tested, in order.
    func search(_ truth: [PropertyState], good: Int = 0, bad: Int? = nil) async throws -> ([String], BisectConclusion) {
        let names = truth.indices.map { "c\($0)" }
        let (steps, conclusion) = try await OrderedBisection(candidates: names, good: good, bad: bad ?? names.count - 1).run { name in
            Step(candidate: name, runs: runs(name, [truth[Int(name.dropFirst())!]]))
        }
        return (steps.map(\.candidate), conclusion)
    }

    @Test("the endpoints first, then halves; the first flip is named with its good neighbour")
    func ordered() async throws {
        let (tested, conclusion) = try await search([.holds, .holds, .holds, .violated, .violated, .violated])
        #expect(tested == ["c0", "c5", "c2", "c3"])
        #expect(conclusion.culprit == "c3")
        #expect(conclusion.lastGood == "c2")
        #expect(conclusion.confidence == 1)
    }

    @Test("a flip in the other direction (a fix) is found the same way")
    func fix() async throws {
        let (_, conclusion) = try await search([.violated, .violated, .violated, .violated, .holds, .holds])
        #expect(conclusion.culprit == "c4")
        #expect(conclusion.lastGood == "c3")
    }

    @Test("endpoints that agree, or do not measure, stop the bisection before any other step")
    func endpoints() async throws {
        await #expect(throws: BisectError.self) { try await search([.holds, .violated, .holds]) }
        await #expect(throws: BisectError.self) { try await search([.unmeasured, .violated, .violated]) }
        let error = await #expect(throws: BisectError.self) { try await search([.holds, .violated, .holds]) }
        #expect(error?.description.contains("nothing flips between them") == true)
    }

    @Test("skipped candidates are stepped around; when only they are left, all are named")
    func skips() async throws {
        let (tested, around) = try await search([.holds, .holds, .unmeasured, .holds, .violated, .violated])
        #expect(tested == ["c0", "c5", "c2", "c3", "c4"])
        #expect(around.culprit == "c4")
        #expect(around.lastGood == "c3")
        // The skipped candidate sits right before the first bad one: either may be it.
        let (_, either) = try await search([.holds, .holds, .unmeasured, .violated, .violated])
        #expect(either.culprit == nil)
        #expect(either.possibleCulprits == ["c2", "c3"])
        let (_, open) = try await search([.holds, .unmeasured, .unmeasured, .violated])
        #expect(open.culprit == nil)
        #expect(open.possibleCulprits == ["c1", "c2", "c3"])
        #expect(open.lastGood == "c0")
    }

    @Test("confidence is the product of the steps' majorities")
    func confidence() async throws {
        let names = ["a", "b", "c"]
        let states: [String: [PropertyState]] = ["a": [.holds, .holds, .violated], "b": [.violated, .violated, .violated],
                                                 "c": [.violated, .violated, .violated]]
        let (_, conclusion) = try await OrderedBisection(candidates: names, good: 0, bad: 2).run {
            Step(candidate: $0, runs: runs($0, states[$0]!))
        }
        #expect(conclusion.culprit == "b")
        #expect(abs(conclusion.confidence - 2.0 / 3) < 1e-9)
    }

    @Test("the log keeps the setup and every run; it reads back, and names a broken line")
    func log() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zcbench-bisect-log-\(getpid())/bisect.jsonl")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let setup = BisectSetup(mode: .variants, property: "double-charge", variants: ["unaccounted", "v1", "steal"], good: "unaccounted",
                                bad: "steal", series: "6.1", repeats: 3, sizeMiB: 32)
        let log = try BisectLog.create(url, setup: setup)
        let recorded = runs("v1", [.violated, .holds])
        for run in recorded { try log.record(run) }
        let reopened = try BisectLog.open(url)
        #expect(reopened.setup == setup)
        #expect(reopened.runs(of: "v1") == recorded)
        #expect(reopened.runs(of: "v2").isEmpty)

        var other = setup
        other.property = "release"
        other.repeats = 1
        #expect(setup.differences(from: other) == ["property: double-charge in the log, release asked for",
                                                   "repeat: 3 in the log, 1 asked for"])

        try Data((try String(contentsOf: url, encoding: .utf8) + "{not json\n").utf8).write(to: url)
        let error = #expect(throws: ZCError.self) { try BisectLog.open(url) }
        #expect(error?.message.hasSuffix("bisect.jsonl:4: not a zcbench bisect log line") == true)
    }

    @Test("git bisect's words, as git 2.39 prints them")
    func gitOutput() {
        #expect(GitBisection.parse("Bisecting: 1 revision left to test after this (roughly 1 step)\n[8b09ed78f98deb0eb42d028cac5878617b883d28] c2\n") == .next)
        #expect(GitBisection.parse("3ddffc14ed790574364f4eb805950b0d55c97095 is the first bad commit\ncommit 3ddffc14ed790574364f4eb805950b0d55c97095\n")
                == .culprit("3ddffc14ed790574364f4eb805950b0d55c97095"))
        #expect(GitBisection.parse("There are only 'skip'ped commits left to test.\nThe first bad commit could be any of:\n726e291d3829ceeb0b750f2bff1f90b554a5f6c4\n8899e053fbaa06045d3ae16b360b274bc87e358b\nWe cannot bisect more!\n")
                == .onlySkipped(["726e291d3829ceeb0b750f2bff1f90b554a5f6c4", "8899e053fbaa06045d3ae16b360b274bc87e358b"]))
    }
}

@Suite("bisect: the git driver")
struct GitBisectTests {
    @Test("git bisect runs in its own worktree: the culprit is found, unbuildable commits skipped, the checkout untouched")
    func driver() async throws {
        let repo = try await ScratchRepository("gitbisect")
        defer { repo.remove() }
        var ids: [String] = []
        for (index, state) in ["holds", "holds", "violated", "unmeasured", "violated", "violated"].enumerated() {
            ids.append(try await repo.commit("\(state) \(index)"))
        }
        // A commit that does not touch kernel/ is never tested.
        try Data("docs\n".utf8).write(to: repo.root.appendingPathComponent("README"))
        try await repo.git(["add", "README"])
        try await repo.git(["commit", "-q", "-m", "docs"])
        let head = try await repo.git(["rev-parse", "HEAD"])
        let repository = try await GitRepository.open(repo.root, runner: repo.runner)
        let driver = repo.root.deletingLastPathComponent().appendingPathComponent("zcbench-gitbisect-driver-\(getpid())")
        var tested: [String] = []
        let (steps, conclusion) = try await GitBisection(repository: repository, good: ids[0], bad: head, path: "kernel",
                                                         driver: driver).run { commit in
            tested.append(commit)
            let state = try await repo.git(["show", "\(commit):kernel/state"]).split(separator: " ")[0]
            return Step(candidate: commit, runs: runs(commit, [PropertyState(rawValue: String(state))!]))
        }
        #expect(conclusion.culprit == ids[2])
        #expect(conclusion.lastGood == ids[1])
        #expect(steps.first?.candidate == ids[0] && steps.dropFirst().first?.candidate == head, "endpoints first")
        #expect(Set(tested).count == tested.count, "no commit tested twice")
        #expect(try await repo.git(["worktree", "list"]).split(separator: "\n").count == 1, "the driver worktree is gone")
        #expect(try await repo.git(["rev-parse", "HEAD"]) == head)
        let status = try await repo.runner.run(Command("git", ["-C", repo.root.path, "bisect", "log"]))
        #expect(status.status != 0, "the checkout is not bisecting: \(status.output)")
    }
}

@Suite("bisect reports")
struct BisectReportTests {
    func load(_ name: String) throws -> BisectReport {
        try JSONDecoder().decode(BisectReport.self, from: Data(try fixture(name).utf8))
    }

    @Test("variants: the culprit, the numbers on both sides, the confidence")
    func variants() throws {
        let report = try load("bisect-variants.json")
        #expect(report.conclusion.culprit == "pool-free")
        let table = BisectReporter.table(report)
        #expect(table.contains("first bad: pool-free (the property flips holds -> violated)"))
        #expect(table.contains("at the culprit pool-free: peak 64 pages charged twice"))
        #expect(table.contains("at the last good batch: peak 32 pages charged twice"))
        #expect(table.contains("[double charge per batch: 32 pages]"))
        #expect(table.contains("confidence: 100%"))
        let markdown = BisectReporter.markdown(report, command: "zcbench bisect --property double-charge")
        #expect(markdown.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| #") }.count == report.steps.count)
        #expect(markdown.contains("    zcbench bisect --property double-charge"))
    }

    @Test("git: the culprit's subject and diff stat, the skipped commit and why")
    func git() throws {
        let report = try load("bisect-git.json")
        let culprit = try #require(report.conclusion.culprit)
        let table = BisectReporter.table(report)
        #expect(table.contains("first bad: \(culprit.prefix(7)) zcpool: drop kmem charges at the last unmap too"))
        #expect(table.contains("|  kernel/memcg.c | 2 +-"))
        let skipped = try #require(report.steps.first { $0.verdict(good: report.goodState) == .skip })
        #expect(table.contains("skipped \(skipped.candidate.prefix(12)): does not build: main.c:"))
        #expect(!report.noOp)
        #expect(!table.contains("no-op culprit"))
        #expect(BisectReporter.markdown(report, command: "zcbench bisect").contains("```\n kernel/memcg.c | 2 +-"))
    }

    @Test("a culprit that built the same module as its good neighbour is called a no-op")
    func noOp() throws {
        var report = try load("bisect-git.json")
        let culprit = try #require(report.step(report.conclusion.culprit))
        let lastGood = try #require(report.step(report.conclusion.lastGood))
        #expect(!BisectReport.sameModule(culprit, lastGood))
        var same = lastGood
        same.runs = same.runs.map { var run = $0; run.moduleDigest = culprit.runs[0].moduleDigest; return run }
        #expect(BisectReport.sameModule(culprit, same))
        report.noOp = true
        #expect(BisectReporter.table(report).contains("byte-identical zcpool.ko: a no-op culprit"))
    }
}
