/// One of N parts of a command's work (`--shard K/N`), for CI engines that run the parts on
/// machines of their own: the work is a list of units (per kernel, in order: the once-only
/// scenarios, each design of the simulated path, each design of the real path), and unit
/// i (counted over all kernels) belongs to shard i mod N + 1. The same command line gives
/// the same units, so N machines with K = 1...N cover them all exactly once, and
/// `zcbench report --merge` puts their JSON back together.
public struct Shard: Sendable, Equatable, Codable, CustomStringConvertible {
    /// 1...count.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1, (1...count).contains(index) else { throw ShardError(text: "\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// "K/N", 1 <= K <= N.
    public init(parsing text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { throw ShardError(text: text) }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Does unit number `unit` (0-based, over the whole command) belong to this shard?
    public func takes(_ unit: Int) -> Bool { unit % count == index - 1 }
}

/// A `--shard` that is not K/N with 1 <= K <= N.
public struct ShardError: Error, Equatable, CustomStringConvertible, Sendable {
    public var text: String
    public var description: String { "--shard takes K/N with 1 <= K <= N (e.g. 1/2), not '\(text)'" }
}

extension RunReport {
    /// The reports of shards (each kernel's parts in any order) merged into one report per
    /// kernel, in the order the kernels first appear: scenarios in `scenarioOrder`, matrix
    /// rows in `designOrder` and columns in `propertyOrder`, each cell as its shard judged
    /// it. What describes a boot adds up (wall time, phases) or is listed (run directories,
    /// problems). Refuses two parts with the same cell or scenario of a kernel: the shards
    /// of one command never overlap.
    public static func merged(_ reports: [RunReport], scenarioOrder: [String], designOrder: [String],
                              propertyOrder: [String]) throws(MergeError) -> [RunReport] {
        var kernels: [String] = []
        for report in reports where !kernels.contains(report.kernel) { kernels.append(report.kernel) }
        return try kernels.map { kernel throws(MergeError) in
            try merge(reports.filter { $0.kernel == kernel }, scenarioOrder: scenarioOrder, designOrder: designOrder,
                      propertyOrder: propertyOrder)
        }
    }

    static func merge(_ parts: [RunReport], scenarioOrder: [String], designOrder: [String],
                      propertyOrder: [String]) throws(MergeError) -> RunReport {
        var merged = parts[0]
        guard parts.count > 1 else { return merged }
        for part in parts where (part.accelerator, part.cpus, part.sizeMiB) != (merged.accelerator, merged.cpus, merged.sizeMiB) {
            throw MergeError(message: "the parts of \(merged.kernel) ran on different machines' settings (accelerator, vCPUs, size): \(merged.runDirectory) and \(part.runDirectory)")
        }
        // A scenario in several parts (zcpool-fuzz, its designs dealt to shards) is one.
        var scenarios: [ScenarioReport] = []
        for scenario in parts.flatMap(\.scenarios) {
            if let index = scenarios.firstIndex(where: { $0.scenario == scenario.scenario }) {
                scenarios[index] = scenarios[index].merging(scenario)
            } else {
                scenarios.append(scenario)
            }
        }
        func rank(_ list: [String], _ name: String) -> Int { list.firstIndex(of: name) ?? list.count }
        merged.scenarios = scenarios.enumerated().sorted { a, b in
            (rank(scenarioOrder, a.element.scenario), a.offset) < (rank(scenarioOrder, b.element.scenario), b.offset)
        }.map(\.element)
        merged.matrix = try mergeMatrices(parts.compactMap(\.matrix), designOrder: designOrder, propertyOrder: propertyOrder,
                                          kernel: merged.kernel)
        merged.realPath = try mergeMatrices(parts.compactMap(\.realPath), designOrder: designOrder,
                                            propertyOrder: propertyOrder, kernel: merged.kernel)
        merged.moduleLoad = parts.first { !$0.moduleLoad.outcome.matchesExpectation }?.moduleLoad ?? merged.moduleLoad
        merged.expectationsFile = parts.lazy.compactMap(\.expectationsFile).first
        let troubled = parts.filter { $0.problem != nil }
        merged.problem = troubled.isEmpty ? nil : troubled.map { "\($0.problem!) (\($0.runDirectory))" }.joined(separator: "; ")
        merged.consoleExcerpt = troubled.flatMap(\.consoleExcerpt)
        merged.kernelCrash = parts.lazy.compactMap(\.kernelCrash).first
        merged.runDirectory = parts.map(\.runDirectory).joined(separator: ", ")
        merged.wallSeconds = parts.map(\.wallSeconds).reduce(0, +)
        merged.phases = parts.dropFirst().reduce(merged.phases) { $0.adding($1.phases) }
        merged.guestExitStatus = parts.lazy.compactMap(\.guestExitStatus).first { $0 != 0 } ?? merged.guestExitStatus
        merged.shard = nil
        return merged
    }

