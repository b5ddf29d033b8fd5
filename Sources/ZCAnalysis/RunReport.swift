import Foundation
import ZCGuest

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
    /// The (variant x property) matrix of the simulated path, when the plan had variants.
    public var matrix: MatrixReport?
    /// The (design x property) matrix of the real path, when the plan had designs.
    public var realPath: MatrixReport?
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
    /// The shard (`--shard K/N`) this run was, if the command was split.
    public var shard: Shard?

    /// Both matrices, the simulated path's first, where the plan had them.
    public var matrices: [MatrixReport] { [matrix, realPath].compactMap { $0 } }

    /// The cell of `variant` (either path's) and `property`.
    public func cell(_ variant: Variant, _ property: String) -> MatrixCell? {
        matrices.lazy.compactMap { $0[variant, property] }.first
    }

    /// True only when every check of every scenario matches its expectation.
    public var passed: Bool {
        problem == nil && moduleLoad.outcome.matchesExpectation && (!scenarios.isEmpty || !matrices.isEmpty)
            && scenarios.allSatisfy(\.passed) && matrices.allSatisfy(\.passed)
    }

    /// True when some result is missing: a crash, a hang, a module that did not load, a
    /// scenario or matrix cell without a measurement.
    public var unmeasured: Bool {
        problem != nil || moduleLoad.outcome == .crashed || !moduleLoad.outcome.matchesExpectation
            || scenarios.contains { $0.problem != nil || $0.checks.contains { $0.outcome == .crashed } }
            || matrices.contains { $0.cells.contains { $0.outcome == .crashed } }
    }

    /// Judges what one boot left, `output`, against what it was asked to run, `selection`.
    public init(judging output: GuestOutput, selection: Selection, context: RunContext) {
        kernel = context.kernel
        series = context.series
        accelerator = context.accelerator
        cpus = context.cpus
        sizeMiB = context.sizeMiB
        runDirectory = context.runDirectory
        phases = context.phases
        wallSeconds = context.wallSeconds
        guestExitStatus = output.results.exitStatus
        guestMemory = output.results.diagnostics.lazy.compactMap(GuestMemory.init(diagnostic:)).first
        problem = output.failure
        consoleExcerpt = problem == nil ? [] : output.failureExcerpt
        kernelCrash = output.crash?.line.trimmingCharacters(in: .whitespaces)

        let load = output.results.tests.first { $0.name == "module-load" }
        let loadDiagnostics = load?.diagnostics.joined(separator: "; ") ?? ""
        moduleLoad = Check(
            property: "module-load", expected: .pass,
            outcome: load.map { $0.result == .missing ? .crashed : .of(holds: $0.result == .ok, expected: .pass) } ?? .crashed,
            measured: load == nil ? "no result" : (loadDiagnostics.isEmpty ? "\(load!.result)" : loadDiagnostics),
            condition: "zcpool.ko loads", reason: "every scenario runs with the module present")
        scenarios = selection.scenarios.map { scenario in
            guard let test = output.results.tests.first(where: { $0.name == scenario.name }) else {
                return ScenarioReport(scenario: scenario.name, metrics: Metrics([:]), checks: [],
                                      problem: "the guest reported no result for this scenario")
            }
            return scenario.evaluate(test, expectations: selection.expectations)
        }
        if !selection.variants.isEmpty, let expectations = selection.expectations {
            matrix = MatrixReport(results: output.results, variants: selection.variants, properties: selection.properties,
                                  expectations: expectations)
            expectationsFile = expectations.file
        }
        if !selection.designs.isEmpty, let expectations = selection.expectations {
            realPath = MatrixReport(results: output.results, variants: selection.designs, properties: selection.realProperties,
                                    expectations: expectations, path: .real)
            realPath?.builtIn = context.kernelDesign.map { Variant($0) }
            expectationsFile = expectations.file
        }
    }
}

/// What a boot was, besides what the guest said: the kernel, the machine, where its files
/// are and how long it took.
public struct RunContext: Sendable, Equatable {
    public var kernel: String
    public var series: String?
    public var accelerator: String
    public var cpus: Int
    public var sizeMiB: Int
    public var runDirectory: String
    public var wallSeconds: Double
    public var phases: Phases
    /// The real-path design built into the kernel (a patched `zcbench kernel build`).
    public var kernelDesign: String?

    public init(kernel: String, series: String?, accelerator: String, cpus: Int, sizeMiB: Int, runDirectory: String,
                wallSeconds: Double, phases: Phases, kernelDesign: String? = nil) {
        self.kernelDesign = kernelDesign
        self.kernel = kernel
        self.series = series
        self.accelerator = accelerator
        self.cpus = cpus
        self.sizeMiB = sizeMiB
        self.runDirectory = runDirectory
        self.wallSeconds = wallSeconds
        self.phases = phases
    }
}

/// What the guest left: its results (ttyS1), its console (ttyS0), and whether the host had
/// to stop it.
public struct GuestOutput: Sendable, Equatable {
    public var results: KTAPDocument
    public var console: ConsoleLog
    /// QEMU was stopped at the timeout.
    public var timedOut: Bool
    /// The first panic, Oops, BUG or WARNING in the console, if any.
    public var crash: ConsoleLog.Crash?

    public init(results: KTAPDocument, console: ConsoleLog, timedOut: Bool) {
        self.results = results
        self.console = console
        self.timedOut = timedOut
        crash = console.firstCrash()
    }

    /// Why this run cannot be trusted, or nil when the guest finished cleanly.
    public var failure: String? {
        if let crash { return "the guest kernel reported a \(crash.kind): \(crash.line.trimmingCharacters(in: .whitespaces))" }
        if timedOut { return "the guest did not finish within the timeout; QEMU was stopped" }
        if results.exitStatus == 137 {
            return "the guest stopped the runner at its timeout (zcbench.runner_timeout_s); results up to then are kept"
        }
        if !results.isComplete || results.exitStatus == nil { return "the guest's results end early (no result line or no exit status): it crashed or hung" }
        return nil
    }

    /// The console lines to show with ``failure``.
    public var failureExcerpt: [String] {
        if let crash { return crash.excerpt }
        let tail = console.tail(20)
        return tail.isEmpty ? ["(the console log is empty: the kernel printed nothing)"] : tail
    }
}

/// Wall time of each phase of a run, in seconds; nil for a phase that did not happen.
public struct Phases: Sendable, Codable, Equatable {
    /// Finding (or fetching) the kernel.
    public var kernel: Double?
    /// kbuild and the guest programs (near zero when nothing changed).
    public var build: Double?
    /// Writing the initramfs.
    public var initramfs: Double?
    /// QEMU start until the runner's first result byte (firmware, kernel boot, init, module load).
    public var boot: Double?
    /// Of that, the kernel's own clock when /init started (init's `started at uptime` line).
    public var kernelToInit: Double?
    /// The runner's first result byte until its exit line.
    public var scenarios: Double?
    /// The exit line until QEMU is gone (power-off).
    public var teardown: Double?

    public init() {}

    /// "kernel 0.3 s, build 0.1 s, ..." for the phases that happened.
    public var summary: String {
        [("kernel", kernel), ("build", build), ("initramfs", initramfs), ("boot", boot), ("scenarios", scenarios),
         ("teardown", teardown)]
            .compactMap { name, value in value.map { String(format: "%@ %.1f s", name, $0) } }
            .joined(separator: ", ")
    }
}
