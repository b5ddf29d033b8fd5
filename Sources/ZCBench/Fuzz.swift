import ZCAnalysis
import Foundation
import ZCCore
import ZCKernel

/// One `zcbench fuzz`: how long, which seed and which variants the guest's zcpool-fuzz runs;
/// or, with `repro`, the few operations a failure printed, replayed instead of fuzzing.
public struct FuzzPlan: Sendable {
    public var seconds: Int
    /// nil: the guest takes one from its clock and reports it.
    public var seed: UInt64?
    public var variants: [String]
    /// A bug to inject into zcpool (its `fault` parameter), to see the fuzzer catch it.
    public var fault: String?
    /// Generator states of the operations to replay (a failure's `repro-states` line);
    /// empty: fuzz.
    public var repro: [UInt64]
    /// Run this thread's operations alone, from the seed, instead of every worker.
    public var thread: FuzzThread?
    /// With `thread`: its first `operations` only, the last `crashTraceOperations` of them
    /// printed (else as many as fit in `seconds`).
    public var operations: Int?

    /// The module's injectable faults (kernel/uapi/zcpool.h, ZCPOOL_FAULT_*).
    public static let faults = ["orphan-leak", "orphan-oops"]
    /// Most operations `--repro` takes (FUZZ_REPRO_MAX: they go on the kernel command line).
    public static let maxReproOperations = 48
    /// The guest's time for minimizing failures, all variants together (FUZZ_MIN_SECONDS).
    public static let minimizeSeconds = 120

