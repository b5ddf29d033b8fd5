import ZCGuest

/// The accounting variants zcpool implements, in the order the review discussed them.
public enum Variants {
    public static let all = ["unaccounted", "v1", "v2", "pool-free", "batch", "steal"]
}

/// One point of a timeline: a `# sample k=v ...` line of the guest.
public struct Sample: Sendable, Equatable, Codable {
    public var values: [String: Int64]

    public init(values: [String: Int64]) { self.values = values }

    /// Parses `sample t_us=1 mapped=2 ...` (a diagnostic without its leading "# ").
    public init?(diagnostic: String) {
        guard diagnostic.hasPrefix("sample "), let values = integerFields(diagnostic.dropFirst("sample ".count)) else {
            return nil
        }
        self.values = values
    }
}

/// One (variant, property) result against its expectation.
public struct MatrixCell: Sendable, Equatable, Codable {
    public var variant: String
    public var property: String
    public var expected: Expected
    public var outcome: Outcome
    public var measured: String
    public var condition: String
    public var reason: String
    public var tolerance: String
    public var figure: Figure?
    /// Every metric the guest reported for this cell: each figure traces back to these.
    public var metrics: Metrics
    public var samples: [Sample]
}

/// The whole matrix of one kernel.
public struct MatrixReport: Sendable, Equatable, Codable {
    public var variants: [String]
    public var properties: [String]
    public var cells: [MatrixCell]

    public subscript(variant: String, property: String) -> MatrixCell? {
        cells.first { $0.variant == variant && $0.property == property }
    }

    public var passed: Bool { !cells.isEmpty && cells.allSatisfy { $0.outcome.matchesExpectation } }

    /// Judges the `V/P` tests of `results` against `expectations`.
    public init(results: KTAPDocument, variants: [String], properties: [AccountingProperty], expectations: ExpectationSet) {
        self.variants = variants
        self.properties = properties.map(\.name)
        cells = variants.flatMap { variant in
            properties.map { property in
                Self.judge(results.tests.first { $0.name == "\(variant)/\(property.name)" },
                           variant: variant, property: property, expectation: expectations[variant, property.name])
            }
        }
    }

    static func judge(_ test: KTAPTest?, variant: String, property: AccountingProperty, expectation: Expectation?) -> MatrixCell {
        var cell = MatrixCell(variant: variant, property: property.name, expected: expectation?.expected ?? .pass,
                              outcome: .crashed, measured: "", condition: "",
                              reason: expectation?.reason ?? "no expectation for \(variant)/\(property.name) in the expectations file",
                              tolerance: expectation?.tolerance.description ?? "", figure: nil,
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
        let measurement = property.judge(MetricReader(metrics: cell.metrics), expectation.tolerance)
        cell.outcome = .of(holds: measurement.holds, expected: expectation.expected)
        cell.measured = measurement.measured
        cell.condition = measurement.condition
        cell.figure = measurement.figure
        return cell
    }

    static func allDiagnostics(_ test: KTAPTest) -> [String] {
        test.diagnostics + test.subtests.flatMap(allDiagnostics)
    }
}
