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
    /// How long it took, where the guest timed it: a matrix cell's scenario (the runner's
    /// `elapsed_ms`), a once-only scenario's on its first check (its checks are one run),
    /// the module load as the boot phase; a crashed run its wall time.
    public var seconds: Double?
    /// A matrix cell's metrics, every figure's source; nil for the other cases.
    public var metrics: Metrics?

    /// The cases of `report`, in report order.
    public static func all(_ report: RunReport) -> [VerdictCase] {
        var cases: [VerdictCase] = []
        func seconds(_ metrics: Metrics) -> Double? { metrics["elapsed_ms"].map { Double($0) / 1000 } }
        if let problem = report.problem {
            var run = VerdictCase(name: "run", outcome: .crashed, expected: .pass, measured: problem, condition: "",
                                  reason: "the guest runs to its end",
                                  details: report.consoleExcerpt.map { "  | \($0)" }
                                      + ["console log and results kept in \(report.runDirectory)"])
            run.seconds = report.wallSeconds
            cases.append(run)
        }
        var load = VerdictCase(check: report.moduleLoad, name: "module-load")
        load.seconds = report.phases.boot
        cases.append(load)
        for scenario in report.scenarios {
            var checks = scenario.checks.map { VerdictCase(check: $0, name: "\(scenario.scenario)/\($0.property)") }
            if !checks.isEmpty {
                for index in checks.indices { checks[index].seconds = 0 }
                checks[0].seconds = seconds(scenario.metrics)
            }
            cases += checks
            if let problem = scenario.problem {
                var crashed = VerdictCase(name: scenario.scenario, outcome: .crashed, expected: .pass, measured: problem,
                                          condition: "", reason: "the scenario reports its checks")
                crashed.seconds = checks.isEmpty ? seconds(scenario.metrics) : 0
                cases.append(crashed)
            }
        }
        for cell in report.matrices.flatMap(\.cells) {
            var verdict = VerdictCase(name: "\(cell.variant)/\(cell.property)", outcome: cell.outcome, expected: cell.expected,
                                      measured: cell.measured, condition: cell.condition, reason: cell.reason,
                                      tolerance: cell.tolerance)
            verdict.seconds = seconds(cell.metrics)
            verdict.metrics = cell.metrics
            cases.append(verdict)
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
