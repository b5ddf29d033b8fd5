import Foundation
import Testing
import ZCAnalysis
import ZCCore
import ZCRun
import ZCTestSupport
@testable import ZCCommandLine

/// `--shard K/N` and `zcbench report --merge`: the parts cover the work once, and merge back.
@Suite("shards: split the work, merge the reports")
struct ShardTests {
    /// Every (kernel, unit) of a request's boots.
    func units(_ request: BootRequest) -> [String] {
        request.boots.flatMap { boot in boot.plan.shardUnits.map { "\(boot.kernel.options) \($0)" } }
    }

    @Test("N shards of a two-kernel check run every unit of the unsharded one exactly once, each part the same on every machine")
    func cover() throws {
        let whole = units(try bootRequest(["check", "--series", "all"]))
        // Per kernel: the once-only scenarios, each zcpool variant, each real-path design.
        let module = try pipeline().module()
        #expect(whole.count == 2 * (1 + module.variants.count + module.tcpDesigns.count))
        for count in [1, 2, 3, 5, whole.count, 40] {
            let parts = try (1...count).map { try units(bootRequest(["check", "--series", "all", "--shard", "\($0)/\(count)"])) }
            #expect(parts.flatMap { $0 }.sorted() == whole.sorted(), "\(count) shards")
            #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1, "\(count) shards: \(parts.map(\.count))")
            #expect(try units(bootRequest(["check", "--series", "all", "--shard", "1/\(count)"])) == parts[0])
        }
        // A shard keeps the properties: the cells of a design are all in the same part.
        let part = try bootRequest(["check", "--series", "6.1", "--shard", "2/2"])
        #expect(part.boots.allSatisfy { $0.plan.selection.properties.count == AccountingProperty.names.count })
    }

    @Test("--jobs N deals each kernel's units to N boots, every unit once, none empty; the default is the host's cores")
    func jobs() throws {
        func parts(_ request: BootRequest) -> [(boot: Int, plan: RunPlan)] {
            request.boots.enumerated().flatMap { index, boot in boot.plan.parts(request.jobs).map { (index, $0) } }
        }
        let whole = try bootRequest(["check", "--series", "all", "--jobs", "1"])
        #expect(whole.jobs == 1 && parts(whole).count == 2)
        for jobs in [2, 3, 40] {
            let request = try bootRequest(["check", "--series", "all", "--jobs", "\(jobs)"])
            let units = parts(request).flatMap { part in part.plan.shardUnits.map { "\(part.boot) \($0)" } }
            #expect(Set(units).count == units.count)
            #expect(units.count == self.units(whole).count, "\(jobs) jobs")
            let perKernel = whole.boots[0].plan.shardUnits.count
            #expect(parts(request).count == 2 * min(jobs, perKernel))
        }
        #expect(try bootRequest(["check"]).jobs == ProcessInfo.processInfo.activeProcessorCount)
        #expect(throws: ZCError.self) { _ = try bootRequest(["check", "--jobs", "0"]) }
    }

    @Test("two parts of check are within the largest unit's estimate of each other; a unit's measured time outweighs its estimate")
    func balancedParts() throws {
        let plan = try bootRequest(["check", "--series", "6.1"]).boots[0].plan
        let parts = plan.parts(2)
        let load = parts.map { part in part.shardUnits.reduce(0) { $0 + plan.estimatedSeconds(unit: $1) } }
        let largest = plan.shardUnits.map { plan.estimatedSeconds(unit: $0) }.max()!
        #expect(parts.count == 2 && abs(load[0] - load[1]) <= largest, "\(load)")
        #expect(plan.estimatedSeconds(unit: "v1") >= plan.estimatedSeconds(unit: "pool-free") + 0.5)
        #expect(try bootRequest(["check", "--series", "6.1", "--jobs", "2"]).boots[0].plan.parts(2).map(\.shardUnits) == parts.map(\.shardUnits))
        // What a unit took last time outweighs its estimate.
        let measured = plan.parts(2, seconds: ["pool-free": 100])
        #expect(measured.first { $0.shardUnits.contains("pool-free") }?.shardUnits == ["pool-free"])
    }

    @Test("deal: the longest first to the least loaded part, then moves and swaps while they shorten the longest part")
    func deal() {
        // Longest-first alone leaves 7 against 5; a swap of a 3 for a 2 makes it 6 and 6.
        let owner = RunPlan.deal([3, 3, 2, 2, 2], into: 2)
        let loads = (0..<2).map { part in owner.indices.filter { owner[$0] == part }.map { [3.0, 3, 2, 2, 2][$0] }.reduce(0, +) }
        #expect(loads == [6, 6])
        // The medians of three checks on 6.1 (out/unit-seconds.json, Dec 2026): within 0.2 s.
        let measured = [3.857, 2.605, 2.551, 2.404, 2.377, 2.264, 2.166, 1.618, 1.59, 1.396, 1.381, 1.195]
        let dealt = RunPlan.deal(measured, into: 2)
        let sums = (0..<2).map { part in dealt.indices.filter { dealt[$0] == part }.map { measured[$0] }.reduce(0, +) }
        #expect(abs(sums[0] - sums[1]) <= 0.2, "\(sums)")
        // No part is left empty, whatever the lengths.
        #expect(Set(RunPlan.deal([10, 0.1, 0.1], into: 3)) == [0, 1, 2])
        #expect(RunPlan.deal([], into: 2).isEmpty && RunPlan.deal([1], into: 1) == [0])
    }

