import ZCAnalysis

/// The host's verdicts as KTAP (Documentation/dev-tools/ktap.rst), for KTAP consumers such as
/// the kernel's own `tools/testing/kunit/kunit.py parse`: one test per kernel run, its
/// subtests the cases of ``VerdictCase/all(_:)``, each line saying what zcbench judged, not
/// only whether the guest measured (results.ktap, the guest's raw data, stays as it is).
///
///     pass      ok N name
///     xfail     ok N name # XFAIL <why the failure is expected>
///     fail      not ok N name                  (measured and condition as diagnostics)
///     xpass     not ok N name # XPASS <what held>
///     crashed   not ok N name # ERROR <why nothing was measured>
///     skipped   ok N name # SKIP <why it was not measured>
///
/// A kernel's test is `ok` when every case matches its expectation (``RunReport/passed``).
public enum VerdictKTAP {
    public static func document(_ reports: [RunReport]) -> String {
        var lines = ["KTAP version 1", "# zcbench verdicts: one test per kernel, one subtest per judged case", "1..\(reports.count)"]
        for (index, report) in reports.enumerated() {
            let cases = VerdictCase.all(report)
            lines += ["    KTAP version 1", "    # Subtest: \(text(report.kernel))", "    1..\(cases.count)"]
            for (number, verdict) in zip(1..., cases) {
                lines += self.lines(verdict, number: number).map { "    \($0)" }
            }
            lines.append("\(report.passed ? "ok" : "not ok") \(index + 1) \(text(report.kernel))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The result line of one case, after the diagnostics that explain a mismatch.
    static func lines(_ verdict: VerdictCase, number: Int) -> [String] {
        let name = text(verdict.name)
        var diagnostics: [String] = []
        if !verdict.outcome.matchesExpectation {
            diagnostics.append("# \(name): measured: \(text(verdict.measured))")
            if !verdict.condition.isEmpty { diagnostics.append("# \(name): condition: \(text(verdict.condition))") }
            diagnostics.append("# \(name): expected \(verdict.expected.rawValue): \(text(verdict.reason))")
            diagnostics += verdict.details.map { "# \(text($0))" }
        }
        let result = switch verdict.outcome {
        case .pass: "ok \(number) \(name)"
        case .xfail: "ok \(number) \(name) # XFAIL \(text(verdict.reason))"
        case .fail: "not ok \(number) \(name)"
        case .xpass: "not ok \(number) \(name) # XPASS expected to fail, but it held: \(text(verdict.measured))"
        case .crashed: "not ok \(number) \(name) # ERROR \(text(verdict.measured))"
        case .skipped: "ok \(number) \(name) # SKIP \(text(verdict.measured))"
        }
        return diagnostics + [result]
    }

    /// One line of text: no line breaks, and no `#` in a name or a directive's text, where
    /// a parser would take it for the start of a directive.
    static func text(_ value: String) -> String {
        value.map { $0.isNewline ? " " : ($0 == "#" ? "nr." : String($0)) }.joined()
    }
}
