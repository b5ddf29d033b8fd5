import Foundation
import ZCAnalysis
import ZCCore

/// How long each unit (of ``RunPlan/shardUnits``) took on a kernel in its last few runs,
/// by kernel release: what ``RunPlan/parts(_:seconds:)`` deals the next run by, each unit at
/// the median of its runs (one slow run on a loaded host then moves no unit). zcbench keeps
/// it in `out/unit-seconds.json`; without it, a unit's estimate is
/// ``RunPlan/estimatedSeconds(unit:)``.
public struct UnitSeconds: Sendable, Codable, Equatable {
    /// By kernel release and unit, the seconds of its last runs, the newest last.
    public var kernels: [String: [String: [Double]]] = [:]
    /// How many runs of a unit are kept.
    public static let kept = 3

    public init() {}

    /// The file's contents; empty when it is missing or unreadable, or of an older format
    /// (it only guides dealing).
    public static func load(_ url: URL) -> UnitSeconds {
        guard let data = try? Data(contentsOf: url) else { return UnitSeconds() }
        return (try? JSONDecoder().decode(UnitSeconds.self, from: data)) ?? UnitSeconds()
    }

    public func save(_ url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// Each unit's median over its kept runs on `release`.
    public func seconds(release: String) -> [String: Double] {
        (kernels[release] ?? [:]).compactMapValues { runs in runs.isEmpty ? nil : median(runs) }
    }

    /// What `report` measured of each unit, kept as its newest run: the `elapsed_ms` of its
    /// scenarios, or of a variant's cells and of making it the one in force (its reload or
    /// patch).
    public mutating func record(_ report: RunReport) {
        var units = kernels[report.kernel] ?? [:]
        func add(_ unit: String, _ milliseconds: Int64) {
            units[unit, default: []].append(Double(milliseconds) / 1000)
            units[unit] = Array(units[unit]!.suffix(Self.kept))
        }
        func milliseconds(_ metrics: [Metrics]) -> Int64 { metrics.compactMap { $0["elapsed_ms"] }.reduce(0, +) }
        if !report.scenarios.isEmpty { add(RunPlan.scenariosUnit, milliseconds(report.scenarios.map(\.metrics))) }
        for matrix in report.matrices {
            for variant in matrix.variants {
                add(variant.name, milliseconds(matrix.cells.filter { $0.variant == variant }.map(\.metrics))
                    + (matrix.switchMs?[variant.name] ?? 0))
            }
        }
        kernels[report.kernel] = units
    }
}

extension RunPlan {
    /// A rough guess of how long a unit (of ``shardUnits``) keeps one QEMU busy, in
    /// seconds, for dealing units to parts when no run measured it (medians of three checks,
    /// TCG, 6.1, Dec 2026): 0.1 s to reload zcpool and 0.13 s per cell of the simulated
    /// matrix, 0.3 s to switch the livepatch and 0.3 s per cell of the real one; 0.5 s more
    /// where a zombie memcg is expected to stay (the guest watches it for the whole window)
    /// and 0.7 s where a design is expected to fail memory-max or nofail-overshoot (it
    /// reclaims at the limit); 0.5 s per once-only scenario, 1 s for zcpool-variants.
    public func estimatedSeconds(unit: String) -> Double {
        if unit == Self.scenariosUnit {
            return selection.scenarios.reduce(0) { $0 + ($1.name == "zcpool-variants" ? 1 : 0.5) }
        }
        let simulated = selection.variants.contains { $0.name == unit }
        let properties = simulated ? selection.properties : selection.realProperties
        return properties.reduce(simulated ? 0.1 : 0.3) { total, property in
            var seconds = simulated ? 0.13 : 0.3
            let expectsFail = selection.expectations?[unit, property.name]?.expected == .fail
            if property.name == "zombie", expectsFail { seconds += 0.5 }
            if ["memory-max", "nofail-overshoot"].contains(property.name), expectsFail { seconds += 0.7 }
            return total + seconds
        }
    }

    /// This plan dealt into at most `count` parts for as many QEMUs side by side, by
    /// ``deal(_:into:)``, a unit's length being what `seconds` says it took, else its
    /// estimate. Deterministic for the same `seconds`; no part is empty.
    public func parts(_ count: Int, seconds: [String: Double] = [:]) -> [RunPlan] {
        let units = shardUnits
        let owner = Self.deal(units.map { seconds[$0] ?? estimatedSeconds(unit: $0) }, into: max(1, min(count, units.count)))
        return (0..<(owner.max().map { $0 + 1 } ?? 0)).compactMap { part in
            restricted(to: Set(units.indices.filter { owner[$0] == part }.map { units[$0] }))
        }
    }

    /// Which of `count` parts each of `lengths` goes to, so that the longest part is short:
    /// each length, the longest first, to the part with the least so far; then, while one
    /// exists, the move of one length out of the longest part, or the swap of one of its
    /// lengths for a shorter one of another part, that leaves both parts shorter than the
    /// longest was (the best such, the first on ties). Every step lowers the sum of the
    /// parts' squared lengths, so it ends. No part is empty when `count` <= `lengths.count`.
    public static func deal(_ lengths: [Double], into count: Int) -> [Int] {
        var owner = [Int](repeating: 0, count: lengths.count)
        var load = [Double](repeating: 0, count: count)
        let order = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        for index in order {
            let part = load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) }!
            load[part] += lengths[index]
            owner[index] = part
        }
        while true {
            let top = load.indices.max { load[$0] < load[$1] || (load[$0] == load[$1] && $0 > $1) }!
            // A move, unless it would empty the longest part; then each swap.
            let canMove = owner.filter { $0 == top }.count > 1
            var best: (peak: Double, shift: Double, mine: Int, other: Int, theirs: Int?)?
            for mine in lengths.indices where owner[mine] == top {
                for other in load.indices where other != top {
                    let candidates: [Int?] = (canMove ? [nil] : [])
                        + lengths.indices.filter { owner[$0] == other && lengths[$0] < lengths[mine] }.map { $0 }
                    for theirs in candidates {
                        let shift = lengths[mine] - (theirs.map { lengths[$0] } ?? 0)
                        let peak = max(load[top] - shift, load[other] + shift)
                        if peak < load[top] - 1e-9, peak < best?.peak ?? .infinity {
                            best = (peak, shift, mine, other, theirs)
                        }
                    }
                }
            }
            guard let best else { return owner }
            owner[best.mine] = best.other
            if let theirs = best.theirs { owner[theirs] = top }
            load[top] -= best.shift
            load[best.other] += best.shift
        }
    }
}

extension Pipeline {
    /// Where ``UnitSeconds`` are kept.
    public var unitSecondsFile: URL { paths.output.appendingPathComponent("unit-seconds.json") }

    /// Runs each boot's plan in parts (``RunPlan/parts(_:seconds:)``, by the median of what
    /// each unit took in its last runs on that kernel), `jobs` QEMUs at a time, the module built once per
    /// kernel, and merges each kernel's parts into one report, its wall time the longest
    /// part's. Records what each unit took for the next run.
    public func runParallel(_ boots: [(kernel: KernelChoice, plan: RunPlan)], options: BootOptions,
                            jobs: Int) async throws -> [RunReport] {
        var prepared: [Prepared] = []
        for boot in boots { prepared.append(try await prepare(boot.kernel)) }
        var times = UnitSeconds.load(unitSecondsFile)
        let parts = boots.enumerated().flatMap { index, boot in
            boot.plan.parts(jobs, seconds: times.seconds(release: prepared[index].kernel.release.name)).map { (boot: index, plan: $0) }
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