    public init(seconds: Int, seed: UInt64?, variants: [String], fault: String? = nil, repro: [UInt64] = [],
                thread: FuzzThread? = nil, operations: Int? = nil) throws {
        guard (1...3600).contains(seconds) else { throw ZCError(.usage, "--seconds must be between 1 and 3600") }
        if let seed, seed == 0 || seed > UInt64(Int64.max) {
            throw ZCError(.usage, "--seed must be between 1 and \(Int64.max)")
        }
        guard !variants.isEmpty else { throw ZCError(.usage, "no variant to fuzz") }
        if let fault { _ = try validated(fault, kind: "fault", among: Self.faults) }
        guard repro.count <= Self.maxReproOperations else {
            throw ZCError(.usage, "--repro takes at most \(Self.maxReproOperations) operations, not \(repro.count)")
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
    func alone(_ thread: FuzzThread, variant: String, operations: Int? = nil) throws -> FuzzPlan {
        try FuzzPlan(seconds: seconds, seed: seed, variants: [variant], fault: fault, thread: thread, operations: operations)
    }

    /// The generator states of `--repro`: comma-separated hexadecimal, as a failure prints them.
    public static func states(_ text: String) throws -> [UInt64] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { token in
            guard let state = UInt64(token.trimmingCharacters(in: .whitespaces), radix: 16), state != 0 else {
                throw ZCError(.usage, "--repro: '\(token)' is not a generator state (non-zero hexadecimal, as a failure's 'repro-states' line prints it)")
            }
            return state
        }
    }

    /// The boot: zcpool-fuzz alone, its parameters on the command line, and a timeout of
    /// the fuzzing time plus a minute and a half for the boot, the checks and the unload,
    /// plus the time for minimizing a failure.
    public var options: BootOptions {
        var options = BootOptions()
        options.guestParameters = ["fuzz_seconds": "\(seconds)", "fuzz_variants": variants.joined(separator: ",")]
        if let seed { options.guestParameters["fuzz_seed"] = "\(seed)" }
        if let fault { options.guestParameters["fuzz_fault"] = fault }
        if let thread { options.guestParameters["fuzz_thread"] = thread.description }
        if let operations {
            options.guestParameters["fuzz_ops"] = "\(operations)"
            options.guestParameters["fuzz_trace_from"] = "\(max(0, operations - Self.crashTraceOperations))"
        }
        if repro.isEmpty {
            options.timeout = .seconds(90 + seconds * variants.count * 3 / 2 + Self.minimizeSeconds)
        } else {
            options.guestParameters["fuzz_repro"] = repro.map { String($0, radix: 16) }.joined(separator: ",")
            options.timeout = .seconds(90 + 10 * variants.count)
        }
        return options
    }

    public func run(_ bench: Bench, series: KernelSeries) async throws -> RunReport {
        try await bench.run(.series(series), plan: RunPlan(scenarios: [ScenarioCatalog.named("zcpool-fuzz")!]),
                            options: options)
    }

    /// The zcpool-fuzz result of a run.
    static func fuzzScenario(_ report: RunReport) -> ScenarioReport? {
        report.scenarios.first { $0.scenario == "zcpool-fuzz" }
    }

    /// The operations a failed variant's minimizer printed (its `repro-states` line), by variant.
    public static func reproducers(_ report: RunReport) -> [(variant: String, states: [UInt64])] {
        let notes = fuzzScenario(report)?.notes ?? []
        return notes.compactMap { note in
            let words = note.split(separator: " ")
            guard words.count == 3, words[0] == "repro-states",
                  let states = try? Self.states(String(words[2])) else { return nil }
            return (String(words[1]), states)
        }
    }

    /// Operations per variant, the seed, and the commands that replay what failed.
    public func summary(_ report: RunReport, series: KernelSeries) -> String {
        let metrics = Self.fuzzScenario(report)?.metrics ?? Metrics([:])
        let faultOption = fault.map { " --inject-fault \($0)" } ?? ""
        if !repro.isEmpty {
            return "fuzz on \(report.kernel): replayed \(repro.count) operations in \(variants.joined(separator: ", ")): "
                + (report.passed ? "nothing went wrong" : "the failure reproduces")
        }
        let seed = metrics["seed"].map(String.init) ?? "unknown (the guest did not report it)"
        let counts = variants.map { variant in
            "\(variant) \(metrics["\(variant).ops"].map(String.init) ?? "-") (\(metrics["\(variant).failed"].map(String.init) ?? "-") refused)"
        }
        var lines = ["fuzz on \(report.kernel): seed \(seed), \(seconds) s per variant; operations: \(counts.joined(separator: ", "))"]
        if !report.passed {
            lines.append("repeat every thread's operation sequence with: zcbench fuzz --series \(series.rawValue) --seconds \(seconds) --seed \(seed) --variant \(variants.joined(separator: ","))\(faultOption)")
            for (variant, states) in Self.reproducers(report) {
                lines.append("replay the shortest sequence found for \(variant) with: zcbench fuzz --series \(series.rawValue) --variant \(variant)\(faultOption) --repro \(states.map { String($0, radix: 16) }.joined(separator: ","))")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// One fuzzing thread: worker process `process`, its thread `thread` (`P.K` on the command line).
public struct FuzzThread: Sendable, Equatable, CustomStringConvertible {
    /// FUZZ_PROCS and FUZZ_THREADS of vm/zcpool_fuzz.c.
    public static let processes = 2, threadsPerProcess = 2
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

/// A guest kernel crash during a fuzz, narrowed down by booting again: the thread that
/// crashes the kernel on its own and the shortest prefix of its operations that does.
public struct FuzzCrash: Sendable, Equatable {
    public var variant: String
    public var seed: UInt64
    public var thread: FuzzThread
    /// The crashing prefix, in operations.
    public var operations: Int
    /// False when the boots ran out before the bisection ended: a shorter prefix may crash.
    public var shortest: Bool
    /// The console line of the crash, at that prefix.
    public var crash: String
    /// The last operations of the prefix, as the guest printed them before the crash.
    public var trace: [String]
    public var boots: Int
}

/// What narrowing a crash down gave.
public enum FuzzCrashMinimization: Sendable, Equatable {
    case found(FuzzCrash)
    /// Not narrowed down to one thread's operations, and why.
    case unresolved(reason: String, boots: Int)
}

extension FuzzPlan {
    /// At most this many boots to narrow a crash down: 4 threads, a few to find a crashing
    /// prefix, the bisection (17 steps for 100 000 operations), the trace.
    public static let maxCrashBoots = 30
    /// The guest prints how far a thread alone got every FUZZ_PROGRESS_OPS operations.
    static let progressOperations = 256
    /// The operations printed before a crash (of a thread alone with `operations`).
    public static let crashTraceOperations = 16

    /// The variant whose fuzzing crashed the kernel: the first without a baseline result.
    /// nil when `report` is not a kernel crash inside a variant (it finished, or it died
    /// at the unload, or it was a replay).
    public func crashedVariant(_ report: RunReport) -> String? {
        guard repro.isEmpty, thread == nil, report.kernelCrash != nil,
              let fuzz = Self.fuzzScenario(report), fuzz.problem != nil else { return nil }
        let finished = Set(fuzz.checks.map(\.property))
        return variants.first { !finished.contains("\($0)-baseline") }
    }

    /// Narrows a kernel crash of `report` down, one boot per try: each thread alone (from
    /// the same seed, for the same time) until one crashes the kernel, then the shortest
    /// prefix of its operations that still does (bisection), then that prefix once more
    /// with its last operations printed.
    public func minimizeCrash(_ report: RunReport, bench: Bench, series: KernelSeries) async throws -> FuzzCrashMinimization {
        guard let variant = crashedVariant(report) else {
            return .unresolved(reason: "not a kernel crash while fuzzing a variant", boots: 0)
        }
        guard let seed = seed ?? Self.fuzzScenario(report)?.metrics["seed"].map(UInt64.init) else {
            return .unresolved(reason: "the guest crashed before it printed its seed", boots: 0)
        }
        var boots = 0
        let seeded = try FuzzPlan(seconds: seconds, seed: seed, variants: variants, fault: fault)
        func crashes(_ thread: FuzzThread, operations: Int? = nil) async throws -> RunReport? {
            boots += 1
            let plan = try seeded.alone(thread, variant: variant, operations: operations)
            let report = try await plan.run(bench, series: series)
            bench.progress.note("fuzz: crash boot \(boots): thread \(thread) alone, \(operations.map { "first \($0) operations" } ?? "\(seconds) s"): "
                                + (report.kernelCrash ?? "no crash"))
            return report.kernelCrash == nil ? nil : report
        }
        // Which thread crashes it alone, and how far it got (the guest says every 256 operations).
        var found: (thread: FuzzThread, progress: Int)?
        for thread in FuzzThread.all {
            if let alone = try await crashes(thread) {
                let progress = (Self.fuzzScenario(alone)?.notes ?? []).compactMap { note in
                    note.hasPrefix("fuzz-progress ") ? Int(note.dropFirst("fuzz-progress ".count)) : nil
                }.max() ?? 0
                found = (thread, progress)
                break
            }
        }
        guard let (thread, progress) = found else {
            return .unresolved(reason: "no thread crashes the kernel alone in \(seconds) s: it takes the threads' interleaving",
                               boots: boots)
        }
        // A counted prefix that crashes: up to where the guest last said it was and the
        // operations it may have run since; a few doublings if the crash came later.
        var high = progress + Self.progressOperations
        var crashed = try await crashes(thread, operations: high) != nil
        for _ in 0..<3 where !crashed {
            high *= 2
            crashed = try await crashes(thread, operations: high) != nil
        }
        guard crashed else {
            return .unresolved(reason: "thread \(thread) crashes the kernel alone in \(seconds) s, but not with its first \(high) operations",
                               boots: boots)
        }
        var low = 0
        while high - low > 1 && boots < Self.maxCrashBoots - 1 {
            let middle = low + (high - low) / 2
            if try await crashes(thread, operations: middle) != nil { high = middle } else { low = middle }
        }
        let last = try await crashes(thread, operations: high)
        let trace = (last.flatMap(Self.fuzzScenario)?.notes ?? []).filter { $0.hasPrefix("repro \(variant): ") }
        return .found(FuzzCrash(variant: variant, seed: seed, thread: thread, operations: high, shortest: high - low <= 1,
                                crash: last?.kernelCrash ?? report.kernelCrash ?? "", trace: trace, boots: boots))
    }

    /// What `minimizeCrash` found, for people: the prefix, its last operations, the crash and
    /// the command that repeats it.
    public func crashSummary(_ result: FuzzCrashMinimization, series: KernelSeries) -> String {
        switch result {
        case .unresolved(let reason, let boots):
            return "the crash was not narrowed down to one thread (\(boots) boots): \(reason)"
        case .found(let crash):
            let bound = crash.shortest ? "and not with fewer" : "(the boots ran out: fewer may do)"
            var lines = ["the kernel crashes with the first \(crash.operations) operations of process \(crash.thread.process) thread \(crash.thread.thread) alone, \(bound) (\(crash.boots) boots); the last of them:"]
            lines += crash.trace.map { "  \($0)" }
            lines.append("  then: \(crash.crash)")
            lines.append("repeat it with: zcbench fuzz --series \(series.rawValue) --seconds \(seconds) --seed \(crash.seed) --variant \(crash.variant)\(fault.map { " --inject-fault \($0)" } ?? "") --thread \(crash.thread) --ops \(crash.operations)")
            return lines.joined(separator: "\n")
        }
    }
}
