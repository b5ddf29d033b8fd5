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

/// What one boot is judged on: scenarios that run once, the matrix of `variants` x
/// `properties` (the simulated path, zcpool) and the matrix of `designs` x `realProperties`
/// (the real path, the zctcp livepatch), both judged against `expectations`.
public struct Selection: Sendable {
    public var scenarios: [any Scenario]
    public var variants: [Variant]
    public var properties: [AccountingProperty]
    public var expectations: ExpectationSet?
    /// The real path's designs (kernel/uapi/zctcp.h) and the properties measured for them.
    public var designs: [Variant]
    public var realProperties: [AccountingProperty]

    public init(scenarios: [any Scenario], variants: [Variant] = [], properties: [AccountingProperty] = [],
                expectations: ExpectationSet? = nil, designs: [Variant] = [], realProperties: [AccountingProperty] = []) {
        self.scenarios = scenarios
        self.variants = variants
        self.properties = properties
        self.expectations = expectations
        self.designs = designs
        self.realProperties = realProperties
    }

    /// True when it runs a matrix.
    public var hasMatrix: Bool { (!variants.isEmpty && !properties.isEmpty) || (!designs.isEmpty && !realProperties.isEmpty) }

    /// The cells asked for, split by path: the designs `names` of either path (`realPath`
    /// says which are the livepatch's), each with those of `propertyNames` its path
    /// measures. Designs the user `named` (not `all`) must share a property with their path;
    /// with `all`, a path without any of the properties runs nothing.
    public static func cells(_ names: [String], properties propertyNames: [String], realPath: [String], named: Bool)
        throws(NameError) -> MatrixCells {
        var variants = names.filter { !realPath.contains($0) }.map { Variant($0) }
        var designs = names.filter { realPath.contains($0) }.map { Variant($0) }
        let simulated = propertyNames.compactMap(AccountingProperty.named)
        let real = propertyNames.compactMap(AccountingProperty.realPathNamed)
        if named, !designs.isEmpty, real.isEmpty {
            throw NameError(kind: "real-path property", name: propertyNames.joined(separator: ","),
                            valid: AccountingProperty.realPathNames)
        }
        if named, !variants.isEmpty, simulated.isEmpty {
            throw NameError(kind: "property", name: propertyNames.joined(separator: ","), valid: AccountingProperty.names)
        }
        if simulated.isEmpty { variants = [] }
        if real.isEmpty { designs = [] }
        return MatrixCells(variants: variants, properties: variants.isEmpty ? [] : simulated,
                           designs: designs, realProperties: designs.isEmpty ? [] : real)
    }
}

/// The cells of both matrices a command asked for: zcpool's `variants` x `properties`, the
/// livepatch's `designs` x `realProperties`.
public struct MatrixCells: Sendable {
    public var variants: [Variant] = []
    public var properties: [AccountingProperty] = []
    public var designs: [Variant] = []
    public var realProperties: [AccountingProperty] = []

    public init(variants: [Variant] = [], properties: [AccountingProperty] = [], designs: [Variant] = [],
                realProperties: [AccountingProperty] = []) {
        self.variants = variants
        self.properties = properties
        self.designs = designs
        self.realProperties = realProperties
    }
}
