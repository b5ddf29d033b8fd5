import Foundation
import Testing
import ZCAnalysis
@testable import ZCBench
import ZCKernel

extension VM {
    @Suite("fuzz")
    struct FuzzVMTests {
        @Test("a short fuzz of every variant: no crash, nothing leaked, after the run and after rmmod",
              arguments: [KernelSeries.v6_1, .v6_12])
        func short(_ series: KernelSeries) async throws {
            let fixture = try VMFixture("fuzz-\(series.rawValue)")
            let seed: UInt64 = series == .v6_1 ? 4242 : 6122
            let plan = try FuzzPlan(seconds: 10, seed: seed, variants: Variants.all)
            let report = try await plan.run(fixture.bench, series: series)
            let passed = report.passed
            defer { fixture.finish(passed: passed) }
            #expect(report.problem == nil, "\(report.problem ?? ""): \(report.consoleExcerpt.joined(separator: "\n"))")
            let fuzz = try #require(report.scenarios.first { $0.scenario == "zcpool-fuzz" })
            #expect(fuzz.metrics["seed"] == Int64(seed), "the guest fuzzes with the seed it was given")
            for variant in Variants.all {
                let ops = try #require(fuzz.metrics["\(variant).ops"])
                #expect(ops > 10_000, "\(variant): \(ops) operations in 10 s")
                // Hostile arguments are refused, valid ones are not: both kinds ran.
                let refused = try #require(fuzz.metrics["\(variant).failed"])
                #expect(refused > 0 && refused < ops)
                #expect(try #require(fuzz.metrics["\(variant).ops.receive"]) > 0)
                #expect(try #require(fuzz.metrics["\(variant).ops.fork"]) > 0)
            }
            for check in fuzz.checks where check.outcome != .pass {
                Issue.record("\(check.property): \(check.measured)")
            }
            #expect(fuzz.checks.count == 2 * Variants.all.count + 1)
            #expect(passed, "\(plan.summary(report, series: series))")
        }
    }
}