    @Test("unit seconds: a unit's cells and its reload or patch, the median of its last three runs")
    func unitSeconds() throws {
        // The fixture's guest predates elapsed_ms: give each cell 100 ms and v2's reload 40 ms,
        // as the runner now prints them.
        var ktap = try TestSupport.fixture("matrix-sample.ktap")
        ktap = ktap.replacingOccurrences(of: "\nok 17 v2/reload", with: "\n# metric elapsed_ms=40\nok 17 v2/reload")
        var report = try MatrixSample.report(ktap)
        #expect(report.matrix?.switchMs == ["v2": 40])
        for index in report.matrix!.cells.indices { report.matrix!.cells[index].metrics.values["elapsed_ms"] = 100 }
        let cells = AccountingProperty.all.count * 100
        var times = UnitSeconds()
        times.record(report)
        #expect(times.seconds(release: report.kernel)["v2"] == Double(cells + 40) / 1000)
        #expect(times.seconds(release: report.kernel)["pool-free"] == Double(cells) / 1000)
        for slow in [5.0, 1.0, 1.2] {
            for index in report.matrix!.cells.indices where report.matrix!.cells[index].variant == "pool-free" {
                report.matrix!.cells[index].metrics.values["elapsed_ms"] = Int64(slow * 1000) / Int64(AccountingProperty.all.count)
            }
            times.record(report)
        }
        // Kept: the last three (5.0, 1.0, 1.2, each rounded down to whole ms per cell); their median.
        #expect(times.kernels[report.kernel]?["pool-free"]?.count == UnitSeconds.kept)
        let median = try #require(times.seconds(release: report.kernel)["pool-free"])
        #expect(abs(median - 1.2) < 0.01, "\(median)")
        // Two parts' switch times merge into one report.
        var first = report, second = report
        first.matrix?.switchMs = ["v2": 40]
        second.matrix?.switchMs = ["pool-free": 30]
        second.runDirectory = "/tmp/zc-other"
        first.matrix?.cells = report.matrix!.cells.filter { $0.variant == "v2" }
        second.matrix?.cells = report.matrix!.cells.filter { $0.variant != "v2" }
        second.scenarios = []
        let merged = try RunReport.merged([first, second], scenarioOrder: ScenarioCatalog.names,
                                          designOrder: MatrixSample.variants.map(\.name), propertyOrder: AccountingProperty.allNames)
        #expect(merged.first?.matrix?.switchMs == ["v2": 40, "pool-free": 30])
    }

    @Test("--shard that is not K/N with 1 <= K <= N is a usage error", arguments: ["0/2", "3/2", "1/0", "0/0", "a/b", "1", "1/2/3"])
    func badShard(_ text: String) throws {
        let error = #expect(throws: ZCError.self) { _ = try bootRequest(["check", "--shard", text]) }
        #expect(error?.code == .usage && error?.message == "--shard takes K/N with 1 <= K <= N (e.g. 1/2), not '\(text)'")
    }

    @Test("a fuzz's scenario from two shards is one: each design's checks, the shared unload the worse of the two")
    func mergeFuzz() throws {
        func check(_ name: String, _ outcome: Outcome) -> Check {
            Check(property: name, expected: .pass, outcome: outcome, measured: "\(name) \(outcome.rawValue)", condition: "", reason: "")
        }
        let first = ScenarioReport(scenario: "zcpool-fuzz", metrics: Metrics(["pool-free.ops": 10]),
                                   checks: [check("pool-free-run", .pass), check("unload", .pass)])
        let second = ScenarioReport(scenario: "zcpool-fuzz", metrics: Metrics(["v1.ops": 20]),
                                    checks: [check("v1-run", .pass), check("unload", .fail)])
        let merged = first.merging(second)
        #expect(merged.checks.map(\.property) == ["pool-free-run", "unload", "v1-run"])
        #expect(merged.checks[1].outcome == .fail && merged.checks[1].measured == "unload pass; unload fail")
        #expect(merged.metrics.values == ["pool-free.ops": 10, "v1.ops": 20])
        #expect(!merged.passed && first.merging(first).passed)
    }

    @Test("a report cut in two merges back to the same cells, scenarios and verdict; overlapping parts are refused")
    func merge() throws {
        let whole = try MatrixSample.report()
        let matrix = try #require(whole.matrix)
        var first = whole, second = whole
        first.matrix?.variants = [matrix.variants[1]]
        first.matrix?.cells = matrix.cells.filter { $0.variant == matrix.variants[1] }
        second.scenarios = []
        second.matrix?.variants = [matrix.variants[2], matrix.variants[0]]
        second.matrix?.cells = matrix.cells.filter { $0.variant != matrix.variants[1] }
        second.runDirectory = "/tmp/zc-other"
        let orders = (scenarios: ScenarioCatalog.names, designs: MatrixSample.variants.map(\.name), properties: AccountingProperty.allNames)
        let merged = try RunReport.merged([second, first], scenarioOrder: orders.scenarios, designOrder: orders.designs,
                                          propertyOrder: orders.properties)
        #expect(merged.count == 1)
        let one = try #require(merged.first)
        #expect(one.matrix?.variants == matrix.variants)
        #expect(one.matrix?.cells == matrix.cells)
        #expect(one.scenarios == whole.scenarios)
        #expect(one.passed == whole.passed)
        #expect(one.runDirectory == "/tmp/zc-other, \(whole.runDirectory)")
        #expect(one.wallSeconds == 2 * whole.wallSeconds)
        let error = #expect(throws: MergeError.self) {
            _ = try RunReport.merged([whole, first], scenarioOrder: orders.scenarios, designOrder: orders.designs,
                                     propertyOrder: orders.properties)
        }
        #expect(error?.message.contains("is in two of the reports") == true)
    }
}
