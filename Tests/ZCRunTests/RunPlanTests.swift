import Foundation
import Logging
import Testing
import ZCAnalysis
import ZCCore
import ZCGuest
import ZCQemu
@testable import ZCRun
import ZCTestSupport

@Suite("run plan: the one timeout rule and the guest's parameters")
struct RunPlanTests {
    func matrix(_ variants: [Variant], properties: [AccountingProperty] = AccountingProperty.all,
                scenarios: [any Scenario] = []) throws -> RunPlan {
        RunPlan(scenarios: scenarios, variants: variants, properties: properties, expectations: try MatrixSample.expectations())
    }

    @Test("a boot's timeout: 120 s, 60 s more for zcpool-variants, 30 s per matrix variant, and the settle waits")
    func timeout() throws {
        #expect(RunPlan(scenarios: [TCPZerocopyScenario()]).defaultTimeout() == .seconds(120))
        #expect(try matrix(["v1", "v2"], scenarios: [DesignsScenario()]).defaultTimeout() == .seconds(120 + 60 + 2 * 30))
        #expect(try matrix(["v1"]).defaultTimeout(settle: .milliseconds(2500)) == .seconds(120 + 30 + 20 * 2.5))
    }

    @Test("a fuzz boot's timeout: the fuzzing time with half again, 90 s and the minimizer's time; a replay 10 s per variant")
    func fuzzTimeout() {
        let fuzz = RunPlan(Selection(scenarios: []), fuzz: FuzzParameters(seconds: 20, seed: 1, variants: ["v1", "steal"]))
        #expect(fuzz.defaultTimeout() == .seconds(90 + 20 * 2 * 3 / 2 + GuestProtocol.Fuzz.minimizeSeconds))
        let replay = RunPlan(Selection(scenarios: []), fuzz: FuzzParameters(seconds: 20, seed: nil, variants: ["v1"], repro: [1]))
        #expect(replay.defaultTimeout() == .seconds(90 + 10))
    }

    @Test("the guest's runner stops 10 s before the host's timeout, for timeouts of 30 s and more")
    func runnerTimeout() throws {
        let plan = try matrix(["pool-free"], properties: [.release])
        #expect(plan.guestParameters(options: BootOptions(), timeout: .seconds(780)).words.last == "zcbench.runner_timeout_s=770")
        #expect(!plan.guestParameters(options: BootOptions(), timeout: .seconds(8)).words.contains { $0.contains("runner_timeout_s") })
    }

    @Test("the kernel command line of a matrix boot: scenarios, variants and the boot options, in order")
    func commandLine() throws {
        var options = BootOptions()
        options.sizeMiB = 4
        options.extraKernelArguments = ["loglevel=5"]
        let plan = try matrix(["unaccounted", "pool-free"], properties: [.steady, .release], scenarios: [TCPZerocopyScenario()])
        let boot = GuestBoot(options: options, progress: StepProgress(enabled: false), logger: Logger(label: "t"))
        #expect(boot.commandLine(plan.guestParameters(options: options, timeout: .seconds(200))).description
            == "console=ttyS0 rdinit=/init panic=-1 oops=panic ibt=off loglevel=7 cryptomgr.notests tsc=reliable no_timer_check "
            + "zcbench.mode=run zcbench.scenarios=tcp-zerocopy,steady,release zcbench.variants=unaccounted,pool-free "
            + "zcbench.size_mib=4 zcbench.settle_ms=0 zcbench.flush_stats=1 zcbench.runner_timeout_s=190 loglevel=5")
    }

    @Test("a matrix the expectations file does not cover is refused before anything boots")
    func unjudged() throws {
        let partial = try ExpectationSet.parse("variants:\n  v1:\n    steady: {expect: pass, reason: r}\n", file: "partial.yaml",
                                               variants: try MatrixSample.designs(), properties: AccountingProperty.names)
        let plan = RunPlan(scenarios: [], variants: ["v1"], properties: [.steady, .release], expectations: partial)
        let error = #expect(throws: ZCError.self) { try plan.validate() }
        #expect(error?.code == .usage)
        #expect(error?.message == "partial.yaml has no expectation for v1/release")
        #expect(throws: ZCError.self) { try RunPlan(scenarios: [], variants: ["v1"], properties: [.steady]).validate() }
    }
}
