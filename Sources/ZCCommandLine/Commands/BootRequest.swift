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

    /// The parts of each boot for `jobs` QEMUs: its units dealt round-robin (a part per
    /// job, none empty), as ``parallelReports(_:)`` runs them.
    var parts: [(boot: Int, plan: RunPlan)] {
        boots.enumerated().flatMap { index, boot in
            let units = boot.plan.shardUnits
            return (0..<min(jobs, units.count)).compactMap { part in
                boot.plan.restricted(to: Set(units.indices.filter { $0 % jobs == part }.map { units[$0] })).map { (index, $0) }
            }
        }
    }

    /// Builds for each kernel once, boots the parts `jobs` at a time, and merges each
    /// kernel's parts into one report, its wall time the longest part's.
    func parallelReports(_ pipeline: Pipeline) async throws -> [RunReport] {
        let boots = self.boots, parts = self.parts
        var prepared: [Pipeline.Prepared] = []
        for boot in boots { prepared.append(try await pipeline.prepare(boot.kernel)) }
        for part in parts { try part.plan.validate() }
        let options = self.options
        var results: [(index: Int, report: RunReport)] = []
        try await withThrowingTaskGroup(of: (Int, RunReport).self) { group in
            var next = 0
            func start() {
                let index = next, part = parts[index], kernel = prepared[part.boot]
                group.addTask { (index, try await pipeline.run(kernel, plan: part.plan, options: options)) }
                next += 1
            }
            while next < min(jobs, parts.count) { start() }
            while let result = try await group.next() {
                results.append(result)
                if next < parts.count { start() }
            }
        }
        let module = try pipeline.module(on: kernels)
        return try boots.indices.map { bootIndex in
            let mine = results.filter { parts[$0.index].boot == bootIndex }.sorted { $0.index < $1.index }.map(\.report)
            do {
                guard var report = try RunReport.merged(mine, scenarioOrder: ScenarioCatalog.names,
                                                        designOrder: module.allDesigns, propertyOrder: AccountingProperty.allNames).first
                else { throw ZCError(.protocolError, "no report for \(boots[bootIndex].kernel.options)") }
                report.wallSeconds = mine.map(\.wallSeconds).max() ?? 0
                // Fetched and built once, not once per part.
                report.phases.kernel = prepared[bootIndex].kernelSeconds
                report.phases.build = prepared[bootIndex].buildSeconds
                report.shard = shard
                return report
            } catch let error as MergeError {
                throw ZCError(.protocolError, error.description)
            }
        }
    }
}
