import ZCAnalysis
import Foundation

/// Renders reports for people (a table) and for programs (JSON).
public enum Reporter {
    /// The readable table for one or more runs.
    public static func table(_ reports: [RunReport]) -> String {
        var out: [String] = []
        for report in reports {
            out.append("zcbench: kernel \(report.kernel)\(report.series.map { " (series \($0))" } ?? ""), \(report.accelerator), \(report.cpus) vCPU, \(String(format: "%.1f", report.wallSeconds)) s")
            out.append("  time: \(report.phases.summary)")
            out.append(row(report.moduleLoad, scenario: "-"))
            for scenario in report.scenarios {
                if let summary = summary(scenario) { out.append("  \(scenario.scenario): \(summary)") }
                // Guest checks that passed are counted, not listed: a scenario like
                // zcpool-device has dozens. Everything else, and every mismatch, gets a row.
                let quiet = scenario.checks.filter { $0.condition == Check.guestCondition && $0.outcome == .pass }
                if quiet.count > 2 {
                    out.append("  PASS     \(scenario.scenario): \(quiet.count) of \(scenario.checks.count) guest checks ok")
                }
                for check in scenario.checks where quiet.count <= 2 || !quiet.contains(check) {
                    out.append(row(check, scenario: scenario.scenario))
                }
                out += (scenario.notes ?? []).map { "    | \($0)" }
                if let problem = scenario.problem { out.append("  \(scenario.scenario): CRASHED - \(problem)") }
            }
            if let matrix = report.matrix {
                out.append("  matrix against \(report.expectationsFile ?? "expectations"):")
                out += matrixTable(matrix).split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }
                for cell in matrix.cells where !cell.outcome.matchesExpectation {
                    out.append("  \(cell.outcome.label) \(cell.variant)/\(cell.property) (expected \(cell.expected.rawValue)): \(cell.measured)")
                }
            }
            if let problem = report.problem {
                out.append("  run CRASHED: \(problem)")
                out += report.consoleExcerpt.map { "    | \($0)" }
            }
            if !report.passed { out.append("  console log and results kept in \(report.runDirectory)") }
            out.append("  verdict: \(report.passed ? "every expectation holds" : "EXPECTATIONS NOT MET")")
        }
        return out.joined(separator: "\n")
    }

    static func row(_ check: Check, scenario: String) -> String {
        let outcome = check.outcome.label.padding(toLength: 8, withPad: " ", startingAt: 0)
        let name = "\(scenario == "-" ? "" : scenario + "/")\(check.property)"
        let property = name.count >= 34 ? name : name.padding(toLength: 34, withPad: " ", startingAt: 0)
        let expected = "expect \(check.expected.rawValue)".padding(toLength: 12, withPad: " ", startingAt: 0)
        return "  \(outcome) \(property) \(expected) \(check.measured)"
    }

    /// The headline of a scenario: for tcp-zerocopy, mapped against charged.
    static func summary(_ scenario: ScenarioReport) -> String? {
        let m = scenario.metrics
        guard scenario.scenario == "tcp-zerocopy", let mapped = m["mapped"], let size = m["size"],
              let before = m["before.memory_current"], let during = m["mapped.memory_current"] else { return nil }
        let charged = during - before
        return "\(bytes(mapped)) of \(bytes(size)) mapped, \(bytes(m["copied"] ?? 0)) copied; receiver cgroup charged \(bytes(charged)) while mapped (file_mapped \(bytes((m["mapped.file_mapped"] ?? 0) - (m["before.file_mapped"] ?? 0))), sock \(bytes((m["mapped.sock"] ?? 0) - (m["before.sock"] ?? 0))), kernel \(bytes((m["mapped.kernel"] ?? 0) - (m["before.kernel"] ?? 0)))) -> \(bytes(mapped - charged)) uncharged"
    }

    /// JSON for one or more runs: the full reports, plus a flat list of test nodes shaped like
    /// KernelCI's (kind, path, name, result), so a dashboard can take them as they are.
    public static func json(_ reports: [RunReport]) throws -> Data {
        try prettyJSON(JSONDocument(schema: "zcbench/run/v1", runs: reports, nodes: reports.flatMap(nodes)))
    }

    /// The JSON zcbench writes: indented, keys sorted, slashes as they are.
    public static func prettyJSON(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    struct JSONDocument: Codable {
        var schema: String
        var runs: [RunReport]
        var nodes: [TestNode]
    }

    /// One test result in KernelCI's node vocabulary: result is pass, fail or incomplete;
    /// an expected failure that was seen is a pass, with `outcome` saying xfail.
    struct TestNode: Codable, Equatable {
        var kind = "test"
        var path: [String]
        var name: String
        var result: String
        var outcome: String
        var expected: String
        var data: [String: String]
        var metrics: Metrics?
    }

    static func nodes(_ report: RunReport) -> [TestNode] {
        func node(_ path: [String], _ check: Check, metrics: Metrics? = nil) -> TestNode {
            TestNode(path: ["zcbench", report.kernel] + path, name: path.last ?? check.property,
                     result: result(check.outcome), outcome: check.outcome.rawValue, expected: check.expected.rawValue,
                     data: ["measured": check.measured, "condition": check.condition, "reason": check.reason],
                     metrics: metrics)
        }
        var nodes = [node(["module-load"], report.moduleLoad)]
        for scenario in report.scenarios {
            nodes += scenario.checks.map { node([scenario.scenario, $0.property], $0) }
        }
        for cell in report.matrix?.cells ?? [] {
            nodes.append(TestNode(path: ["zcbench", report.kernel, cell.variant, cell.property], name: cell.property,
                                  result: result(cell.outcome), outcome: cell.outcome.rawValue, expected: cell.expected.rawValue,
                                  data: ["measured": cell.measured, "condition": cell.condition, "reason": cell.reason,
                                         "tolerance": cell.tolerance],
                                  metrics: cell.metrics))
        }
        return nodes
    }

    static func result(_ outcome: Outcome) -> String {
        switch outcome {
        case .pass, .xfail: "pass"
        case .fail, .xpass: "fail"
        case .crashed: "incomplete"
        }
    }
}
