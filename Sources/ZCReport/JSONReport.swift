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

    /// The nodes of one run: the cases of ``VerdictCase/all(_:)`` (JUnit's, the verdict
    /// KTAP's), a matrix cell's with its metrics.
    static func nodes(_ report: RunReport) -> [TestNode] {
        VerdictCase.all(report).map { verdict in
            let path = verdict.name.split(separator: "/").map(String.init)
            var data = ["measured": verdict.measured, "condition": verdict.condition, "reason": verdict.reason]
            if let tolerance = verdict.tolerance { data["tolerance"] = tolerance }
            if !verdict.details.isEmpty { data["details"] = verdict.details.joined(separator: "\n") }
            return TestNode(path: ["zcbench", report.kernel] + path, name: path.last ?? verdict.name,
                            result: result(verdict.outcome), outcome: verdict.outcome.rawValue,
                            expected: verdict.expected.rawValue, data: data, metrics: verdict.metrics)
        }
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
