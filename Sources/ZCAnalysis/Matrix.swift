import ZCGuest

/// One (variant, property) result against its expectation.
public struct MatrixCell: Sendable, Equatable, Codable {
    public var variant: Variant
    public var property: String
    public var expected: Expected
    public var outcome: Outcome
    public var measured: String
    public var condition: String
    public var reason: String
    public var tolerance: String
    /// The figure that stands for the cell (the largest call of a sweep), and all of them.
    public var figure: Figure?
    public var figures: [Figure]
    /// Every metric the guest reported for this cell: each figure traces back to these.
    public var metrics: Metrics
    public var samples: [Sample]
}

/// Which receive path a matrix measures.
public enum MatrixPath: String, Sendable, Equatable, Codable {
    /// zcpool's simulated NIC and page pool (kernel/).
    case simulated
    /// The kernel's own TCP_ZEROCOPY_RECEIVE, patched by zctcp (kernel/zctcp/).
    case real

    /// The heading of its table.
    public var title: String {
        switch self {
        case .simulated: "simulated path (zcpool)"
        case .real: "real path (TCP_ZEROCOPY_RECEIVE, zctcp livepatch)"
        }
    }
}

/// The whole matrix of one kernel, for one path.
public struct MatrixReport: Sendable, Equatable, Codable {
    public var path: MatrixPath
    public var variants: [Variant]
    public var properties: [String]
    public var cells: [MatrixCell]
    /// The real-path design built into the kernel, which ran without the livepatch.
    public var builtIn: Variant?
    /// How long making each variant the one in force took, in ms: its `V/reload` (zcpool
    /// loaded with it) or `D/patch` (zctcp switched to it) test's `elapsed_ms`, time a
    /// variant costs its boot outside its cells. nil in the reports of older guests.
    public var switchMs: [String: Int64]?

    public subscript(variant: Variant, property: String) -> MatrixCell? {
        cells.first { $0.variant == variant && $0.property == property }
    }

    public var passed: Bool { !cells.isEmpty && cells.allSatisfy { $0.outcome.matchesExpectation } }

    /// Judges the `V/P` tests of `results` against `expectations`.
    public init(results: KTAPDocument, variants: [Variant], properties: [AccountingProperty], expectations: ExpectationSet,
                path: MatrixPath = .simulated) {
        self.path = path
        self.variants = variants
        self.properties = properties.map(\.name)
        cells = variants.flatMap { variant in
            properties.map { property in
                Self.judge(results.tests.first { $0.name == "\(variant)/\(property.name)" },
                           variant: variant, property: property, expectation: expectations[variant.name, property.name])
            }
        }
        let step = path == .simulated ? "reload" : "patch"
        let switches = variants.compactMap { variant in
            results.tests.first { $0.name == "\(variant)/\(step)" }?.metrics["elapsed_ms"].map { (variant.name, $0) }
        }
        switchMs = switches.isEmpty ? nil : Dictionary(switches) { first, _ in first }
    }

    static func judge(_ test: KTAPTest?, variant: Variant, property: AccountingProperty, expectation: Expectation?) -> MatrixCell {
        var cell = MatrixCell(variant: variant, property: property.name, expected: expectation?.expected ?? .pass,
                              outcome: .crashed, measured: "", condition: "",
                              reason: expectation?.reason ?? "no expectation for \(variant)/\(property.name) in the expectations file",
                              tolerance: expectation?.tolerance.description ?? "", figure: nil, figures: [],
                              metrics: Metrics(test?.metrics ?? [:]),
                              samples: (test.map(allDiagnostics) ?? []).compactMap(Sample.init(diagnostic:)))
        guard let expectation else {
            cell.measured = "not judged: no expectation"
            return cell
        }
        guard let test else {
            cell.measured = "no result from the guest"
            return cell
        }
        guard test.result != .missing else {
            cell.measured = "the guest stopped inside this scenario"
            return cell
        }
        if test.result == .ok, case .skip(let why) = test.directive {
            cell.outcome = .skipped
            cell.measured = "not measured: \(why)"
            return cell
        }
        let failedChecks = test.subtests.filter { $0.result != .ok }.map(\.name)
        guard failedChecks.isEmpty else {
            cell.measured = "guest check failed: \(failedChecks.joined(separator: ", ")) - no valid measurement"
            return cell
        }
        let missing = property.required.filter { cell.metrics[$0] == nil }
        guard missing.isEmpty else {
            cell.measured = "the guest did not report \(missing.joined(separator: ", "))"
            return cell
        }
        let measurement = property.judge(MetricReader(metrics: cell.metrics), expectation)
        guard measurement.missing.isEmpty else {
            cell.measured = "the guest did not report \(measurement.missing.joined(separator: ", "))"
            return cell
        }
        cell.outcome = .of(holds: measurement.holds, expected: expectation.expected)
        cell.measured = measurement.measured
        cell.condition = measurement.condition
        cell.figure = measurement.headline
        cell.figures = measurement.figures
        if let violation = measurement.violation {
            // Whatever was expected of the design: the measurement itself is wrong.
            cell.outcome = .fail
            cell.measured += " - \(violation)"
        }
        return cell
    }

    static func allDiagnostics(_ test: KTAPTest) -> [String] {
        test.diagnostics + test.subtests.flatMap(allDiagnostics)
    }
}
