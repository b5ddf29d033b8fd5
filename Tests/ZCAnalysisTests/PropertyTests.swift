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

/// Each of the eleven property judges on real numbers: what the capture shows, and one
/// change to the numbers that turns the verdict over, so no judge holds whatever it is given.
@Suite("the property judges, each on a captured cell and on numbers that turn it over")
struct PropertyTests {
    /// (property, variant, holds on the capture, a change, holds after it)
    static let cases: [(String, String, Bool, [String: Int64], Bool)] = [
        // pool-free charged the 4 MiB it mapped; without the charge it does not hold.
        ("steady", "pool-free", true, ["mapped.memory_current": 528_384], false),
        ("steady", "pool-free", true, ["mapped.file_mapped": 4_194_304 - 8192], false),
        ("steady", "unaccounted", false, ["mapped.memory_current": 524_288 + 4_194_304, "mapped.file_mapped": 4_194_304], true),
        ("release", "pool-free", true, ["pool.outstanding": 1], false),
        ("release", "pool-free", true, ["released.memory_current": 528_384 + (1 << 20)], false),
        // 64 pages twice against the 32-page bound; 32 is within it.
        ("double-charge", "pool-free", false, ["mod.double_peak": 32, "peak_excess": 0], true),
        ("double-charge", "unaccounted", true, ["mod.double_peak": 33], false),
        // The cgroup cross-check: memory.current above mapped + queued by more than the
        // module's peak and a charge batch means the module's count is wrong.
        ("double-charge", "unaccounted", true, ["peak_excess": 1 << 20], false),
        ("under-charge", "pool-free", true, ["mod.under_peak": 1], false),
        ("under-charge", "pool-free", true, ["min_margin": -(1 << 20)], false),
        ("under-charge", "unaccounted", false, ["mod.under_peak": 0, "min_margin": 0], true),
        ("memory-max", "pool-free", true, ["events.max": 0], false),
        ("memory-max", "pool-free", true, ["skip_hints": 0], false),
        ("cross-cgroup", "pool-free", true, ["mod.recycles": 0], false),
        ("cross-cgroup", "pool-free", true, ["a.released.memory_current": 1 << 30], false),
        ("vmsplice-pin", "pool-free", true, ["pinned.memory_current": 0], false),
        ("fork", "pool-free", true, ["child_holds.memory_current": 0], false),
        ("fork", "pool-free", true, ["released.memory_current": 1 << 30], false),
        ("zombie", "pool-free", true, ["dying_final": 1], false),
        ("isolation", "pool-free", true, ["foreign_pages": 1], false),
        ("isolation", "pool-free", true, ["pages_checked": 0], false),
        ("unload", "pool-free", true, ["rmmod_errno": 16], false),
        ("unload", "unaccounted", true, ["unloaded.memory_current": 1 << 30], false),
    ]

    @Test("every property has a case here", arguments: AccountingProperty.names)
    func covered(_ property: String) {
        #expect(Self.cases.contains { $0.0 == property })
    }

    @Test("the verdict on the capture, and after the change", arguments: Self.cases.indices)
    func judge(_ index: Int) throws {
        let (name, variant, holds, changes, holdsAfter) = Self.cases[index]
        let property = try #require(AccountingProperty.named(name))
        let tolerance = try #require(MatrixSample.expectations()[variant, name]).tolerance
        let captured = property.judge(try cellMetrics(variant, name), tolerance)
        #expect(captured.holds == holds, "\(variant)/\(name): \(captured.measured)")
        let changed = property.judge(try cellMetrics(variant, name, changing: changes), tolerance)
        #expect(changed.holds == holdsAfter, "\(variant)/\(name) with \(changes): \(changed.measured)")
        // The words say what was measured and against what.
        #expect(!captured.measured.isEmpty && !captured.condition.isEmpty)
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
    }
}

/// zcpool-variants: the guest's design-independent cases and the host's judgement of each
/// design against expectations/default.yaml.
@Suite("zcpool-variants: every design judged against its expectations")
struct DesignsScenarioTests {
    /// The captured zcpool-variants result as the guest reports it now: its design cases
    /// (made by the guest before the host judged them) taken out.
    func test() throws -> KTAPTest {
        let judged = ["charged-while-mapped", "file-mapped-while-mapped", "charge-windows"]
        var number = 0
        let ktap = try MatrixSample.editing("zcpool-variants") { line in
            if line == "    1..36" { return "    1..18" }
            guard line.hasPrefix("    ok ") else { return line }
            if judged.contains(where: { line.hasSuffix("-\($0)") }) { return nil }
            number += 1
            return "    ok \(number) " + line.split(separator: " ", maxSplits: 2).dropFirst(2).joined()
        }
        return try #require(KTAPDocument(parsing: ktap).tests.first { $0.name == "zcpool-variants" })
    }

    @Test("the capture: six checks per design, every one passes, in the guest's order")
    func capture() throws {
        let report = DesignsScenario().evaluate(try test(), expectations: try MatrixSample.expectations())
        #expect(report.problem == nil)
        #expect(report.checks.count == 6 * 6)
        #expect(report.checks.prefix(6).map(\.property) == ["unaccounted-receive", "unaccounted-charged-while-mapped",
                                                            "unaccounted-file-mapped-while-mapped", "unaccounted-charge-windows",
                                                            "unaccounted-baseline", "unaccounted-pool-baseline"])
        for check in report.checks where check.outcome != .pass {
            Issue.record("\(check.property): \(check.measured) (\(check.condition))")
        }
    }

    @Test("expectations that say otherwise turn the design's checks over")
    func otherExpectations() throws {
        // pool-free said to leave mapped pages uncharged, and to double-charge nothing.
        let yaml = try TestSupport.repositoryFile("expectations/default.yaml")
            .replacingOccurrences(of: "    steady:        {expect: pass, tolerance: batch, reason: \"kmem-charged before insert\"}\n    release:       {expect: pass, tolerance: batch, reason: \"uncharged when the pool recycles the page\"}\n    double-charge: {expect: fail, tolerance: 32 pages, reason: \"the socket charge of a unit is released only when the unit is consumed\"}",
                                  with: "    steady:        {expect: fail, tolerance: batch, reason: \"said so\"}\n    release:       {expect: pass, tolerance: batch, reason: \"uncharged when the pool recycles the page\"}\n    double-charge: {expect: pass, tolerance: 32 pages, reason: \"said so\"}")
        let expectations = try ExpectationSet.parse(yaml, file: "other.yaml", variants: try MatrixSample.designs(),
                                                    properties: AccountingProperty.names)
        #expect(expectations["pool-free", "steady"]?.expected == .fail)
        let report = DesignsScenario().evaluate(try test(), expectations: expectations)
        let failed = report.checks.filter { $0.outcome != .pass }.map(\.property)
        #expect(failed == ["pool-free-charged-while-mapped", "pool-free-file-mapped-while-mapped", "pool-free-charge-windows"])
    }

    @Test("a design the expectations file does not name cannot be judged: crashed, with the reason")
    func unexpected() throws {
        let expectations = try ExpectationSet.parse(
            "variants:\n  v1:\n    steady: {expect: pass, reason: r}\n", file: "one.yaml",
            variants: try MatrixSample.designs(), properties: AccountingProperty.names)
        let report = DesignsScenario().evaluate(try test(), expectations: expectations)
        let steal = try #require(report.checks.first { $0.property == "steal-charge-windows" })
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
}
