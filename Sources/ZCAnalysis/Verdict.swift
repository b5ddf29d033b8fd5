/// What the bench expects of a property: that it holds, or that it fails (a known hole).
public enum Expected: String, Sendable, Codable {
    case pass
    case fail
}

/// How one checked property came out against its expectation.
public enum Outcome: String, Sendable, Codable {
    /// Held, as expected.
    case pass
    /// Did not hold, but was expected to hold.
    case fail
    /// Did not hold, as expected (the upstream hole).
    case xfail
    /// Held although it was expected to fail: the hole was not seen.
    case xpass
    /// No measurement: the guest crashed, hung or did not report the numbers.
    case crashed
    /// Not measured, for a reason the guest gave (a KTAP SKIP): the design cannot be
    /// measured this way (double-charge of a design built into the kernel: no pause point).
    case skipped

    /// True when the result matches its expectation; a skip matches none, and fails none.
    public var matchesExpectation: Bool { self == .pass || self == .xfail || self == .skipped }

    public static func of(holds: Bool, expected: Expected) -> Outcome {
        switch (holds, expected) {
        case (true, .pass): .pass
        case (false, .pass): .fail
        case (false, .fail): .xfail
        case (true, .fail): .xpass
        }
    }

    /// Short label for tables.
    public var label: String {
        switch self {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .xfail: "XFAIL"
        case .xpass: "XPASS (unexpected)"
        case .crashed: "CRASHED"
        case .skipped: "SKIP"
        }
    }
}

/// One property compared with its expectation: the measured value, the bound it was held
/// against and the tolerance that bound allows, all traceable to a guest reading.
public struct Check: Sendable, Codable, Equatable {
    /// The condition of a check the guest made itself (a KTAP case that must be `ok`).
    public static let guestCondition = "guest check"

    public var property: String
    public var expected: Expected
    public var outcome: Outcome
    /// What was measured, in words with numbers ("+1.0 MiB charged for 30.0 MiB mapped").
    public var measured: String
    /// The condition the property stands for, with its tolerance.
    public var condition: String
    /// Why this expectation.
    public var reason: String

    public init(property: String, expected: Expected, outcome: Outcome, measured: String, condition: String, reason: String) {
        self.property = property
        self.expected = expected
        self.outcome = outcome
        self.measured = measured
        self.condition = condition
        self.reason = reason
    }
}
