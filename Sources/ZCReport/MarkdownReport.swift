import ZCAnalysis
import Foundation

/// Markdown to paste into a mailing-list reply, readable as plain text too: per kernel a
/// header line, the matrix (variant rows x property columns), the figures that answer the
/// review, what differs from the expectations, the once-only scenarios, and at the end the
/// command that reproduces it all. Prose lines stay within 100 characters; tables do not.
public enum MarkdownReport {
    public static func markdown(_ reports: [RunReport], command: String) -> String {
        var out: [String] = []
        for report in reports {
            if !out.isEmpty { out.append("") }
            out += section(report)
        }
        out += ["", "Reproduce with:", "", "    \(command)"]
        return out.joined(separator: "\n") + "\n"
    }

    static func section(_ report: RunReport) -> [String] {
        var out = ["### zcbench: \(ReportFormat.kernelTitle(report))", ""]
        out += ReportFormat.wrap("Verdict: \(ReportFormat.verdict(report)).")
        if let file = report.expectationsFile { out += ReportFormat.wrap("Expectations: \(file)") }
        let load = report.moduleLoad
        out += ReportFormat.wrap("Module load: \(ReportFormat.label(load.outcome)) (\(load.measured))")
        if let problem = report.problem {
            out += [""] + ReportFormat.wrap("The run CRASHED: \(problem). Console:")
            out += [""] + report.consoleExcerpt.map { "    \($0)" }
            out += [""] + ReportFormat.wrap("Console log and results are kept in \(report.runDirectory).")
        }
        for matrix in report.matrices {
            out += ["", "The \(matrix.path.title):", ""] + table(matrix)
            out += [""] + ReportFormat.wrap("pass/xfail: as expected (xfail: the design's known hole was seen); FAIL: "
                + "a property expected to hold did not; XPASS: an expected hole was not seen; CRASHED: no "
                + "measurement.")
            out += figures(matrix)
            out += differences(matrix)
        }
        out += scenarios(report.scenarios)
        return out
    }

    /// The matrix as a GitHub table, variant rows x property columns.
    static func table(_ matrix: MatrixReport) -> [String] {
        var out = ["| variant | " + matrix.properties.map(ReportFormat.markdownCell).joined(separator: " | ") + " |"]
        out.append("|" + String(repeating: " --- |", count: matrix.properties.count + 1))
        for variant in matrix.variants {
            let labels = matrix.properties.map { ReportFormat.label(matrix[variant, $0]?.outcome ?? .crashed) }
            out.append("| \(ReportFormat.markdownCell(variant.name)) | " + labels.joined(separator: " | ") + " |")
        }
        return out
    }

    /// Table cell text: pipes escaped, line ends folded.
    static func figures(_ matrix: MatrixReport) -> [String] {
        let columns = ReportFormat.figureColumns(matrix)
        guard !columns.isEmpty else { return [] }
        var out = ["", "Figures that answer the review:"]
        for variant in matrix.variants {
            out.append("")
            out.append("- \(variant):")
            for column in columns {
                let value = ReportFormat.figureText(matrix[variant, column.property], column.name, exact: true)
                out += ReportFormat.wrap("\(column.name): \(value)", first: "  - ", rest: "    ")
            }
        }
        return out
    }

    /// Every cell that does not match its expectation, with what was measured against what.
    static func differences(_ matrix: MatrixReport) -> [String] {
        let cells = matrix.cells.filter { !$0.outcome.matchesExpectation }
        guard !cells.isEmpty else { return [] }
        var out = ["", "Cells that differ from their expectation:", ""]
        for cell in cells {
            out += ReportFormat.wrap("\(cell.variant)/\(cell.property) \(ReportFormat.label(cell.outcome)): \(cell.measured)",
                                     first: "- ", rest: "  ")
            if !cell.condition.isEmpty {
                out += ReportFormat.wrap("condition: \(cell.condition)", first: "  ", rest: "    ")
            }
            out += ReportFormat.wrap("expected \(cell.expected.rawValue): \(cell.reason)", first: "  ", rest: "    ")
        }
        return out
    }

    /// The once-only scenarios: their headline figure, then their checks.
    static func scenarios(_ scenarios: [ScenarioReport]) -> [String] {
        guard !scenarios.isEmpty else { return [] }
        var out = ["", "Once-only scenarios:"]
        for scenario in scenarios {
            out.append("")
            let headline = TextReport.summary(scenario).map { ": \($0)" } ?? ""
            out += ReportFormat.wrap("\(scenario.scenario)\(headline)", first: "- ", rest: "  ")
            // Passing guest checks are counted, not listed (zcpool-device has dozens).
            let quiet = scenario.checks.filter { $0.condition == Check.guestCondition && $0.outcome == .pass }
            if quiet.count > 2 {
                out.append("  - pass: \(quiet.count) of \(scenario.checks.count) guest checks ok")
            }
            for check in scenario.checks where quiet.count <= 2 || !quiet.contains(check) {
                let label = ReportFormat.label(check.outcome)
                out += ReportFormat.wrap("\(label) \(check.property) (expect \(check.expected.rawValue)): \(check.measured)",
                                         first: "  - ", rest: "    ")
            }
            if let problem = scenario.problem {
                out += ReportFormat.wrap("CRASHED: \(problem)", first: "  - ", rest: "    ")
            }
        }
        return out
    }
}
