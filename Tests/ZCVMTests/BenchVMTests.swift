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

extension VM {
    @Suite("bench on 6.1")
    struct BenchVMTests {
        @Test("zcbench bench --quick runs end to end: every run passes and every table is filled")
        func quick() async throws {
            let fixture = try VMFixture("bench")
            let report = try await Benchmark(pipeline: fixture.pipeline, options: .quick,
                                             expectations: try fixture.pipeline.expectations(nil)).run()
            let runs = report.timeToVerdict + report.levers + report.scale.map(\.run)
            let passed = runs.allSatisfy(\.passed) && report.cost != nil && report.realPathCost != nil
            defer { fixture.finish(passed: passed) }
            for run in runs where !run.passed { Issue.record("\(run.name): \(run.problems)") }
            #expect(report.timeToVerdict.map(\.name) == ["one scenario, one variant", "check: every scenario and the full matrix, one QEMU",
                                                         "data-path cost", "real-path cost"])
            // check in parts, side by side: the same verdicts as in one QEMU.
            let parallel = try #require(report.parallelCheck)
            #expect(parallel.passed && parallel.wall.count == 1, "\(parallel.problems)")
            #expect(report.verdictDifferences == [], "\(report.verdictDifferences ?? [])")
            for run in report.timeToVerdict {
                #expect(run.median(\.boot).map { $0 > 0 } == true, "\(run.name) has a boot phase")
                #expect(run.median(\.kernelToInit).map { $0 > 0 && $0 < run.median(\.boot)! } == true,
                        "the kernel's own boot is part of QEMU start to the runner")
            }
            let cost = try #require(report.cost)
            #expect(cost.nsPerPage.count == fixture.designs.count * 3 * 5)
            #expect(cost.nsPerPage.values.allSatisfy { $0 > 0 })
            #expect(cost.receiveNsPerPage.count == cost.nsPerPage.count)
            for (key, total) in cost.nsPerPage { #expect(cost.receiveNsPerPage[key]! <= total, "\(key): RECEIVE is part of the round") }
            #expect(try #require(cost.tcpNsPerPage) > 0)
            // The real path: every design at both call sizes, each charged page by page (the
            // scenario's cases), mapping most of what arrived.
            let real = try #require(report.realPathCost)
            let tcpDesigns = try fixture.pipeline.module().tcpDesigns
            #expect(real.designs == tcpDesigns)
            #expect(real.nsPerPage.count == tcpDesigns.count * 3)
            for (key, total) in real.nsPerPage {
                #expect(total > 0 && real.receiveNsPerPage[key]! <= total, "\(key)")
                #expect(real.mappedPercent[key]! > 50, "\(key): mapped \(real.mappedPercent[key]!)%")
            }
            // The repeatable measure, once under -icount: both tables, every cell.
            let icount = try #require(report.repeatableCost?.first)
            #expect(icount.nsPerPage.count == cost.nsPerPage.count && icount.nsPerPage.values.allSatisfy { $0 > 0 })
            #expect(try #require(report.repeatableRealPathCost?.first).nsPerPage.count == real.nsPerPage.count)
            #expect(icount.ratio("pool-free-batched", batch: 32, sizeKiB: 65536) != nil)
            #expect(report.goals.count == 7)
            #expect(report.scale.count == 2)
            for point in report.scale {
                let memory = try #require(point.guestMemory)
                #expect(memory.peakUsedKiB > 0 && memory.peakUsedKiB < memory.totalKiB)
            }
            #expect(try #require(report.coldBuild) > 0)
            #expect(passed)
        }
    }
}
