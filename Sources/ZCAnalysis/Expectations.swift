import Foundation
import Yams

/// How far a measurement may be from its bound and still count.
public enum Tolerance: Sendable, Equatable, Codable, CustomStringConvertible {
    /// memcg's per-cpu charge batch: 64 pages x nr_cpus (MEMCG_CHARGE_BATCH; test_kmem.c).
    case batch
    case pages(Int64)
    case bytes(Int64)

    public static let batchPagesPerCPU: Int64 = 64

    /// The tolerance in bytes for a guest with `cpus` vCPUs and `pageSize`-byte pages.
    public func bytes(pageSize: Int64, cpus: Int64) -> Int64 {
        switch self {
        case .batch: Self.batchPagesPerCPU * cpus * pageSize
        case .pages(let pages): pages * pageSize
        case .bytes(let bytes): bytes
        }
    }

    /// The tolerance in pages (bytes round up to whole pages).
    public func pages(pageSize: Int64, cpus: Int64) -> Int64 {
        (bytes(pageSize: pageSize, cpus: cpus) + pageSize - 1) / pageSize
    }

    public var description: String {
        switch self {
        case .batch: "batch"
        case .pages(let pages): "\(pages) pages"
        case .bytes(let bytes): "\(bytes) bytes"
        }
    }

    /// Parses `batch`, `N pages` or `N bytes` (N a non-negative integer; `0` alone is 0 pages).
    public static func parse(_ text: String) -> Tolerance? {
        let words = text.split(separator: " ").map(String.init)
        if words == ["batch"] { return .batch }
        if words == ["0"] { return .pages(0) }
        guard words.count == 2, let value = Int64(words[0]), value >= 0 else { return nil }
        switch words[1] {
        case "page", "pages": return .pages(value)
        case "byte", "bytes": return .bytes(value)
        default: return nil
        }
    }
}

/// What one design should do for one property.
public struct Expectation: Sendable, Equatable, Codable {
    public var variant: String
    public var property: String
    public var expected: Expected
    public var tolerance: Tolerance
    public var reason: String
    /// Where it was written: "file:line".
    public var source: String
    /// steady: the memory.stat key the design's page charge shows up in (`kernel`, `sock`,
    /// or `none` for the page counter alone); nil: not asserted.
    public var stat: String?

    public init(variant: String, property: String, expected: Expected, tolerance: Tolerance, reason: String, source: String,
                stat: String? = nil) {
        self.variant = variant
        self.property = property
        self.expected = expected
        self.tolerance = tolerance
        self.reason = reason
        self.source = source
        self.stat = stat
    }

    /// The values `stat:` takes.
    public static let statCategories = ["kernel", "sock", "none"]
}

/// A mistake in an expectations file, with where it is and which key.
public struct ExpectationError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var key: String
    public var message: String

    /// `file:line: message (key 'k')`, without the line or the key where there is none (a
    /// file that cannot be read has neither).
    public var description: String {
        "\(file)\(line > 0 ? ":\(line)" : ""): \(message)\(key.isEmpty ? "" : " (key '\(key)')")"
    }
}

/// The expectations of every (variant, property), read from a YAML file of the form
/// `variants: {<variant>: {<property>: {expect: pass|fail, tolerance: ..., reason: "..."}}}`.
public struct ExpectationSet: Sendable, Equatable {
    public var file: String
    public var entries: [Expectation]

    public subscript(variant: String, property: String) -> Expectation? {
        entries.first { $0.variant == variant && $0.property == property }
    }

