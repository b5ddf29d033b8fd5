import Foundation
import ZCAnalysis

/// The reports for programs: the full run reports as JSON, plus a flat list of test nodes.
public enum JSONReport {
    /// JSON for one or more runs, zcbench's own schema (`zcbench/run/v1`): the full reports,
    /// plus a flat list of test nodes (kind, path, name, result). Not a KernelCI schema: for
    /// KernelCI's database, ``KCIDBReport``.
    public static func data(_ reports: [RunReport]) throws -> Data {
        try ReportFormat.json(JSONDocument(schema: schema, runs: reports, nodes: reports.flatMap(nodes)))
    }

    /// The run reports of a document `data(_:)` wrote; a clear error for anything else.
    public static func runs(_ data: Data, file: String) throws -> [RunReport] {
        struct Head: Decodable { var schema: String? }
        guard let head = try? JSONDecoder().decode(Head.self, from: data) else {
            throw JSONReportError(message: "\(file) is not JSON, or not an object")
        }
        guard head.schema == schema else {
            throw JSONReportError(message: "\(file) is not a zcbench run report (schema \(head.schema.map { "'\($0)'" } ?? "missing"), not '\(schema)'): give the --json of check, run or fuzz")
        }
        do {
            return try JSONDecoder().decode(JSONDocument.self, from: data).runs
        } catch {
            throw JSONReportError(message: "\(file): \(error)")
        }
    }

    static let schema = "zcbench/run/v1"

    struct JSONDocument: Codable {
        var schema: String
        var runs: [RunReport]
        var nodes: [TestNode]
    }

    /// One test result: result is pass, fail, skip or incomplete; an expected failure that was
    /// seen is a pass, with `outcome` saying xfail.
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

/// A file that is not a run report `--json` wrote.
public struct JSONReportError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
