import Foundation
import Testing
import ZCGuest
@testable import ZCAnalysis
import ZCTestSupport

/// The metrics of one matrix cell of the captured sample (6.12.117, unaccounted and
/// pool-free, 4 MiB), optionally with some changed.
func cellMetrics(_ variant: String, _ property: String, changing changes: [String: Int64] = [:]) throws -> MetricReader {
    let document = KTAPDocument(parsing: try fixture("matrix-sample.ktap"))
    let test = try #require(document.tests.first { $0.name == "\(variant)/\(property)" })
    return MetricReader(metrics: Metrics(test.metrics.merging(changes) { $1 }))
}

/// A change to a call sweep's readings: at every call size, memory.current at the stop set
/// to the baseline plus `pages` (or minus, for `released`), of which `tables` pages are page
/// tables the call allocated (memory.stat `pagetables`), and the module's count to `module`
/// (default: the pages less the tables).
func sweep(_ variant: String, _ property: String, pages: Int64, tables: Int64 = 0, module: Int64? = nil) throws -> [String: Int64] {
    let m = try cellMetrics(variant, property).metrics
    let point = property == "double-charge" ? "inserted" : "released"
    let counter = property == "double-charge" ? "double" : "under"
    var changes: [String: Int64] = [:]
    for i in 0..<(m["sizes"] ?? 0) {
        let n = m["size.\(i)"]!
        let baseline = m["b\(n).baseline.memory_current"]!
        changes["b\(n).\(point).memory_current"] = baseline + (point == "inserted" ? pages : -pages) * 4096
        changes["b\(n).mod.\(counter)"] = module ?? pages - tables
        if tables != 0 {
            changes["b\(n).baseline.pagetables"] = 8192
            changes["b\(n).\(point).pagetables"] = 8192 + tables * 4096
        }
    }
    return changes
}

/// Each of the property judges on real numbers: what the capture shows, and one change to
/// the numbers that turns the verdict over, so no judge holds whatever it is given.
@Suite("the property judges, each on a captured cell and on numbers that turn it over")
struct PropertyTests {
    /// (property, variant, holds on the capture, a change, holds after it)
    static func cases() throws -> [(String, String, Bool, [String: Int64], Bool)] {
        [
            // pool-free charged the 4 MiB it mapped, as kernel memory; v2 as socket memory.
            ("steady", "pool-free", true, ["mapped.memory_current": 36_864], false),
            ("steady", "pool-free", true, ["mapped.file_mapped": 4_194_304 - 8192], false),
            ("steady", "pool-free", true, ["mapped.kernel": 0], false),
            ("steady", "v2", true, ["mapped.sock": 0], false),
            // v2's charge is sock, not kernel: 512 KiB more kernel fails it, unless it is the
            // page tables of the mapping (a 256 MiB mapping takes 128 pages of them).
            ("steady", "v2", true, ["mapped.kernel": 28_672 + 524_288], false),
            ("steady", "v2", true, ["mapped.kernel": 28_672 + 524_288, "baseline.pagetables": 4096,
                                    "mapped.pagetables": 4096 + 524_288], true),
            ("steady", "unaccounted", false, ["mapped.memory_current": 40_960 + 4_194_304, "mapped.file_mapped": 4_194_304], true),
            ("release", "pool-free", true, ["pool.outstanding": 1], false),
            ("release", "pool-free", true, ["released.memory_current": 1 << 30], false),
            // The whole call charged twice against the 32-page bound; one batch is within it.
            ("double-charge", "pool-free", false, try sweep("pool-free", "double-charge", pages: 32), true),
            ("double-charge", "v2", true, try sweep("v2", "double-charge", pages: 33), false),
            // A page-table page the call's first insert allocated is the mapping's, not a
            // second charge of the pages: 33 pages up, one of them page tables, is 32.
            ("double-charge", "v2", true, try sweep("v2", "double-charge", pages: 33, tables: 1), true),
            ("double-charge", "v2", true, try sweep("v2", "double-charge", pages: 34, tables: 1), false),
            ("under-charge", "pool-free", true, try sweep("pool-free", "under-charge", pages: 1), false),
            ("under-charge", "v2", false, try sweep("v2", "under-charge", pages: 0), true),
            ("memory-max", "pool-free", true, ["events.oom": 1], false),
            ("memory-max", "pool-free", true, ["receive_enomem": 1], false),
            ("memory-max", "pool-free", true, ["peak.memory_peak": 2_834_432 + 4096], false),
            ("memory-max", "unaccounted", false, ["max_mapped": 1 << 20], true),
            ("nofail-overshoot", "v2", false, ["peak.memory_peak": 2_859_008], true),
            ("nofail-overshoot", "pool-free", true, ["peak.memory_peak": 2_859_008 + 4096], false),
            ("cross-cgroup", "pool-free", true, ["mod.recycles": 0], false),
            ("cross-cgroup", "pool-free", true, ["a.released.memory_current": 1 << 30], false),
            ("vmsplice-pin", "pool-free", true, ["pinned.memory_current": 0], false),
            ("fork", "pool-free", true, ["child_holds.memory_current": 0], false),
            ("fork", "pool-free", true, ["released.memory_current": 1 << 30], false),
            ("zombie", "pool-free", true, ["dying.held": 1], false),
            ("zombie", "v2", false, ["dying.held": 0], true),
            ("unload", "pool-free", true, ["unloaded.memory_current": 36_864], false),
            ("unload", "unaccounted", false, ["unloaded.memory_current": 36_864 + 4_194_304], true),
        ]
    }

