import Foundation
import Testing
import ZCTestSupport
import ZCAnalysis
@testable import ZCBenchmark
import ZCRun
import ZCGuest
import ZCQemu

@Suite("bench: results and their report")
struct BenchTests {
    func load() throws -> BenchmarkReport {
        try JSONDecoder().decode(BenchmarkReport.self, from: Data(try fixture("bench-quick.json").utf8))
    }

    @Test("the cost table: ratios to unaccounted at the same batch and size")
    func ratios() throws {
        let cost = try #require(try load().cost)
        #expect(cost.nsPerPage.count == cost.variants.count * cost.batches.count * cost.sizesKiB.count)
        let poolFree = try #require(cost.nsPerPage["pool-free.b32.65536k"])
        let unaccounted = try #require(cost.nsPerPage["unaccounted.b32.65536k"])
        #expect(cost.ratio("pool-free", batch: 32, sizeKiB: 65536) == Double(poolFree) / Double(unaccounted))
        #expect(cost.ratio("unaccounted", batch: 8, sizeKiB: 4) == 1)
        #expect(cost.ratio("nosuch", batch: 32, sizeKiB: 4) == nil)
        #expect(try #require(cost.tcpNsPerPage) > 0)
    }

    @Test("goals are judged from the measurements, each against its target")
    func goals() throws {
        var report = try load()
        let goals = Benchmark.goals(report)
        #expect(goals.map(\.name) == ["guest init (QEMU start to the runner's first result)", "single-scenario run, wall",
                                      "full matrix on one kernel (zcbench check), one QEMU, wall"])
        let matrix = report.timeToVerdict[1].medianWall
        #expect(goals[2].met == (matrix <= 60))
        report.timeToVerdict[1].wall = [61]
        #expect(Benchmark.goals(report)[2].met == false)
        #expect(Benchmark.goals(report)[2].measured == "61.0 s")
    }

    @Test("RESULTS.md has the command, every section and a row per measurement")
    func markdown() throws {
        let report = try load()
        let text = BenchReporter.markdown(report, command: "zcbench bench --series 6.1 --results bench/RESULTS.md")
        #expect(text.contains("    zcbench bench --series 6.1 --results bench/RESULTS.md"))
        for section in ["## Goals", "## 1. Time to verdict", "## 2. What accounting costs per page", "## 3. Scale",
                        "### Repeatable: guest instructions (QEMU -icount)", "### Wall clock",
                        "#### 1-page batches", "#### 8-page batches", "#### 32-page batches"] {
            #expect(text.contains(section), "\(section)")
        }
        #expect(text.contains("| pool-free | "))
        #expect(text.contains("Reference, same guest: TCP_ZEROCOPY_RECEIVE"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("| 1 MiB | 6 |") }.count == 1)
        let table = BenchReporter.table(report)
        #expect(table.contains("MET     full matrix on one kernel"))
        #expect(text.contains("Not measured in this run."))
    }

    /// Two real captures of tcp-cost under -icount (6.1.0-57, 8-, 32- and 128-page calls) and
    /// one of zcpool-cost with pool-free-batched.
    func repeatable() throws -> (cost: CostTable, real: [RealPathCostTable]) {
        func metrics(_ name: String, _ scenario: String) throws -> Metrics {
            let document = KTAPDocument(parsing: try fixture(name))
            return Metrics(try #require(document.tests.first { $0.name == scenario }).metrics)
        }
        let designs = ["tcp-unaccounted", "tcp-v1", "tcp-kmem", "tcp-kmem-batched"]
        let variants = ["unaccounted", "v1", "v2", "pool-free", "batch", "steal", "pool-free-batched"]
        let cost = try #require(CostTable(cost: try metrics("guest-6.1.0-57-icount-zcpool-cost.ktap", "zcpool-cost"), tcp: nil,
                                          tcpSizeMiB: 32, variants: variants))
        let real = try (1...2).map { run in
            try #require(RealPathCostTable(metrics: try metrics("guest-6.1.0-57-icount-tcp-cost-\(run).ktap", "tcp-cost"),
                                           designs: designs))
        }
        return (cost, real)
    }

    @Test("the repeatable measure: the largest run-to-run spread of any ratio, and the batched designs against 1.15x")
    func repeatableGoals() throws {
        var report = try load()
        let (cost, real) = try repeatable()
        #expect(real[0].callPages == [8, 32, 128])
        let spread = try #require(Spread.of(real[0].ratios, real[1].ratios))
        #expect(spread.fraction < 0.01 && spread.fraction > 0, "\(spread)")
        #expect(Spread.of(["a": 2], ["a": 2.03, "b": 1]).map { abs($0.fraction - 0.015) < 1e-9 && $0.key == "a" } == true)
        #expect(Spread.of(["a": 2], ["b": 2]) == nil)

        report.repeatableCost = [cost]
        report.repeatableRealPathCost = real
        let goals = Dictionary(Benchmark.goals(report).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ratios = try #require(goals["every repeatable per-page ratio, run to run"])
        #expect(ratios.met && ratios.measured == "\(spread.percent) at most (\(spread.key))")
        let batched = try #require(goals["pool-free-batched per page vs unaccounted, 32-page batches, 64 MiB"])
        let measured = try #require(cost.ratio("pool-free-batched", batch: 32, sizeKiB: 65536))
        #expect(batched.measured == String(format: "%.3fx", measured) && batched.met == (measured <= 1.15))
        #expect(batched.spread == nil)
        let tcp = try #require(goals["tcp-kmem-batched per page vs tcp-unaccounted, 32-page calls (the real path)"])
        #expect(tcp.met == (try #require(real[0].ratio("tcp-kmem-batched", callPages: 32)) <= 1.15))
        #expect(tcp.spread != nil)
        // One run only: no spread, so that goal is not met.
        report.repeatableRealPathCost = [real[0]]
        #expect(Benchmark.goals(report).first { $0.name == "every repeatable per-page ratio, run to run" }?.met == false)

        let text = BenchReporter.markdown(report, command: "zcbench bench")
        #expect(text.contains("| pool-free-batched | "))
        #expect(text.contains("| tcp-kmem-batched | 32 pages | "))
        #expect(text.contains("| goal | target | measured | measure | spread | met |"))
    }

    @Test("the parallel check: its median against 20 s, and met only with every verdict the same as one QEMU's")
    func parallelGoal() throws {
        var report = try load()
        report.parallelCheck = TimedRun(name: "check, 2 QEMUs", command: "zcbench check", wall: [19, 25, 18],
                                        phases: [], passed: true, problems: [])
        report.parallelJobs = 2
        report.verdictDifferences = []
        let name = "zcbench check, 2 QEMUs side by side, wall"
        var goal = try #require(Benchmark.goals(report).first { $0.name == name })
        #expect(goal.met && goal.measured == "19.0 s; verdicts identical to one QEMU's")
        #expect(goal.spread == "18.0 s to 25.0 s over 3 runs")
        report.verdictDifferences = ["v1/zombie: xfail with one QEMU, fail in parts"]
        goal = try #require(Benchmark.goals(report).first { $0.name == name })
        #expect(!goal.met && goal.measured == "19.0 s; 1 verdicts differ")
        #expect(BenchReporter.markdown(report, command: "zcbench bench").contains("- v1/zombie: xfail with one QEMU, fail in parts"))
    }

    @Test("the runner's guest memory line, and init's uptime line")
    func guestLines() {
        let memory = GuestMemory(diagnostic: "guest memory: total_kb=2014528 min_available_kb=1372160")
        #expect(memory == GuestMemory(totalKiB: 2014528, minAvailableKiB: 1372160))
        #expect(memory?.peakUsedKiB == 642368)
        #expect(GuestMemory(diagnostic: "guest memory: total_kb=x") == nil)
        #expect(GuestMemory(diagnostic: "metric size=1") == nil)
        #expect(ConsoleLog("[    2.9] x\nzcbench-init: started at uptime 2.61 s\n").kernelTimeToInit == 2.61)
        #expect(ConsoleLog("zcbench-init: started at uptime unknown s\n").kernelTimeToInit == nil)
    }
}

