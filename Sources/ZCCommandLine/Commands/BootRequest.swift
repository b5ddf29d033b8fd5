import ZCAnalysis
import ZCCore
import ZCRun

/// What `run` and `check` were asked, checked and typed: the kernels, the plan of each
/// boot, the boot options.
public struct BootRequest: Sendable {
    public var kernels: [KernelChoice]
    public var plan: RunPlan
    public var options: BootOptions
    /// Only this part of the work (``ZCAnalysis/Shard``), if the command is split.
    public var shard: Shard?
    /// How many QEMUs may run at once: each kernel's work is split into this many parts
    /// (as shards are), booted side by side, and merged back into one report per kernel.
    public var jobs = 1

    /// The boots of this request: each kernel with the plan, or, sharded, with the part of
    /// it that is this shard's (a kernel with none left is not booted).
    public var boots: [(kernel: KernelChoice, plan: RunPlan)] {
        guard let shard else { return kernels.map { ($0, plan) } }
        var unit = 0
        return kernels.compactMap { kernel in
            let units = plan.shardUnits
            let mine = Set(units.indices.filter { shard.takes(unit + $0) }.map { units[$0] })
            unit += units.count
            return plan.restricted(to: mine).map { (kernel, $0) }
        }
    }

    /// Boots each kernel once with its plan and judges it; with `jobs` > 1, in parts.
    func reports(_ pipeline: Pipeline) async throws -> [RunReport] {
        var reports: [RunReport] = []
        if jobs > 1 {
            reports = try await parallelReports(pipeline)
        } else {
            for boot in boots {
                var report = try await pipeline.run(boot.kernel, plan: boot.plan, options: options)
                report.shard = shard
                reports.append(report)
            }
        }
        if let shard, reports.isEmpty {
            pipeline.progress.note("shard \(shard): no work of this command falls to it")
        }
        return reports
    }

    /// Each kernel's plan in parts, booted `jobs` at a time and merged back
    /// (``ZCRun/Pipeline/runParallel(_:options:jobs:)``).
    func parallelReports(_ pipeline: Pipeline) async throws -> [RunReport] {
        try await pipeline.runParallel(boots, options: options, jobs: jobs).map {
            var report = $0
            report.shard = shard
            return report
        }
    }
}
