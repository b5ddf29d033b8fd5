import Foundation
import ZCAnalysis

/// The reports for programs: the full run reports as JSON, plus a flat list of test nodes.
public enum JSONReport {
    /// JSON for one or more runs: the full reports, plus a flat list of test nodes shaped like
    /// KernelCI's (kind, path, name, result), so a dashboard can take them as they are.
    public static func data(_ reports: [RunReport]) throws -> Data {
        try ReportFormat.json(JSONDocument(schema: "zcbench/run/v1", runs: reports, nodes: reports.flatMap(nodes)))
    }

    struct JSONDocument: Codable {
        var schema: String
        var runs: [RunReport]
        var nodes: [TestNode]
    }

    /// One test result in KernelCI's node vocabulary: result is pass, fail, skip or incomplete;
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
        for cell in report.matrices.flatMap(\.cells) {
            nodes.append(TestNode(path: ["zcbench", report.kernel, cell.variant.name, cell.property], name: cell.property,
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
        case .skipped: "skip"
        }
    }
}
