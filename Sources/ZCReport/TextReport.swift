import ZCAnalysis
import Foundation

/// The report for a terminal: per kernel, the scenarios' checks, the matrix, the verdict.
public enum TextReport {
    /// The readable table for one or more runs.
    public static func table(_ reports: [RunReport]) -> String {
        var out: [String] = []
        for report in reports {
            out.append("zcbench: kernel \(report.kernel)\(report.series.map { " (series \($0))" } ?? "")\(report.shard.map { ", shard \($0)" } ?? ""), \(report.accelerator), \(report.cpus) vCPU, \(String(format: "%.1f", report.wallSeconds)) s")
            out.append("  time: \(report.phases.summary)")
            out.append(row(report.moduleLoad, scenario: "-"))
            for scenario in report.scenarios {
                if let summary = summary(scenario) { out.append("  \(scenario.scenario): \(summary)") }
                // In a scenario with many checks (zcpool-device has dozens) those that passed
                // are counted, not listed. Every other check, and every mismatch, gets a row.
                let quiet = scenario.checks.count > Self.listedChecks ? scenario.checks.filter { $0.outcome == .pass } : []
                if !quiet.isEmpty {
                    out.append("  PASS     \(scenario.scenario): \(quiet.count) of \(scenario.checks.count) checks ok")
                }
                for check in scenario.checks where !quiet.contains(check) {
                    out.append(row(check, scenario: scenario.scenario))
                }
                out += (scenario.notes ?? []).map { "    | \($0)" }
                if let problem = scenario.problem { out.append("  \(scenario.scenario): CRASHED - \(problem)") }
            }
            for matrix in report.matrices {
                out.append("  matrix, \(matrix.path.title), against \(report.expectationsFile ?? "expectations"):")
                if let builtIn = matrix.builtIn {
                    out.append("  (\(builtIn) is built into this kernel's net/ipv4/tcp.c: it ran without the livepatch)")
                }
                out += MatrixTable.text(matrix).split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }
                for cell in matrix.cells where !cell.outcome.matchesExpectation || cell.outcome == .skipped {
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

    /// A scenario with more checks than this has those that passed counted, not listed.
    static let listedChecks = 8

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
}
