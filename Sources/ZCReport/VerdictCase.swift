import ZCAnalysis

/// One judged case of a run, as every per-case report lists it (JUnit, the verdict KTAP):
/// the run itself when it crashed, the module load, each check of a once-only scenario (and
/// a scenario that crashed), then each matrix cell, row by row.
public struct VerdictCase: Sendable, Equatable {
    public var name: String
    public var outcome: Outcome
    public var expected: Expected
    public var measured: String
    public var condition: String
    public var reason: String
    /// A matrix cell's tolerance; nil for the others.
    public var tolerance: String?
    /// More to say about a crashed run: the console's excerpt, where the logs are.
    public var details: [String] = []

    /// The cases of `report`, in report order.
    public static func all(_ report: RunReport) -> [VerdictCase] {
        var cases: [VerdictCase] = []
        if let problem = report.problem {
            cases.append(VerdictCase(name: "run", outcome: .crashed, expected: .pass, measured: problem, condition: "",
                                     reason: "the guest runs to its end",
                                     details: report.consoleExcerpt.map { "  | \($0)" }
                                         + ["console log and results kept in \(report.runDirectory)"]))
        }
        let load = report.moduleLoad
        cases.append(VerdictCase(check: load, name: "module-load"))
        for scenario in report.scenarios {
            cases += scenario.checks.map { VerdictCase(check: $0, name: "\(scenario.scenario)/\($0.property)") }
            if let problem = scenario.problem {
                cases.append(VerdictCase(name: scenario.scenario, outcome: .crashed, expected: .pass, measured: problem,
                                         condition: "", reason: "the scenario reports its checks"))
            }
        }
        for cell in report.matrices.flatMap(\.cells) {
            cases.append(VerdictCase(name: "\(cell.variant)/\(cell.property)", outcome: cell.outcome, expected: cell.expected,
                                     measured: cell.measured, condition: cell.condition, reason: cell.reason,
                                     tolerance: cell.tolerance))
        }
        return cases
    }

    init(name: String, outcome: Outcome, expected: Expected, measured: String, condition: String, reason: String,
         tolerance: String? = nil, details: [String] = []) {
        self.name = name
        self.outcome = outcome
        self.expected = expected
        self.measured = measured
        self.condition = condition
        self.reason = reason
        self.tolerance = tolerance
        self.details = details
    }

    init(check: Check, name: String) {
        self.init(name: name, outcome: check.outcome, expected: check.expected, measured: check.measured,
                  condition: check.condition, reason: check.reason)
    }
}
