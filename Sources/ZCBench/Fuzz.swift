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

    /// The module's injectable faults (kernel/uapi/zcpool.h, ZCPOOL_FAULT_*).
    public static let faults = ["orphan-leak"]
    /// Most operations `--repro` takes (FUZZ_REPRO_MAX: they go on the kernel command line).
    public static let maxReproOperations = 48
    /// The guest's time for minimizing failures, all variants together (FUZZ_MIN_SECONDS).
    public static let minimizeSeconds = 120

    public init(seconds: Int, seed: UInt64?, variants: [String], fault: String? = nil, repro: [UInt64] = []) throws {
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
        self.seconds = seconds
        self.seed = seed
        self.variants = variants
        self.fault = fault
        self.repro = repro
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

    /// The operations a failed variant's minimizer printed (its `repro-states` line), by variant.
    public static func reproducers(_ report: RunReport) -> [(variant: String, states: [UInt64])] {
        let notes = report.scenarios.first { $0.scenario == "zcpool-fuzz" }?.notes ?? []
        return notes.compactMap { note in
            let words = note.split(separator: " ")
            guard words.count == 3, words[0] == "repro-states",
                  let states = try? Self.states(String(words[2])) else { return nil }
            return (String(words[1]), states)
        }
    }

    /// Operations per variant, the seed, and the commands that replay what failed.
    public func summary(_ report: RunReport, series: KernelSeries) -> String {
        let metrics = report.scenarios.first { $0.scenario == "zcpool-fuzz" }?.metrics ?? Metrics([:])
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
