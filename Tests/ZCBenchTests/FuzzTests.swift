import Foundation
import Testing
import ZCAnalysis
@testable import ZCBench
import ZCCore
import ZCKernel

@Suite("fuzz plan")
struct FuzzTests {
    @Test("the guest gets the seed, the time and the variants; the timeout grows with them")
    func options() throws {
        let plan = try FuzzPlan(seconds: 20, seed: 99, variants: ["v1", "steal"])
        #expect(plan.options.guestParameters == ["fuzz_seconds": "20", "fuzz_seed": "99", "fuzz_variants": "v1,steal"])
        #expect(plan.options.timeout == .seconds(90 + 20 * 2 * 3 / 2))
        let line = GuestLauncher(options: plan.options, progress: StepProgress(enabled: false), logger: .init(label: "t"))
            .commandLine(scenarios: ["zcpool-fuzz"], shell: false).description
        #expect(line.contains("zcbench.fuzz_seconds=20 zcbench.fuzz_seed=99 zcbench.fuzz_variants=v1,steal"))
        #expect(try FuzzPlan(seconds: 1, seed: nil, variants: Variants.all).options.guestParameters["fuzz_seed"] == nil)
    }

    @Test("bad input is a usage error", arguments: [(0, UInt64(1)), (3601, 1), (10, 0), (10, UInt64.max)])
    func badInput(_ seconds: Int, seed: UInt64) {
        let error = #expect(throws: ZCError.self) { try FuzzPlan(seconds: seconds, seed: seed, variants: Variants.all) }
        #expect(error?.exitStatus == 2)
    }
}
