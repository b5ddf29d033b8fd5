import ZCAnalysis
import ZCGuest
import ZCKernel
import ZCRun

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
    /// The variant whose fuzzing crashed the kernel: the first without a baseline result.
    /// nil when `report` is not a kernel crash inside a variant (it finished, or it died
    /// at the unload, or it was a replay).
    public func crashedVariant(_ report: RunReport) -> Variant? {
        guard repro.isEmpty, thread == nil, report.kernelCrash != nil,
              let fuzz = Self.fuzzScenario(report), fuzz.problem != nil else { return nil }
        let finished = Set(fuzz.checks.map(\.property))
        return variants.first { !finished.contains("\($0)-baseline") }
    }

    /// Narrows a kernel crash of `report` down, one boot per try: each thread alone (from
    /// the same seed, for the same time) until one crashes the kernel, then the shortest
    /// prefix of its operations that still does (bisection), then that prefix once more
    /// with its last operations printed.
    public func minimizeCrash(_ report: RunReport, pipeline: Pipeline, kernel: KernelChoice,
                              options: BootOptions) async throws -> FuzzCrashMinimization {
        guard let variant = crashedVariant(report) else {
            return .unresolved(reason: "not a kernel crash while fuzzing a variant", boots: 0)
        }
        guard let seed = seed ?? Self.fuzzScenario(report)?.metrics["seed"].map(UInt64.init) else {
            return .unresolved(reason: "the guest crashed before it printed its seed", boots: 0)
        }
        var boots = 0
        var seeded = self
        seeded.seed = seed
        func crashes(_ thread: FuzzThread, operations: Int? = nil) async throws -> RunReport? {
            boots += 1
            let plan = try seeded.alone(thread, variant: variant, operations: operations)
            let report = try await plan.run(pipeline, kernel: kernel, options: options)
            pipeline.progress.note("fuzz: crash boot \(boots): thread \(thread) alone, \(operations.map { "first \($0) operations" } ?? "\(seconds) s"): "
                                + (report.kernelCrash ?? "no crash"))
            return report.kernelCrash == nil ? nil : report
        }
        // Which thread crashes it alone, and how far it got (the guest says every
        // GuestProtocol.Fuzz.progressOperations operations).
        var found: (thread: FuzzThread, progress: Int)?
        for thread in FuzzThread.all {
            if let alone = try await crashes(thread) {
                let progress = Self.notes(alone).compactMap { note in
                    if case .progress(let count) = note { count } else { nil }
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
        var high = progress + GuestProtocol.Fuzz.progressOperations
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
        let trace = (last.map(Self.notes) ?? []).compactMap { note -> String? in
            guard case .repro(let of, let operation) = note, of == variant.name else { return nil }
            return GuestProtocol.Note.repro + "\(of): \(operation)"
        }
        return .found(FuzzCrash(variant: variant.name, seed: seed, thread: thread, operations: high, shortest: high - low <= 1,
                                crash: last?.kernelCrash ?? report.kernelCrash ?? "", trace: trace, boots: boots))
    }

    /// What `minimizeCrash` found, for people: the prefix, its last operations, the crash and
    /// the command that repeats it.
    public func crashSummary(_ result: FuzzCrashMinimization, kernel: KernelChoice) -> String {
        switch result {
        case .unresolved(let reason, let boots):
            return "the crash was not narrowed down to one thread (\(boots) boots): \(reason)"
        case .found(let crash):
            let bound = crash.shortest ? "and not with fewer" : "(the boots ran out: fewer may do)"
            var lines = ["the kernel crashes with the first \(crash.operations) operations of process \(crash.thread.process) thread \(crash.thread.thread) alone, \(bound) (\(crash.boots) boots); the last of them:"]
            lines += crash.trace.map { "  \($0)" }
            lines.append("  then: \(crash.crash)")
            lines.append("repeat it with: zcbench fuzz \(kernel.options) --seconds \(seconds) --seed \(crash.seed) --variants \(crash.variant)\(fault.map { " --inject-fault \($0)" } ?? "") --thread \(crash.thread) --ops \(crash.operations)")
            return lines.joined(separator: "\n")
        }
    }
}