    /// Reads `url`, checking every variant and property name against the known ones; the
    /// `realPath` designs (among `variants`) may only name the real path's properties.
    public static func load(_ url: URL, variants: [String], properties: [String],
                            realPath: [String] = []) throws -> ExpectationSet {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ExpectationError(file: url.path, line: 0, key: "", message: "cannot read the expectations file: \(error.localizedDescription)")
        }
        return try parse(text, file: url.path, variants: variants, properties: properties, realPath: realPath)
    }

    public static func parse(_ text: String, file: String, variants: [String], properties: [String],
                             realPath: [String] = []) throws -> ExpectationSet {
        func fail(_ node: Node?, _ key: String, _ message: String) -> ExpectationError {
            ExpectationError(file: file, line: node?.mark?.line ?? 1, key: key, message: message)
        }
        func hint(_ name: String, _ valid: [String]) -> String {
            nearestName(name, in: valid).map { "; did you mean '\($0)'?" } ?? ""
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                 .composer(_, let problem, let mark, _):
                throw ExpectationError(file: file, line: mark.line, key: "", message: "not valid YAML: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw ExpectationError(file: file, line: context.mark.line, key: duplicates.joined(separator: ", "),
                                       message: "duplicate key")
            default:
                throw ExpectationError(file: file, line: 1, key: "", message: "not valid YAML: \(error)")
            }
        }
        guard let top = root?.mapping else { throw fail(root, "", "the file must be a mapping with a 'variants' key") }
        var entries: [Expectation] = []
        var seenTop = Set<String>()
        for (key, value) in top {
            let name = key.string ?? ""
            guard seenTop.insert(name).inserted else { throw fail(key, name, "duplicate key") }
            guard name == "variants" else { throw fail(key, name, "unknown key; the only top-level key is 'variants'") }
            guard let variantMap = value.mapping else { throw fail(value, name, "'variants' must map variant names to properties") }
            var seenVariants = Set<String>()
            for (variantKey, propertyNode) in variantMap {
                let variant = variantKey.string ?? ""
                guard variants.contains(variant) else {
                    throw fail(variantKey, variant, "unknown variant\(hint(variant, variants))")
                }
                guard seenVariants.insert(variant).inserted else { throw fail(variantKey, variant, "duplicate variant") }
                guard let propertyMap = propertyNode.mapping else {
                    throw fail(propertyNode, variant, "a variant must map property names to expectations")
                }
                var seenProperties = Set<String>()
                for (propertyKey, entry) in propertyMap {
                    let property = propertyKey.string ?? ""
                    guard properties.contains(property) else {
                        throw fail(propertyKey, property, "unknown property\(hint(property, properties))")
                    }
                    guard seenProperties.insert(property).inserted else { throw fail(propertyKey, property, "duplicate property") }
                    if realPath.contains(variant), !AccountingProperty.realPathNames.contains(property) {
                        throw fail(propertyKey, property, "not measured on the real path (its properties: \(AccountingProperty.realPathNames.joined(separator: ", ")))")
                    }
                    entries.append(try expectation(entry, file: file, variant: variant, property: property, fail: fail))
                }
            }
        }
        return ExpectationSet(file: file, entries: entries)
    }

    static func expectation(_ node: Node, file: String, variant: String, property: String,
                            fail: (Node?, String, String) -> ExpectationError) throws -> Expectation {
        guard let fields = node.mapping else {
            throw fail(node, property, "an expectation is a mapping {expect, tolerance, reason[, stat]}")
        }
        var expected: Expected?
        var tolerance: Tolerance?
        var reason: String?
        var stat: String?
        for (key, value) in fields {
            let name = key.string ?? ""
            let text = value.scalar?.string
            switch name {
            case "expect":
                guard let parsed = text.flatMap(Expected.init(rawValue:)) else {
                    throw fail(value, name, "expect must be 'pass' or 'fail', not '\(text ?? "?")'")
                }
                expected = parsed
            case "tolerance":
                guard let parsed = text.flatMap(Tolerance.parse) else {
                    throw fail(value, name, "tolerance must be 'batch', 'N pages' or 'N bytes', not '\(text ?? "?")'")
                }
                tolerance = parsed
            case "reason":
                guard let text, !text.isEmpty else { throw fail(value, name, "reason must be a non-empty line") }
                reason = text
            case "stat":
                guard property == "steady" else { throw fail(key, name, "stat belongs to steady expectations only") }
                guard let text, Expectation.statCategories.contains(text) else {
                    throw fail(value, name, "stat must be one of \(Expectation.statCategories.joined(separator: ", ")), not '\(text ?? "?")'")
                }
                stat = text
            default:
                throw fail(key, name, "unknown key; an expectation has expect, tolerance, reason and (steady) stat")
            }
        }
        guard let expected else { throw fail(node, "expect", "\(variant)/\(property) has no 'expect'") }
        guard let reason else { throw fail(node, "reason", "\(variant)/\(property) has no 'reason'") }
        return Expectation(variant: variant, property: property, expected: expected, tolerance: tolerance ?? .batch,
                           reason: reason, source: "\(file):\(node.mark?.line ?? 0)", stat: stat)
    }

    /// The (variant, property) pairs among `variants` x `properties` with no expectation.
    public func missing(variants: [String], properties: [String]) -> [String] {
        variants.flatMap { variant in
            properties.filter { self[variant, $0] == nil }.map { "\(variant)/\($0)" }
        }
    }
}

/// The name among `candidates` with the smallest edit distance to `name`.
public func nearestName(_ name: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    return candidates.min { distance(Array(name), Array($0)) < distance(Array(name), Array($1)) }
}
