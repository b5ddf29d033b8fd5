import ZCAnalysis
import Foundation

/// Renders reports for people (a table) and for programs (JSON).
public enum Reporter {
    /// The readable table for one or more runs.
    public static func table(_ reports: [RunReport]) -> String {
        var out: [String] = []
        for report in reports {
            out.append("zcbench: kernel \(report.kernel)\(report.series.map { " (series \($0))" } ?? ""), \(report.accelerator), \(report.cpus) vCPU, \(String(format: "%.1f", report.wallSeconds)) s")
            out.append(row(report.moduleLoad, scenario: "-"))
            for scenario in report.scenarios {
                if let summary = summary(scenario) { out.append("  \(scenario.scenario): \(summary)") }
                for check in scenario.checks { out.append(row(check, scenario: scenario.scenario)) }
                if let problem = scenario.problem { out.append("  \(scenario.scenario): CRASHED - \(problem)") }
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
        let property = "\(scenario == "-" ? "" : scenario + "/")\(check.property)".padding(toLength: 34, withPad: " ", startingAt: 0)
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

    /// JSON for one or more runs.
    public static func json(_ reports: [RunReport]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONDocument(schema: "zcbench/run/v1", runs: reports))
    }

    struct JSONDocument: Codable {
        var schema: String
        var runs: [RunReport]
    }
}