/// The real-path cost table read from a real capture of `tcp-cost` (guest-6.1.0-57-tcp-cost.ktap).
@Suite("bench: the real path's cost table")
struct RealPathCostTests {
    static let designs = ["tcp-unaccounted", "tcp-v1", "tcp-kmem"]

    func table() throws -> RealPathCostTable {
        let document = KTAPDocument(parsing: try fixture("guest-6.1.0-57-tcp-cost.ktap"))
        let test = try #require(document.tests.first { $0.name == "tcp-cost" })
        return try #require(RealPathCostTable(metrics: Metrics(test.metrics), designs: Self.designs))
    }

    @Test("every design at every call size, the getsockopt part within the whole, ratios to the stock kernel")
    func capture() throws {
        let table = try table()
        #expect(table.callPages == [8, 128])
        #expect(table.size == 16 << 20)
        for design in Self.designs {
            for pages in table.callPages {
                let key = RealPathCostTable.key(design, pages)
                let total = try #require(table.nsPerPage[key], "\(key)")
                #expect(try #require(table.receiveNsPerPage[key]) <= total, "\(key)")
                #expect(try #require(table.mappedPercent[key]) > 50, "\(key)")
                #expect(try #require(table.rounds[key]) >= 3, "\(key)")
            }
        }
        let v1 = try #require(table.nsPerPage["tcp-v1.b8"]), stock = try #require(table.nsPerPage["tcp-unaccounted.b8"])
        #expect(table.ratio("tcp-v1", callPages: 8) == Double(v1) / Double(stock))
        #expect(table.ratio("tcp-unaccounted", callPages: 128) == 1)
        #expect(table.ratio("tcp-v1", callPages: 32) == nil)
    }

