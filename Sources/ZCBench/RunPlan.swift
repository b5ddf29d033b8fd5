import ZCAnalysis
import ZCCore

/// What one boot runs: scenarios that run once, and the properties that run once per variant.
public struct RunPlan: Sendable {
    public var scenarios: [any Scenario]
    public var variants: [String]
    public var properties: [AccountingProperty]
    public var expectations: ExpectationSet?

    public init(scenarios: [any Scenario], variants: [String] = [], properties: [AccountingProperty] = [],
                expectations: ExpectationSet? = nil) {
        self.scenarios = scenarios
        self.variants = variants
        self.properties = properties
        self.expectations = expectations
    }

    /// The `zcbench.scenarios` list the guest runs: once-only scenarios first, then the
    /// matrix scenarios, which the guest runs for each of `variants`.
    public var guestScenarios: [String] {
        scenarios.map(\.name) + (variants.isEmpty ? [] : properties.map(\.name))
    }

    /// How long a boot of this plan may take under TCG: 120 s for boot and the short
    /// scenarios, plus 60 s for zcpool-variants and 30 s per variant of a matrix (about 5 s
    /// are measured per variant with forced stats flushes), and for each cgroup sample
    /// (about 20 per variant, 10 in zcpool-variants) the settle wait.
    public func defaultTimeout(settle: Duration = .zero) -> Duration {
        var seconds = 120.0
        if scenarios.contains(where: { $0.name == "zcpool-variants" }) { seconds += 60 + 10 * settle.seconds }
        if !properties.isEmpty { seconds += Double(variants.count) * (30 + 20 * settle.seconds) }
        return .seconds(seconds)
    }

    /// Refuses a plan whose expectations leave a (variant, property) unjudged.
    public func validate() throws {
        guard !variants.isEmpty else { return }
        guard let expectations else {
            throw ZCError(.usage, "variants given without an expectations file")
        }
        let missing = expectations.missing(variants: variants, properties: properties.map(\.name))
        guard missing.isEmpty else {
            throw ZCError(.usage, "\(expectations.file) has no expectation for \(missing.joined(separator: ", "))")
        }
    }
}
