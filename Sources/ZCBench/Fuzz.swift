import ZCAnalysis
import Foundation
import ZCCore
import ZCKernel

/// One `zcbench fuzz`: how long, which seed and which variants the guest's zcpool-fuzz runs.
public struct FuzzPlan: Sendable {
    public var seconds: Int
    /// nil: the guest takes one from its clock and reports it.
    public var seed: UInt64?
    public var variants: [String]

    public init(seconds: Int, seed: UInt64?, variants: [String]) throws {
        guard (1...3600).contains(seconds) else { throw ZCError(.usage, "--seconds must be between 1 and 3600") }
        if let seed, seed == 0 || seed > UInt64(Int64.max) {
            throw ZCError(.usage, "--seed must be between 1 and \(Int64.max)")
        }
        guard !variants.isEmpty else { throw ZCError(.usage, "no variant to fuzz") }
        self.seconds = seconds
        self.seed = seed
        self.variants = variants
    }

    /// The boot: zcpool-fuzz alone, its parameters on the command line, and a timeout of
    /// the fuzzing time plus a minute and a half for the boot, the checks and the unload.
    public var options: BootOptions {
        var options = BootOptions()
        options.guestParameters = ["fuzz_seconds": "\(seconds)", "fuzz_variants": variants.joined(separator: ",")]
        if let seed { options.guestParameters["fuzz_seed"] = "\(seed)" }
        options.timeout = .seconds(90 + seconds * variants.count * 3 / 2)
        return options
    }

    public func run(_ bench: Bench, series: KernelSeries) async throws -> RunReport {
        try await bench.run(.series(series), plan: RunPlan(scenarios: [ScenarioCatalog.named("zcpool-fuzz")!]),
                            options: options)
    }

    /// Operations per variant, the seed, and the command that replays the same sequences.
    public func summary(_ report: RunReport, series: KernelSeries) -> String {
        let metrics = report.scenarios.first { $0.scenario == "zcpool-fuzz" }?.metrics ?? Metrics([:])
        let seed = metrics["seed"].map(String.init) ?? "unknown (the guest did not report it)"
        let counts = variants.map { variant in
            "\(variant) \(metrics["\(variant).ops"].map(String.init) ?? "-") (\(metrics["\(variant).failed"].map(String.init) ?? "-") refused)"
        }
        var lines = ["fuzz on \(report.kernel): seed \(seed), \(seconds) s per variant; operations: \(counts.joined(separator: ", "))"]
        if !report.passed {
            lines.append("reproduce the same operation sequences with: zcbench fuzz --series \(series.rawValue) --seconds \(seconds) --seed \(seed) --variant \(variants.joined(separator: ","))")
        }
        return lines.joined(separator: "\n")
    }
}
