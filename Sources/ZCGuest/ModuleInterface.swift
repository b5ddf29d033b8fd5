import Foundation

/// What the zcpool module offers, read from its uapi header (kernel/uapi/zcpool.h) as it
/// stands in the checkout: its designs (the `variant` parameter's values, in enum order) and
/// its injectable faults. The header is the one home of both lists; the guest programs
/// compile it, zcbench reads it, so adding a design touches the module and the expectations
/// file only.
public struct ModuleInterface: Sendable, Equatable {
    /// Design names from `ZCPOOL_VARIANT_NAMES`, in the header's order.
    public var variants: [String]
    /// Fault names from the `ZCPOOL_FAULT_*` strings, without "none".
    public var faults: [String]

    public init(variants: [String], faults: [String]) {
        self.variants = variants
        self.faults = faults
    }

    /// The header's path inside a checkout.
    public static let headerPath = "kernel/uapi/zcpool.h"

    /// Parses the header text; nil when it has no variant name table.
    public init?(header: String) {
        // The initializer `#define ZCPOOL_VARIANT_NAMES { [ZCPOOL_VARIANT_X] = "name", ... }`.
        guard let start = header.range(of: "#define ZCPOOL_VARIANT_NAMES") else { return nil }
        var table = ""
        for line in header[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            table += line
            if !line.hasSuffix("\\") { break }
        }
        variants = Self.quoted(in: table)
        faults = header.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(whereSeparator: \.isWhitespace)
            guard words.count >= 3, words[0] == "#define", words[1].hasPrefix("ZCPOOL_FAULT_") else { return nil }
            return Self.quoted(in: String(words[2])).first
        }.filter { $0 != "none" }
        if variants.isEmpty { return nil }
    }

    /// Reads `kernel/uapi/zcpool.h` of the checkout at `repository`.
    public static func load(repository: URL) throws -> ModuleInterface {
        let url = repository.appendingPathComponent(headerPath)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ModuleInterfaceError(message: "cannot read \(url.path): zcbench reads the module's designs from it")
        }
        guard let interface = ModuleInterface(header: text) else {
            throw ModuleInterfaceError(message: "\(url.path) has no ZCPOOL_VARIANT_NAMES table of design names")
        }
        return interface
    }

    /// The double-quoted strings of `text`, in order.
    static func quoted(in text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}

/// The module's uapi header is missing or has no design table.
public struct ModuleInterfaceError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