    @Test("a metric of another design, call size or kind is not read; no time at all is no table")
    func foreign() throws {
        let metrics = Metrics(["tcp-v2.b8.ns_per_page": 5, "tcp-v1.bx.ns_per_page": 5, "tcp-v1.b8.ns_per_pagex": 5,
                               "tcp-v1.b8.calls": 3])
        #expect(RealPathCostTable(metrics: metrics, designs: Self.designs) == nil)
        var table = try #require(RealPathCostTable(metrics: Metrics(["tcp-v1.b8.ns_per_page": 5, "tcp-v1.b16.calls": 1]),
                                                    designs: Self.designs))
        #expect(table.nsPerPage == ["tcp-v1.b8": 5])
        #expect(table.callPages == [8, 16])
        table.nsPerPage["tcp-unaccounted.b8"] = 0
        #expect(table.ratio("tcp-v1", callPages: 8) == nil)
    }

    @Test("RESULTS.md: the real-path section, absolute for the stock kernel, ratios for the designs; a note when it is missing")
    func markdown() throws {
        var report = try JSONDecoder().decode(BenchmarkReport.self, from: Data(try fixture("bench-quick.json").utf8))
        #expect(report.realPathCost == nil)
        #expect(BenchReporter.markdown(report, command: "zcbench bench").contains("No measurement: the tcp-cost scenario reported nothing."))
        let table = try table()
        report.realPathCost = table
        let text = BenchReporter.markdown(report, command: "zcbench bench")
        #expect(text.contains("#### On the real path: TCP_ZEROCOPY_RECEIVE"))
        #expect(text.contains("| design | 8-page calls | 128-page calls |"))
        #expect(text.contains(String(format: "| tcp-kmem | %.2fx | %.2fx |", table.ratio("tcp-kmem", callPages: 8)!,
                                     table.ratio("tcp-kmem", callPages: 128)!)))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("| tcp-v1 | 128 pages | ") }.count == 1)
        #expect(BenchReporter.table(report).contains("real path per page vs tcp-unaccounted (128-page calls): tcp-v1 "))
    }
}
