import Foundation
import ZCAnalysis
import ZCCore
import ZCGuest
import ZCKernel
import ZCRun

/// One `zcbench fuzz`: how long, which seed and which variants the guest's zcpool-fuzz runs;
/// or, with `repro`, the few operations a failure printed, replayed instead of fuzzing.
public struct FuzzPlan: Sendable {
    public var seconds: Int
    /// nil: the guest takes one from its clock and reports it.
    public var seed: UInt64?
    public var variants: [Variant]
    /// A bug to inject into zcpool (its `fault` parameter), to see the fuzzer catch it.
    public var fault: String?
    /// Generator states of the operations to replay (a failure's `repro-states` line);
    /// empty: fuzz.
    public var repro: [UInt64]
    /// Run this thread's operations alone, from the seed, instead of every worker.
    public var thread: FuzzThread?
    /// With `thread`: its first `operations` only, the last ``GuestProtocol/Fuzz/traceOperations``
    /// of them printed (else as many as fit in `seconds`).
    public var operations: Int?

    /// Checks the request; `faults` are the module's injectable faults (``ModuleInterface``).
    public init(seconds: Int, seed: UInt64?, variants: [Variant], fault: String? = nil, faults: [String] = [],
                repro: [UInt64] = [], thread: FuzzThread? = nil, operations: Int? = nil) throws {
        guard (1...3600).contains(seconds) else { throw ZCError(.usage, "--seconds must be between 1 and 3600") }
        if let seed, seed == 0 || seed > UInt64(Int64.max) {
            throw ZCError(.usage, "--seed must be between 1 and \(Int64.max)")
        }
        guard !variants.isEmpty else { throw ZCError(.usage, "no variant to fuzz") }
        if let fault, !faults.contains(fault) {
            throw ZCError(.usage, NameError(kind: "fault", name: fault, valid: faults).description)
        }
        let maxRepro = GuestProtocol.Fuzz.maxReproOperations
        guard repro.count <= maxRepro else {
            throw ZCError(.usage, "--repro takes at most \(maxRepro) operations, not \(repro.count)")
        }
        guard !repro.contains(0) else { throw ZCError(.usage, "--repro: a generator state is never 0") }
        guard repro.isEmpty || seed == nil else {
            throw ZCError(.usage, "--repro replays the operations it names; --seed does not apply to it")
        }
        guard thread == nil || (seed != nil && repro.isEmpty) else {
            throw ZCError(.usage, "--thread replays one thread of a seeded run: it needs --seed, and not --repro")
        }
        guard thread != nil || operations == nil else {
            throw ZCError(.usage, "--ops counts the operations of one thread: give --thread too")
        }
        if let operations, operations < 1 { throw ZCError(.usage, "--ops must be at least 1") }
        self.seconds = seconds
        self.seed = seed
        self.variants = variants
        self.fault = fault
        self.repro = repro
        self.thread = thread
        self.operations = operations
    }

    /// The same fuzz, but one thread alone: for the same time, or its first `operations`.
    func alone(_ thread: FuzzThread, variant: Variant, operations: Int? = nil) throws -> FuzzPlan {
        var plan = self
        plan.variants = [variant]
        plan.thread = thread
        plan.operations = operations
        return plan
    }

    /// The generator states of `--repro`: comma-separated hexadecimal, as a failure prints them.
    public static func states(_ text: String) throws -> [UInt64] {
        guard let states = FuzzNote.states(text) else {
            let bad = text.split(separator: ",", omittingEmptySubsequences: false)
                .first { FuzzNote.states(String($0)) == nil } ?? Substring(text)
            throw ZCError(.usage, "--repro: '\(bad)' is not a generator state (non-zero hexadecimal, as a failure's 'repro-states' line prints it)")
        }
        return states
    }

    /// What the guest's zcpool-fuzz is asked to do.
    public var parameters: FuzzParameters {
        FuzzParameters(seconds: seconds, seed: seed, variants: variants.map(\.name), repro: repro,
                       thread: thread?.description, operations: operations,
                       traceFrom: operations.map { max(0, $0 - GuestProtocol.Fuzz.traceOperations) })
    }

