import ZCAnalysis
import ZCCore
import ZCGuest

/// What one boot runs: the scenarios and matrix it is judged on and, for `zcpool-fuzz`, the
/// fuzzer's parameters. It holds the only rule for how long such a boot may take.
public struct RunPlan: Sendable {
    public var selection: Selection
    public var fuzz: FuzzParameters?
    /// A bug to inject into zcpool (its `fault` parameter) for every load of the module.
    public var fault: String?

    public init(_ selection: Selection, fuzz: FuzzParameters? = nil, fault: String? = nil) {
        self.selection = selection
        self.fuzz = fuzz
        self.fault = fault
    }

    public init(scenarios: [any Scenario], variants: [Variant] = [], properties: [AccountingProperty] = [],
                expectations: ExpectationSet? = nil, designs: [Variant] = [], realProperties: [AccountingProperty] = []) {
        self.init(Selection(scenarios: scenarios, variants: variants, properties: properties, expectations: expectations,
                            designs: designs, realProperties: realProperties))
    }

    /// `scenarios` and the matrix `cells` of either path.
    public init(scenarios: [any Scenario], cells: MatrixCells, expectations: ExpectationSet?) {
        self.init(scenarios: scenarios, variants: cells.variants, properties: cells.properties, expectations: expectations,
                  designs: cells.designs, realProperties: cells.realProperties)
    }

    /// The `zcbench.scenarios` list the guest runs: once-only scenarios first, then the
    /// matrix scenarios, which the guest runs for each of the variants (those of the
    /// simulated path) and each of the designs (those of the real path): a name both paths
    /// measure is listed once.
    public var guestScenarios: [String] {
        var names = selection.scenarios.map(\.name)
        let matrix = (selection.variants.isEmpty ? [] : selection.properties.map(\.name))
            + (selection.designs.isEmpty ? [] : selection.realProperties.map(\.name))
        for name in matrix where !names.contains(name) { names.append(name) }
        return names
    }

    /// How long a boot of this plan may take under TCG. Fuzzing: 90 s for the boot, the
    /// checks and the unload, the fuzzing time with half again for the checks of each
    /// variant, and the guest's time for minimizing a failure (a replay: 10 s per variant).
    /// Otherwise 120 s for boot and the short scenarios, plus 60 s for zcpool-variants and
    /// 30 s per variant of a matrix (about 5 s are measured per variant with forced stats
    /// flushes), and for each cgroup sample (about 20 per variant, 10 in zcpool-variants)
    /// the settle wait; 30 s per real-path design (about 1 s measured per design: a
    /// transfer of 32 MiB per property).
    public func defaultTimeout(settle: Duration = .zero) -> Duration {
        if let fuzz {
            if !fuzz.repro.isEmpty { return .seconds(90 + 10 * fuzz.variants.count) }
            return .seconds(90 + fuzz.seconds * fuzz.variants.count * 3 / 2 + GuestProtocol.Fuzz.minimizeSeconds)
        }
        var seconds = 120.0
        if selection.scenarios.contains(where: { $0.name == "zcpool-variants" }) { seconds += 60 + 10 * settle.seconds }
        if !selection.properties.isEmpty { seconds += Double(selection.variants.count) * (30 + 20 * settle.seconds) }
        if !selection.realProperties.isEmpty { seconds += Double(selection.designs.count) * (30 + 10 * settle.seconds) }
        return .seconds(seconds)
    }

    /// The runner's own limit for a boot of `timeout`: init stops the runner 10 s before the
    /// host stops QEMU, so what it measured so far and its exit status still reach the
    /// results port. None under 30 s.
    public static func runnerTimeout(_ timeout: Duration) -> Int64? {
        timeout >= .seconds(30) ? timeout.components.seconds - 10 : nil
    }

    /// The `zcbench.*` parameters of a boot of this plan.
    public func guestParameters(options: BootOptions, timeout: Duration) -> GuestParameters {
        var parameters = GuestParameters()
        parameters.scenarios = guestScenarios
        parameters.variants = selection.variants.map(\.name)
        parameters.tcpDesigns = selection.designs.map(\.name)
        parameters.sizeMiB = options.sizeMiB
        parameters.settleMilliseconds = options.settleMilliseconds
        parameters.flushStats = options.flushStats
        parameters.fuzz = fuzz
        parameters.fault = fault
        parameters.runnerTimeoutSeconds = Self.runnerTimeout(timeout)
        return parameters
    }

    /// Refuses a plan whose expectations leave a (variant, property) unjudged.
    public func validate() throws {
        guard !selection.variants.isEmpty || !selection.designs.isEmpty else { return }
        guard let expectations = selection.expectations else {
            throw ZCError(.usage, "variants given without an expectations file")
        }
        let missing = expectations.missing(variants: selection.variants.map(\.name), properties: selection.properties.map(\.name))
            + expectations.missing(variants: selection.designs.map(\.name), properties: selection.realProperties.map(\.name))
        guard missing.isEmpty else {
            throw ZCError(.usage, "\(expectations.file) has no expectation for \(missing.joined(separator: ", "))")
        }
    }
}

extension RunPlan {
    /// The unit that stands for a plan's once-only scenarios, all of which a shard runs.
    public static let scenariosUnit = "scenarios"

    /// What this plan's work on one kernel splits into for ``ZCAnalysis/Shard``: the once-only
    /// scenarios together, then each design of the simulated path, then each of the real path.
    public var shardUnits: [String] {
        (selection.scenarios.isEmpty ? [] : [Self.scenariosUnit]) + selection.variants.map(\.name) + selection.designs.map(\.name)
    }

    /// The plan cut to `units` (of ``shardUnits``); nil when none of its work is left.
    public func restricted(to units: Set<String>) -> RunPlan? {
        var plan = self
        if !units.contains(Self.scenariosUnit) { plan.selection.scenarios = [] }
        plan.selection.variants = selection.variants.filter { units.contains($0.name) }
        plan.selection.designs = selection.designs.filter { units.contains($0.name) }
        return plan.selection.scenarios.isEmpty && plan.selection.variants.isEmpty && plan.selection.designs.isEmpty ? nil : plan
    }
}
