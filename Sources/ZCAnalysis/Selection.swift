import ZCGuest

/// One accounting design of the zcpool module, by the name its `variant` parameter takes
/// (kernel/uapi/zcpool.h, ``ModuleInterface``). Encoded as that name.
public struct Variant: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var name: String

    public init(_ name: String) { self.name = name }
    public init(rawValue: String) { name = rawValue }
    public init(stringLiteral value: String) { name = value }

    public var rawValue: String { name }
    public var description: String { name }
}

/// A name that is not among the valid ones (with the nearest valid one for a typo), or one
/// named twice in a list.
public struct NameError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What kind of name: "variant", "property", "scenario", "fault".
    public var kind: String
    public var name: String
    public var valid: [String]
    public var repeated = false

    public init(kind: String, name: String, valid: [String], repeated: Bool = false) {
        self.kind = kind
        self.name = name
        self.valid = valid
        self.repeated = repeated
    }

    public var description: String {
        if repeated { return "\(kind) '\(name)' is named twice" }
        let hint = nearestName(name, in: valid).map { "; did you mean '\($0)'?" } ?? ""
        return "unknown \(kind) '\(name)'\(hint) Valid: \(valid.joined(separator: ", "))"
    }

    /// `name` if it is among `valid`, else this error.
    public static func check(_ name: String, kind: String, among valid: [String]) throws -> String {
        guard valid.contains(name) else { throw NameError(kind: kind, name: name, valid: valid) }
        return name
    }

    /// The names of `list` (`a,b,c`, or `all` for every valid one, in their order), each
    /// checked, none twice.
    public static func list(_ list: String, kind: String, among valid: [String]) throws -> [String] {
        if list == "all" { return valid }
        var names: [String] = []
        for word in list.split(separator: ",", omittingEmptySubsequences: false) {
            let name = try check(String(word), kind: kind, among: valid)
            guard !names.contains(name) else { throw NameError(kind: kind, name: name, valid: valid, repeated: true) }
            names.append(name)
        }
        return names
    }
}

/// What one boot is judged on: scenarios that run once, and the matrix of `variants` x
/// `properties` judged against `expectations`.
public struct Selection: Sendable {
    public var scenarios: [any Scenario]
    public var variants: [Variant]
    public var properties: [AccountingProperty]
    public var expectations: ExpectationSet?

    public init(scenarios: [any Scenario], variants: [Variant] = [], properties: [AccountingProperty] = [],
                expectations: ExpectationSet? = nil) {
        self.scenarios = scenarios
        self.variants = variants
        self.properties = properties
        self.expectations = expectations
    }

    /// True when it runs the matrix.
    public var hasMatrix: Bool { !variants.isEmpty && !properties.isEmpty }
}
