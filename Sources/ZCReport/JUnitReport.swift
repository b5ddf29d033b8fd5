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
            case skipped(message: String)
        }

        var name: String
        var result: Result
        /// Seconds, where known (``VerdictCase/seconds``); written as 0.000 where not.
        var seconds: Double?

        var isFailure: Bool { if case .failure = result { true } else { false } }
        var isError: Bool { if case .error = result { true } else { false } }
        var isSkipped: Bool { if case .skipped = result { true } else { false } }
    }

    /// `zcbench.<release with _ for .>`: Jenkins and GitLab split a classname at its last dot
    /// into package and class, so the release's own dots would split it.
    static func classname(_ report: RunReport) -> String {
        "zcbench.\(report.kernel.replacingOccurrences(of: ".", with: "_"))"
    }

    static func suite(_ report: RunReport, _ cases: [TestCase]) -> [String] {
        let classname = classname(report)
        var out = ["  <testsuite name=\(attribute("zcbench \(report.kernel)")) tests=\"\(cases.count)\""
            + " failures=\"\(cases.filter(\.isFailure).count)\" errors=\"\(cases.filter(\.isError).count)\""
            + " skipped=\"\(cases.filter(\.isSkipped).count)\" time=\"\(time(report.wallSeconds))\">"]
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
            let open = "    <testcase name=\(attribute(testCase.name)) classname=\(attribute(classname)) time=\"\(time(testCase.seconds ?? 0))\""
            switch testCase.result {
            case .passed(let output) where output.isEmpty:
                out.append(open + "/>")
            case .passed(let output):
                out.append(open + ">")
                out.append("      <system-out>\(ReportFormat.escape(output))</system-out>")
                out.append("    </testcase>")
            case .skipped(let message):
                out.append(open + ">")
                out.append("      <skipped message=\(attribute(message))/>")
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

    /// The test cases of one run: ``VerdictCase/all(_:)``, in its order.
    static func cases(_ report: RunReport) -> [TestCase] {
        VerdictCase.all(report).map { verdict in
            var testCase = testCase(verdict)
            testCase.seconds = verdict.seconds
            return testCase
        }
    }

    static func testCase(_ verdict: VerdictCase) -> TestCase {
        let name = verdict.name, measured = verdict.measured, reason = verdict.reason, outcome = verdict.outcome
        if !verdict.details.isEmpty {
            return TestCase(name: name, result: .error(type: outcome.rawValue, message: "CRASHED: \(measured)",
                                                       text: ([measured] + verdict.details).joined(separator: "\n")))
        }
        var details = ["measured: \(measured)"]
        if !verdict.condition.isEmpty { details.append("condition: \(verdict.condition)") }
        if let tolerance = verdict.tolerance, !tolerance.isEmpty { details.append("tolerance: \(tolerance)") }
        let expectation = "expected: \(verdict.expected.rawValue) - \(reason)"
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
        case .skipped:
            return TestCase(name: name, result: .skipped(message: measured))
        }
    }

    static func attribute(_ value: String) -> String { "\"\(ReportFormat.escape(value, attribute: true))\"" }

    static func time(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
