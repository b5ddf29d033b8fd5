import ZCAnalysis
import Foundation
import ZCCore
import ZCGuest
import ZCQemu

/// Everything one boot measured and concluded, ready for the table and for JSON.
public struct RunReport: Sendable, Codable, Equatable {
    public var kernel: String
    public var series: String?
    public var accelerator: String
    public var cpus: Int
    public var sizeMiB: Int
    /// Did the module load (KTAP test "module-load")?
    public var moduleLoad: Check
    public var scenarios: [ScenarioReport]
    /// The (variant x property) matrix, when the plan had variants.
    public var matrix: MatrixReport?
    /// The expectations file the matrix was judged against.
    public var expectationsFile: String?
    /// Why the whole run is untrustworthy (crash, timeout, truncated results), if it is.
    public var problem: String?
    /// Console lines that go with ``problem``.
    public var consoleExcerpt: [String]
    /// The console line that shows the guest kernel in trouble (panic, BUG, Oops, WARNING,
    /// bad page, lockdep), if one does.
    public var kernelCrash: String?
    /// Where console.log and results.ktap are kept.
    public var runDirectory: String
    public var wallSeconds: Double
    public var phases: Phases
    /// The runner's exit status as the guest reported it.
    public var guestExitStatus: Int?
    /// MemTotal and the lowest MemAvailable the guest saw at a cgroup sample.
    public var guestMemory: GuestMemory?

    /// True only when every check of every scenario matches its expectation.
    public var passed: Bool {
        problem == nil && moduleLoad.outcome.matchesExpectation && (!scenarios.isEmpty || matrix != nil)
            && scenarios.allSatisfy(\.passed) && (matrix?.passed ?? true)
    }

    /// True when some result is missing: a crash, a hang, a module that did not load, a
    /// scenario or matrix cell without a measurement.
    public var unmeasured: Bool {
        problem != nil || moduleLoad.outcome == .crashed || !moduleLoad.outcome.matchesExpectation
            || scenarios.contains { $0.problem != nil || $0.checks.contains { $0.outcome == .crashed } }
            || (matrix?.cells.contains { $0.outcome == .crashed } ?? false)
    }

    /// Judges `run`, which was asked to execute `plan`.
    public init(run: GuestRun, plan: RunPlan, kernel: String, series: String?, options: BootOptions) {
        let scenarios = plan.scenarios
        self.kernel = kernel
        self.series = series
        accelerator = options.accelerator.rawValue
        cpus = options.cpus
        sizeMiB = options.sizeMiB
        runDirectory = run.directory.path
        phases = run.phases
        wallSeconds = run.exit.wallTime.seconds
        guestExitStatus = run.results.exitStatus
        guestMemory = run.results.diagnostics.lazy.compactMap(GuestMemory.init(diagnostic:)).first
        problem = run.failure
        consoleExcerpt = problem == nil ? [] : run.failureExcerpt
        kernelCrash = run.crash?.line.trimmingCharacters(in: .whitespaces)

        let load = run.results.tests.first { $0.name == "module-load" }
        let loadDiagnostics = load?.diagnostics.joined(separator: "; ") ?? ""
        moduleLoad = Check(
            property: "module-load", expected: .pass,
            outcome: load.map { $0.result == .missing ? .crashed : .of(holds: $0.result == .ok, expected: .pass) } ?? .crashed,
            measured: load == nil ? "no result" : (loadDiagnostics.isEmpty ? "\(load!.result)" : loadDiagnostics),
            condition: "zcpool.ko loads", reason: "every scenario runs with the module present")
        self.scenarios = scenarios.map { scenario in
            guard let test = run.results.tests.first(where: { $0.name == scenario.name }) else {
                return ScenarioReport(scenario: scenario.name, metrics: Metrics([:]), checks: [],
                                      problem: "the guest reported no result for this scenario")
            }
            return scenario.evaluate(test)
        }
        if !plan.variants.isEmpty, let expectations = plan.expectations {
            matrix = MatrixReport(results: run.results, variants: plan.variants, properties: plan.properties,
                                  expectations: expectations)
            expectationsFile = expectations.file
        }
    }
}