    /// The boot: zcpool-fuzz alone, with its parameters (RunPlan has the timeout rule).
    public var runPlan: RunPlan {
        RunPlan(Selection(scenarios: [ScenarioCatalog.named("zcpool-fuzz")!]), fuzz: parameters, fault: fault)
    }

    public func run(_ pipeline: Pipeline, kernel: KernelChoice, options: BootOptions) async throws -> RunReport {
        try await pipeline.run(kernel, plan: runPlan, options: options)
    }

    /// The zcpool-fuzz result of a run.
    static func fuzzScenario(_ report: RunReport) -> ScenarioReport? {
        report.scenarios.first { $0.scenario == "zcpool-fuzz" }
    }

    /// The notes of the zcpool-fuzz result the guest printed about its operations.
    static func notes(_ report: RunReport) -> [FuzzNote] {
        (fuzzScenario(report)?.notes ?? []).compactMap(FuzzNote.init)
    }

    /// The operations a failed variant's minimizer printed (its `repro-states` line), by variant.
    public static func reproducers(_ report: RunReport) -> [(variant: String, states: [UInt64])] {
        notes(report).compactMap { note in
            if case .reproStates(let variant, let states) = note { (variant, states) } else { nil }
        }
    }

    /// Operations per variant, the seed, and the commands that replay what failed.
    public func summary(_ report: RunReport, kernel: KernelChoice) -> String {
        let metrics = Self.fuzzScenario(report)?.metrics ?? Metrics([:])
        let faultOption = fault.map { " --inject-fault \($0)" } ?? ""
        if !repro.isEmpty {
            return "fuzz on \(report.kernel): replayed \(repro.count) operations in \(variants.map(\.name).joined(separator: ", ")): "
                + (report.passed ? "nothing went wrong" : "the failure reproduces")
        }
        let seed = metrics["seed"].map(String.init) ?? "unknown (the guest did not report it)"
        let counts = variants.map(\.name).map { variant in
            "\(variant) \(metrics["\(variant).ops"].map(String.init) ?? "-") (\(metrics["\(variant).failed"].map(String.init) ?? "-") refused)"
        }
        var lines = ["fuzz on \(report.kernel): seed \(seed), \(seconds) s per variant; operations: \(counts.joined(separator: ", "))"]
        if !report.passed {
            lines.append("repeat every thread's operation sequence with: zcbench fuzz \(kernel.options) --seconds \(seconds) --seed \(seed) --variants \(variants.map(\.name).joined(separator: ","))\(faultOption)")
            for (variant, states) in Self.reproducers(report) {
                lines.append("replay the shortest sequence found for \(variant) with: zcbench fuzz \(kernel.options) --variants \(variant)\(faultOption) --repro \(states.map { String($0, radix: 16) }.joined(separator: ","))")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// One fuzzing thread: worker process `process`, its thread `thread` (`P.K` on the command line).
public struct FuzzThread: Sendable, Equatable, CustomStringConvertible {
    public static let processes = GuestProtocol.Fuzz.processes
    public static let threadsPerProcess = GuestProtocol.Fuzz.threadsPerProcess
    public static let all = (0..<processes).flatMap { p in (0..<threadsPerProcess).map { FuzzThread(process: p, thread: $0) } }

    public var process: Int
    public var thread: Int

    init(process: Int, thread: Int) {
        self.process = process
        self.thread = thread
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = Int(parts[0]), let k = Int(parts[1]),
              (0..<Self.processes).contains(p), (0..<Self.threadsPerProcess).contains(k) else {
            throw ZCError(.usage, "--thread '\(text)': expected PROCESS.THREAD, from 0.0 to \(Self.processes - 1).\(Self.threadsPerProcess - 1)")
        }
        self.init(process: p, thread: k)
    }

    public var description: String { "\(process).\(thread)" }
}
