import Foundation
import ZCAnalysis
import ZCCore

/// How long each unit (of ``RunPlan/shardUnits``) took on a kernel the last time it ran,
/// by kernel release: what ``RunPlan/parts(_:seconds:)`` deals the next run by. zcbench
/// keeps it in `out/unit-seconds.json`; without it, a unit's estimate is
/// ``RunPlan/estimatedSeconds(unit:)``.
public struct UnitSeconds: Sendable, Codable, Equatable {
    public var kernels: [String: [String: Double]] = [:]

    public init() {}

    /// The file's contents; empty when it is missing or unreadable (it only guides dealing).
    public static func load(_ url: URL) -> UnitSeconds {
        guard let data = try? Data(contentsOf: url) else { return UnitSeconds() }
        return (try? JSONDecoder().decode(UnitSeconds.self, from: data)) ?? UnitSeconds()
    }

    public func save(_ url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// What `report` measured of each unit: its scenarios' and its cells' `elapsed_ms`.
    public mutating func record(_ report: RunReport) {
        var units = kernels[report.kernel] ?? [:]
        func seconds(_ metrics: [Metrics]) -> Double { Double(metrics.compactMap { $0["elapsed_ms"] }.reduce(0, +)) / 1000 }
        if !report.scenarios.isEmpty { units[RunPlan.scenariosUnit] = seconds(report.scenarios.map(\.metrics)) }
        for matrix in report.matrices {
            for variant in matrix.variants {
                units[variant.name] = seconds(matrix.cells.filter { $0.variant == variant }.map(\.metrics))
            }
        }
        kernels[report.kernel] = units
    }
}

extension RunPlan {
    /// A rough guess of how long a unit (of ``shardUnits``) keeps one QEMU busy, in
    /// seconds, for dealing units to parts when no run measured it: about 0.25 s per cell
    /// of the simulated matrix and 0.4 s of the real one (TCG, 6.1, Dec 2026), 0.5 s more
    /// where a zombie memcg is expected to stay (the guest watches it for the whole
    /// window), and about 1 s per once-only scenario, 2 s for zcpool-variants.
    public func estimatedSeconds(unit: String) -> Double {
        if unit == Self.scenariosUnit {
            return selection.scenarios.reduce(0) { $0 + ($1.name == "zcpool-variants" ? 2 : 1) }
        }
        let simulated = selection.variants.contains { $0.name == unit }
        let properties = simulated ? selection.properties : selection.realProperties
        return properties.reduce(0.2) { total, property in
            var seconds = simulated ? 0.25 : 0.4
            if property.name == "zombie", selection.expectations?[unit, property.name]?.expected == .fail { seconds += 0.5 }
            return total + seconds
        }
    }

    /// This plan dealt into at most `count` parts for as many QEMUs side by side: each unit,
    /// the longest first, to the part with the least work so far, a unit's length being
    /// what `seconds` says it took last time, else its estimate. Deterministic for the same
    /// `seconds`; no part is empty.
    public func parts(_ count: Int, seconds: [String: Double] = [:]) -> [RunPlan] {
        let units = shardUnits
        let length = units.map { seconds[$0] ?? estimatedSeconds(unit: $0) }
        let order = units.indices.sorted { length[$0] > length[$1] || (length[$0] == length[$1] && $0 < $1) }
        var load = [Double](repeating: 0, count: max(1, min(count, units.count)))
        var mine = [Set<String>](repeating: [], count: load.count)
        for index in order {
            let part = load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) }!
            load[part] += length[index]
            mine[part].insert(units[index])
        }
        return mine.compactMap { restricted(to: $0) }
    }
}

extension Pipeline {
    /// Where ``UnitSeconds`` are kept.
    public var unitSecondsFile: URL { paths.output.appendingPathComponent("unit-seconds.json") }

    /// Runs each boot's plan in parts (``RunPlan/parts(_:seconds:)``, by what each unit
    /// took last time on that kernel), `jobs` QEMUs at a time, the module built once per
    /// kernel, and merges each kernel's parts into one report, its wall time the longest
    /// part's. Records what each unit took for the next run.
    public func runParallel(_ boots: [(kernel: KernelChoice, plan: RunPlan)], options: BootOptions,
                            jobs: Int) async throws -> [RunReport] {
        var prepared: [Prepared] = []
        for boot in boots { prepared.append(try await prepare(boot.kernel)) }
        var times = UnitSeconds.load(unitSecondsFile)
        let parts = boots.enumerated().flatMap { index, boot in
            boot.plan.parts(jobs, seconds: times.kernels[prepared[index].kernel.release.name] ?? [:]).map { (boot: index, plan: $0) }
        }
        for part in parts { try part.plan.validate() }
        var results: [(index: Int, report: RunReport)] = []
        try await withThrowingTaskGroup(of: (Int, RunReport).self) { group in
            var next = 0
            func start() {
                let index = next, part = parts[index], kernel = prepared[part.boot]
                group.addTask { (index, try await self.run(kernel, plan: part.plan, options: options)) }
                next += 1
            }
            while next < min(jobs, parts.count) { start() }
            while let result = try await group.next() {
                results.append(result)
                if next < parts.count { start() }
            }
        }
        for result in results where result.report.passed { times.record(result.report) }
        do {
            try times.save(unitSecondsFile)
        } catch {
            progress.note("cannot keep what each unit took in \(unitSecondsFile.path): \(error.localizedDescription)")
        }
        let module = try module(on: boots.map(\.kernel))
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
                return report
            } catch let error as MergeError {
                throw ZCError(.protocolError, error.description)
            }
        }
    }
}
