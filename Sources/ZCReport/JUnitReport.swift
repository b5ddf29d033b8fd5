import ZCAnalysis
import Foundation

/// JUnit XML for CI: one `<testsuite>` per kernel run, one `<testcase>` for the module load,
/// each check of a once-only scenario and each matrix cell (`<variant>/<property>`).
///
/// A result that matches its expectation passes; an expected failure (xfail) passes with a
/// `<system-out>` saying so. A result that does not match is a `<failure>` (fail, xpass), a
/// missing measurement an `<error>` (crashed), with the measured text and the condition.
public enum JUnitReport {
    public static func xml(_ reports: [RunReport]) -> String {
        let suites = reports.map { ($0, cases($0)) }
        let all = suites.flatMap(\.1)
        var out = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            "<testsuites name=\"zcbench\" tests=\"\(all.count)\" failures=\"\(all.filter(\.isFailure).count)\""
                + " errors=\"\(all.filter(\.isError).count)\" time=\"\(time(reports.map(\.wallSeconds).reduce(0, +)))\">",
        ]
        for (report, cases) in suites {
            out += suite(report, cases)
        }
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    /// One test case and how it came out.
    struct TestCase: Equatable {
        enum Result: Equatable {
            case passed(output: String)
            case failure(type: String, message: String, text: String)
            case error(type: String, message: String, text: String)
        }

        var name: String
        var result: Result

        var isFailure: Bool { if case .failure = result { true } else { false } }
        var isError: Bool { if case .error = result { true } else { false } }
    }

    static func suite(_ report: RunReport, _ cases: [TestCase]) -> [String] {
        let classname = "zcbench.\(report.kernel)"
        var out = ["  <testsuite name=\(attribute(classname)) tests=\"\(cases.count)\""
            + " failures=\"\(cases.filter(\.isFailure).count)\" errors=\"\(cases.filter(\.isError).count)\""
            + " skipped=\"0\" time=\"\(time(report.wallSeconds))\">"]
        let properties: [(String, String?)] = [
            ("kernel", report.kernel), ("series", report.series), ("accelerator", report.accelerator),
            ("cpus", "\(report.cpus)"), ("size_mib", "\(report.sizeMiB)"), ("expectations", report.expectationsFile),
            ("run_directory", report.runDirectory), ("guest_exit_status", report.guestExitStatus.map { "\($0)" }),
        ]
        out.append("    <properties>")
        for case let (name, value?) in properties {
            out.append("      <property name=\(attribute(name)) value=\(attribute(value))/>")
        }
        out.append("    </properties>")
        for testCase in cases {
            let open = "    <testcase name=\(attribute(testCase.name)) classname=\(attribute(classname))"
            switch testCase.result {
            case .passed(let output) where output.isEmpty:
                out.append(open + "/>")
            case .passed(let output):
                out.append(open + ">")
                out.append("      <system-out>\(ReportFormat.escape(output))</system-out>")
                out.append("    </testcase>")
            case .failure(let type, let message, let text), .error(let type, let message, let text):
                let element = testCase.isError ? "error" : "failure"
                out.append(open + ">")
                out.append("      <\(element) type=\(attribute(type)) message=\(attribute(message))>"
                    + "\(ReportFormat.escape(text))</\(element)>")
                out.append("    </testcase>")
            }
        }
        out.append("  </testsuite>")
        return out
    }

    /// The test cases of one run, in report order: the run itself when it crashed, the module
    /// load, the once-only scenarios' checks, then the matrix row by row.
    static func cases(_ report: RunReport) -> [TestCase] {
        var cases: [TestCase] = []
        if let problem = report.problem {
            let console = report.consoleExcerpt.map { "  | \($0)" }
            cases.append(TestCase(name: "run", result: .error(
                type: "crashed", message: "CRASHED: \(problem)",
                text: ([problem] + console + ["console log and results kept in \(report.runDirectory)"])
                    .joined(separator: "\n"))))
        }
        let load = report.moduleLoad
        cases.append(testCase("module-load", outcome: load.outcome, expected: load.expected, measured: load.measured,
                              condition: load.condition, reason: load.reason, tolerance: nil))
        for scenario in report.scenarios {
            for check in scenario.checks {
                cases.append(testCase("\(scenario.scenario)/\(check.property)", outcome: check.outcome,
                                      expected: check.expected, measured: check.measured, condition: check.condition,
                                      reason: check.reason, tolerance: nil))
            }
            if let problem = scenario.problem {
                cases.append(TestCase(name: scenario.scenario, result: .error(
                    type: Outcome.crashed.rawValue, message: "CRASHED: \(problem)", text: problem)))
            }
        }
        for cell in report.matrices.flatMap(\.cells) {
            cases.append(testCase("\(cell.variant)/\(cell.property)", outcome: cell.outcome, expected: cell.expected,
                                  measured: cell.measured, condition: cell.condition, reason: cell.reason,
                                  tolerance: cell.tolerance))
        }
        return cases
    }

    static func testCase(_ name: String, outcome: Outcome, expected: Expected, measured: String, condition: String,
                         reason: String, tolerance: String?) -> TestCase {
        var details = ["measured: \(measured)"]
        if !condition.isEmpty { details.append("condition: \(condition)") }
        if let tolerance, !tolerance.isEmpty { details.append("tolerance: \(tolerance)") }
        let expectation = "expected: \(expected.rawValue) - \(reason)"
        switch outcome {
        case .pass:
            return TestCase(name: name, result: .passed(output: details.joined(separator: "\n")))
        case .xfail:
            return TestCase(name: name, result: .passed(output: (["expected failure: \(reason)"] + details)
                .joined(separator: "\n")))
        case .fail:
            return TestCase(name: name, result: .failure(
                type: outcome.rawValue, message: "FAIL: \(measured)",
                text: (details + [expectation]).joined(separator: "\n")))
        case .xpass:
            return TestCase(name: name, result: .failure(
                type: outcome.rawValue, message: "XPASS: expected to fail, but it held: \(measured)",
                text: (details + [expectation]).joined(separator: "\n")))
        case .crashed:
            return TestCase(name: name, result: .error(
                type: outcome.rawValue, message: "CRASHED: \(measured)",
                text: (details + [expectation]).joined(separator: "\n")))
        }
    }

    static func attribute(_ value: String) -> String { "\"\(ReportFormat.escape(value, attribute: true))\"" }

    static func time(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