    static func mergeMatrices(_ matrices: [MatrixReport], designOrder: [String], propertyOrder: [String],
                              kernel: String) throws(MergeError) -> MatrixReport? {
        guard var merged = matrices.first else { return nil }
        let cells = matrices.flatMap(\.cells)
        var seen = Set<String>()
        for cell in cells where !seen.insert("\(cell.variant)/\(cell.property)").inserted {
            throw MergeError(message: "cell \(cell.variant)/\(cell.property) of \(kernel) is in two of the reports: they are not shards of one command")
        }
        func rank(_ list: [String], _ name: String) -> Int { list.firstIndex(of: name) ?? list.count }
        var variants: [Variant] = []
        for variant in matrices.flatMap(\.variants) where !variants.contains(variant) { variants.append(variant) }
        var properties: [String] = []
        for property in matrices.flatMap(\.properties) where !properties.contains(property) { properties.append(property) }
        merged.variants = variants.enumerated().sorted { (rank(designOrder, $0.element.name), $0.offset) < (rank(designOrder, $1.element.name), $1.offset) }
            .map(\.element)
        merged.properties = properties.enumerated().sorted { (rank(propertyOrder, $0.element), $0.offset) < (rank(propertyOrder, $1.element), $1.offset) }
            .map(\.element)
        merged.cells = merged.variants.flatMap { variant in
            merged.properties.compactMap { property in cells.first { $0.variant == variant && $0.property == property } }
        }
        merged.builtIn = matrices.lazy.compactMap(\.builtIn).first
        let switches = matrices.compactMap(\.switchMs)
        merged.switchMs = switches.isEmpty ? nil : switches.reduce(into: [:]) { all, part in all.merge(part) { first, _ in first } }
        return merged
    }
}

extension ScenarioReport {
    /// This scenario's report and another part's, as one: checks of both (a check both
    /// have - the fuzzer's unload, after each part's designs - is the worse of the two,
    /// measured as both), metrics of both, problems listed.
    public func merging(_ other: ScenarioReport) -> ScenarioReport {
        var merged = self
        for check in other.checks {
            guard let index = merged.checks.firstIndex(where: { $0.property == check.property }) else {
                merged.checks.append(check)
                continue
            }
            let mine = merged.checks[index]
            var worse = check.outcome.severity > mine.outcome.severity ? check : mine
            if mine.measured != check.measured { worse.measured = "\(mine.measured); \(check.measured)" }
            merged.checks[index] = worse
        }
        merged.metrics = Metrics(metrics.values.merging(other.metrics.values) { mine, _ in mine })
        merged.problem = [problem, other.problem].compactMap { $0 }.joined(separator: "; ").nilIfEmpty
        let notes = (self.notes ?? []) + (other.notes ?? [])
        merged.notes = notes.isEmpty ? nil : notes
        return merged
    }
}

extension Outcome {
    /// How bad, for merging: a crash, then a mismatch, then what matches.
    var severity: Int {
        switch self {
        case .pass: 0
        case .xfail: 1
        case .skipped: 2
        case .xpass: 3
        case .fail: 4
        case .crashed: 5
        }
    }
}

/// Reports that are not the shards of one command.
public struct MergeError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

extension Phases {
    /// Each phase summed with `other`'s (a phase neither has stays nil).
    func adding(_ other: Phases) -> Phases {
        func sum(_ a: Double?, _ b: Double?) -> Double? { a == nil && b == nil ? nil : (a ?? 0) + (b ?? 0) }
        var total = Phases()
        total.kernel = sum(kernel, other.kernel)
        total.build = sum(build, other.build)
        total.initramfs = sum(initramfs, other.initramfs)
        total.boot = sum(boot, other.boot)
        total.kernelToInit = sum(kernelToInit, other.kernelToInit)
        total.scenarios = sum(scenarios, other.scenarios)
        total.teardown = sum(teardown, other.teardown)
        return total
    }
}
