import Foundation
import Testing
import ZCTestSupport
import ZCGuest
@testable import ZCAnalysis

@Suite("tcp-zerocopy judged from real guest output")
struct ScenarioTests {
    @Test("stock 6.1 and 6.12: mapped, the hole seen, every expectation met",
          arguments: ["guest-6.1.0-56-tcp-zerocopy.ktap", "guest-6.12.117-tcp-zerocopy.ktap"])
    func stockKernel(_ name: String) throws {
        let report = judge(ktap: try fixture(name))
        #expect(report.passed)
        #expect(report.problem == nil)
        #expect(report.moduleLoad.outcome == .pass)
        let scenario = try #require(report.scenarios.first)
        let outcomes = Dictionary(uniqueKeysWithValues: scenario.checks.map { ($0.property, $0.outcome) })
        #expect(outcomes == ["transfer": .pass, "payload-verified": .pass, "zerocopy-mapped": .pass,
                             "mapped-charged": .xfail, "file-mapped-charged": .xfail])
        #expect(scenario.metrics["mapped"]! + scenario.metrics["copied"]! == scenario.metrics["size"]!)
    }

    @Test("the 6.1 figures are the guest's numbers: 33538048 mapped, 81920 charged")
    func figures() throws {
        let scenario = try #require(judge(ktap: try fixture("guest-6.1.0-56-tcp-zerocopy.ktap")).scenarios.first)
        let charged = try #require(scenario.checks.first { $0.property == "mapped-charged" })
        #expect(charged.measured == "memory.current +80 KiB while 32.0 MiB mapped")
        #expect(charged.condition.contains("256 KiB"))
    }

    @Test("too little mapped fails the scenario")
    func notMapped() throws {
        var ktap = try fixture("guest-6.1.0-56-tcp-zerocopy.ktap")
        ktap = withMetric(ktap, "mapped", 16 << 20)
        let report = judge(ktap: ktap)
        #expect(!report.passed)
        #expect(report.scenarios[0].checks.first { $0.property == "zerocopy-mapped" }?.outcome == .fail)
    }

    @Test("a charge that covers the mapping is an unexpected pass: the hole was not seen")
    func holeNotSeen() throws {
        var ktap = try fixture("guest-6.1.0-56-tcp-zerocopy.ktap")
        ktap = withMetric(ktap, "mapped.memory_current", 540672 + 33538048 - (256 << 10))
        let report = judge(ktap: ktap)
        #expect(!report.passed)
        #expect(report.scenarios[0].checks.first { $0.property == "mapped-charged" }?.outcome == .xpass)
        #expect(report.scenarios[0].checks.first { $0.property == "file-mapped-charged" }?.outcome == .xfail)
    }

    @Test("a missing metric is a problem, not a silent pass")
    func missingMetric() throws {
        let ktap = try fixture("guest-6.1.0-56-tcp-zerocopy.ktap").replacingOccurrences(of: "# metric nr_cpus=1\n", with: "")
        let report = judge(ktap: ktap)
        #expect(!report.passed)
        #expect(report.scenarios[0].problem?.contains("nr_cpus") == true)
    }

    @Test("results cut off mid-scenario make the run crashed")
    func truncated() throws {
        let full = try fixture("guest-6.1.0-56-tcp-zerocopy.ktap")
        let cut = String(full[..<full.range(of: "    ok 1 transfer")!.lowerBound])
        let report = judge(ktap: cut, console: "[ 9.0] zcbench-init: still running\n", timedOut: true)
        #expect(!report.passed)
        #expect(report.problem?.contains("timeout") == true)
        #expect(report.consoleExcerpt == ["[ 9.0] zcbench-init: still running"])
        #expect(report.scenarios[0].problem != nil)
    }

    @Test("a panic on the console makes the run crashed even with complete results")
    func panic() throws {
        let report = judge(ktap: try fixture("guest-6.1.0-56-tcp-zerocopy.ktap"),
                           console: try fixture("guest-6.1.0-56-panic-no-init.console.log"))
        #expect(!report.passed)
        #expect(report.problem?.contains("panic") == true)
        #expect(report.consoleExcerpt.first?.contains("Kernel panic") == true)
    }

    @Test("exit status 137: the guest's init stopped the runner at its timeout")
    func guestTimeout() throws {
        let full = try fixture("guest-6.1.0-56-tcp-zerocopy.ktap")
        let cut = String(full[..<full.range(of: "    ok 1 transfer")!.lowerBound]) + "# zcbench-exit 137\n"
        let report = judge(ktap: cut)
        #expect(report.problem?.contains("stopped the runner at its timeout") == true)
        #expect(!report.passed)
    }

    @Test("no exit status line: the runner never finished")
    func noExitLine() throws {
        let ktap = try fixture("guest-6.1.0-56-tcp-zerocopy.ktap").replacingOccurrences(of: "# zcbench-exit 0\n", with: "")
        #expect(judge(ktap: ktap).problem?.contains("exit status") == true)
    }

    @Test("a SKIP in a guest-judged scenario is a failure, not a silent pass")
    func skipFails() {
        let ktap = "KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    ok 1 thing # SKIP no device\nok 1 zcpool-device\n# zcbench-exit 0\n"
        let report = judge(ktap: ktap, scenarios: [GuestChecksScenario(name: "zcpool-device")])
        #expect(report.scenarios[0].checks.first?.outcome == .fail)
    }

    @Test("outcomes against expectations", arguments: [
        (true, Expected.pass, Outcome.pass), (false, .pass, .fail), (false, .fail, .xfail), (true, .fail, .xpass),
    ])
    func outcome(_ holds: Bool, expected: Expected, outcome: Outcome) {
        #expect(Outcome.of(holds: holds, expected: expected) == outcome)
        #expect(outcome.matchesExpectation == (outcome == .pass || outcome == .xfail))
    }
}

@Suite("a scenario that never finished")
struct CrashedScenarioTests {
    @Test("fault-panic's results: its case without a result line is named by number, CRASHED")
    func unnamedCase() throws {
        let document = KTAPDocument(parsing: try fixture("guest-6.1.0-56-fault-panic.ktap"))
        let test = try #require(document.tests.first { $0.name == "fault-panic" || $0.number == 2 })
        let report = GuestChecksScenario(name: "fault-panic").evaluate(test, expectations: nil)
        #expect(report.checks.map(\.property) == ["case 1"])
        #expect(report.checks.map(\.outcome) == [.crashed])
        #expect(report.problem == "the scenario did not finish (no KTAP result line)")
    }
}