    @Test("every property has a case here", arguments: AccountingProperty.names)
    func covered(_ property: String) throws {
        #expect(try Self.cases().contains { $0.0 == property })
    }

    @Test("the verdict on the capture, and after the change")
    func judge() throws {
        for (name, variant, holds, changes, holdsAfter) in try Self.cases() {
            let property = try #require(AccountingProperty.named(name))
            let expectation = try #require(MatrixSample.expectations()[variant, name])
            let captured = property.judge(try cellMetrics(variant, name), expectation)
            #expect(captured.holds == holds, "\(variant)/\(name): \(captured.measured)")
            #expect(captured.violation == nil && captured.missing.isEmpty, "\(variant)/\(name): \(captured.violation ?? "")")
            let changed = property.judge(try cellMetrics(variant, name, changing: changes), expectation)
            #expect(changed.holds == holdsAfter, "\(variant)/\(name) with \(changes): \(changed.measured)")
            // The words say what was measured and against what.
            #expect(!captured.measured.isEmpty && !captured.condition.isEmpty)
        }
    }

    @Test("what no expectation may hide fails the cell: a module that lies, a memcg or a charge left behind", arguments: [
        ("double-charge", "pool-free", "its counters disagree with the cgroup's"),
        ("under-charge", "v2", "its counters disagree with the cgroup's"),
        ("zombie", "v2", "a memcg is leaked"),
        ("unload", "unaccounted", "a charge outlived every page"),
        ("unload", "pool-free", "rmmod refused"),
    ])
    func violation(_ name: String, variant: String, message: String) throws {
        let m = try cellMetrics(variant, name).metrics
        let changes: [String: Int64] = switch (name, message) {
        case ("double-charge", _), ("under-charge", _):
            // The module says 0 where memory.current shows the whole call (--inject-fault counters-lie).
            Dictionary(uniqueKeysWithValues: m.values.keys.filter { $0.hasSuffix(".mod.double") || $0.hasSuffix(".mod.under") }
                .map { ($0, Int64(0)) })
        case ("zombie", _): ["dying_final": 1]
        case (_, "rmmod refused"): ["rmmod_errno": 16]
        default: ["released.memory_current": m["baseline.memory_current"]! + (1 << 20)]
        }
        let property = try #require(AccountingProperty.named(name))
        let expectation = try #require(MatrixSample.expectations()[variant, name])
        let measurement = property.judge(try cellMetrics(variant, name, changing: changes), expectation)
        #expect(measurement.violation?.contains(message) == true, "\(measurement.violation ?? "no violation")")
    }

    @Test("a cell without a metric its property needs is crashed, never passed")
    func missingMetric() throws {
        let document = KTAPDocument(parsing: try MatrixSample.editing("pool-free/steady") {
            $0.contains("# metric mapped.memory_current=") ? nil : $0
        })
        let cell = MatrixReport(results: document, variants: ["pool-free"], properties: [.steady],
                                expectations: try MatrixSample.expectations()).cells[0]
        #expect(cell.outcome == .crashed)
        #expect(cell.measured == "the guest did not report mapped.memory_current")
        // A sweep without one of its calls' readings is crashed too.
        let sweepless = KTAPDocument(parsing: try MatrixSample.editing("pool-free/double-charge") {
            $0.contains("# metric b8.inserted.memory_current=") ? nil : $0
        })
        let sweepCell = MatrixReport(results: sweepless, variants: ["pool-free"], properties: [.doubleCharge],
                                     expectations: try MatrixSample.expectations()).cells[0]
        #expect(sweepCell.outcome == .crashed)
        #expect(sweepCell.measured == "the guest did not report b8.inserted.memory_current")
    }

    @Test("a violation fails the cell even where the design is expected to fail")
    func violationInMatrix() throws {
        // pool-free's double charge is an expected failure; with the module's count at 0 the
        // cell fails.
        let ktap = try MatrixSample.editing("pool-free/double-charge") { line in
            line.hasPrefix("    # metric b") && line.contains(".mod.double=") ? line.replacingOccurrences(
                of: #"=\d+$"#, with: "=0", options: .regularExpression) : line
        }
        let cell = try #require(MatrixReport(results: KTAPDocument(parsing: ktap), variants: ["pool-free"], properties: [.doubleCharge],
                                             expectations: try MatrixSample.expectations()).cells.first)
        #expect(cell.outcome == .fail)
        #expect(cell.measured.hasSuffix("its counters disagree with the cgroup's"))
        #expect(cell.figures.map(\.value) == [32, 64, 256, 1024, 2048])
    }
}

/// zcpool-variants: the guest's design-independent cases and the host's judgement of each
/// design against expectations/default.yaml.
@Suite("zcpool-variants: every design judged against its expectations")
struct DesignsScenarioTests {
    /// The captured zcpool-variants result as the guest reports it now: its design cases
    /// (made by the guest before the host judged them) taken out.
    func test() throws -> KTAPTest {
        try #require(KTAPDocument(parsing: try fixture("matrix-sample.ktap")).tests.first { $0.name == "zcpool-variants" })
    }

    @Test("the capture: five checks per design, every one passes, in the guest's order")
    func capture() throws {
        let report = DesignsScenario().evaluate(try test(), expectations: try MatrixSample.expectations())
        #expect(report.problem == nil)
        #expect(report.checks.count == 6 * 5)
        #expect(report.checks.prefix(5).map(\.property) == ["unaccounted-receive", "unaccounted-charged-while-mapped",
                                                            "unaccounted-file-mapped-while-mapped",
                                                            "unaccounted-baseline", "unaccounted-pool-baseline"])
        for check in report.checks where check.outcome != .pass {
            Issue.record("\(check.property): \(check.measured) (\(check.condition))")
        }
    }

    @Test("expectations that say otherwise turn the design's checks over")
    func otherExpectations() throws {
        // pool-free said to leave mapped pages uncharged, and to double-charge nothing.
        let yaml = try TestSupport.repositoryFile("expectations/default.yaml")
            .replacingOccurrences(of: "  pool-free:\n    steady:            {expect: pass, tolerance: batch, reason: \"kmem-charged before insert\", stat: kernel}",
                                  with: "  pool-free:\n    steady:            {expect: fail, tolerance: batch, reason: \"said so\", stat: none}")
            .replacingOccurrences(of: "    double-charge:     {expect: fail, tolerance: 32 pages, reason: \"the units' socket charge is released only when the call frees them: the whole call is charged twice\"}",
                                  with: "    double-charge:     {expect: pass, tolerance: 32 pages, reason: \"said so\"}")
        let module = try MatrixSample.module()
        let expectations = try ExpectationSet.parse(yaml, file: "other.yaml", variants: module.allDesigns,
                                                    properties: AccountingProperty.allNames, realPath: module.tcpDesigns)
        #expect(expectations["pool-free", "steady"]?.expected == .fail)
        let report = DesignsScenario().evaluate(try test(), expectations: expectations)
        let failed = report.checks.filter { $0.outcome != .pass }.map(\.property)
        #expect(failed == ["pool-free-charged-while-mapped", "pool-free-file-mapped-while-mapped"])
    }

    @Test("a design the expectations file does not name cannot be judged: crashed, with the reason")
    func unexpected() throws {
        let expectations = try ExpectationSet.parse(
            "variants:\n  v1:\n    steady: {expect: pass, reason: r}\n", file: "one.yaml",
            variants: try MatrixSample.designs(), properties: AccountingProperty.names)
        let report = DesignsScenario().evaluate(try test(), expectations: expectations)
        let steal = try #require(report.checks.first { $0.property == "steal-charged-while-mapped" })
        #expect(steal.outcome == .crashed)
        #expect(steal.measured.contains("no expectation for steal/steady"))
    }
}

/// The guest's scenario tables (vm/runner.c) and the host's catalog name the same scenarios.
@Suite("scenario names: vm/runner.c and the host agree")
struct ScenarioParityTests {
    /// The names of the `{ "name", test_... }` entries of runner.c's table `table`.
    func names(_ table: String) throws -> [String] {
        let source = try TestSupport.repositoryFile("vm/runner.c")
        let start = try #require(source.range(of: "\(table)[] = {"), "no table \(table) in vm/runner.c")
        let body = source[start.upperBound...].prefix { $0 != ";" }
        return body.matches(of: try Regex(#"\{\s*"([^"]+)",\s*test_"#)).map { String($0.output[1].substring!) }
    }

    @Test("once-only scenarios")
    func scenarios() throws {
        #expect(Set(try names("scenarios")) == Set(ScenarioCatalog.names))
    }

    @Test("matrix properties, in column order")
    func properties() throws {
        #expect(try names("matrix") == AccountingProperty.names)
    }

    @Test("real-path properties, in column order")
    func realPath() throws {
        #expect(try names("tcp_matrix") == AccountingProperty.realPathNames)
    }
}
