import Foundation

/// What the modules offer, read from their uapi headers as they stand in the checkout: the
/// designs of zcpool (kernel/uapi/zcpool.h: the `variant` parameter's values, in enum
/// order, the simulated path) and its injectable faults, and the designs of the zctcp
/// livepatch (kernel/uapi/zctcp.h: the `design` parameter's values, the real path). The
/// headers are the one home of these lists; the guest programs compile them, zcbench reads
/// them, so adding a design touches the module and the expectations file only.
public struct ModuleInterface: Sendable, Equatable {
    /// Design names from `ZCPOOL_VARIANT_NAMES`, in the header's order.
    public var variants: [String]
    /// Fault names from the `ZCPOOL_FAULT_*` strings, without "none".
    public var faults: [String]
    /// The real path's design names from `ZCTCP_DESIGN_NAMES`, in the header's order.
    public var tcpDesigns: [String]

    public init(variants: [String], faults: [String], tcpDesigns: [String] = []) {
        self.variants = variants
        self.faults = faults
        self.tcpDesigns = tcpDesigns
    }

    /// The headers' paths inside a checkout.
    public static let headerPath = "kernel/uapi/zcpool.h"
    public static let livepatchHeaderPath = "kernel/uapi/zctcp.h"

    /// The designs of both paths, the simulated path's first.
    public var allDesigns: [String] { variants + tcpDesigns }

    /// The stock kernel's real-path design, the first of `ZCTCP_DESIGN_NAMES`
    /// (`ZCTCP_DESIGN_STOCK`): the kernel without the livepatch.
    public var stockDesign: String? { tcpDesigns.first }

    /// The designs that run on a kernel built with `design` in its net/ipv4/tcp.c
    /// (`zcbench kernel build --design`): that one first, run without the livepatch, then
    /// the livepatch's others; the stock kernel's is not there to run. Unchanged for nil.
    public func onKernel(builtWith design: String?) -> ModuleInterface {
        guard let design else { return self }
        var interface = self
        interface.tcpDesigns = [design] + tcpDesigns.dropFirst().filter { $0 != design }
        return interface
    }

    /// Parses the headers' text; nil when zcpool's has no variant name table (or the
    /// livepatch's, when given, no design table).
    public init?(header: String, livepatchHeader: String? = nil) {
        guard let variants = Self.nameTable("ZCPOOL_VARIANT_NAMES", in: header), !variants.isEmpty else { return nil }
        self.variants = variants
        if let livepatchHeader {
            guard let designs = Self.nameTable("ZCTCP_DESIGN_NAMES", in: livepatchHeader), !designs.isEmpty else { return nil }
            tcpDesigns = designs
        } else {
            tcpDesigns = []
        }
        faults = header.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(whereSeparator: \.isWhitespace)
            guard words.count >= 3, words[0] == "#define", words[1].hasPrefix("ZCPOOL_FAULT_") else { return nil }
            return Self.quoted(in: String(words[2])).first
        }.filter { $0 != "none" }
    }

    /// The strings of the initializer `#define <name> { [X] = "a", ... }` (continued with
    /// backslashes), in order; nil when the header has no such macro.
    static func nameTable(_ name: String, in header: String) -> [String]? {
        guard let start = header.range(of: "#define \(name)") else { return nil }
        var table = ""
        for line in header[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            table += line
            if !line.hasSuffix("\\") { break }
        }
        return quoted(in: table)
    }

    /// Reads `kernel/uapi/zcpool.h` and `kernel/uapi/zctcp.h` of the checkout at `repository`.
    public static func load(repository: URL) throws -> ModuleInterface {
        func read(_ path: String) throws -> String {
            let url = repository.appendingPathComponent(path)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw ModuleInterfaceError(message: "cannot read \(url.path): zcbench reads the modules' designs from it")
            }
            return text
        }
        let header = try read(headerPath), livepatchHeader = try read(livepatchHeaderPath)
        guard ModuleInterface(header: header) != nil else {
            throw ModuleInterfaceError(message: "\(repository.appendingPathComponent(headerPath).path) has no ZCPOOL_VARIANT_NAMES table of design names")
        }
        guard let interface = ModuleInterface(header: header, livepatchHeader: livepatchHeader) else {
            throw ModuleInterfaceError(message: "\(repository.appendingPathComponent(livepatchHeaderPath).path) has no ZCTCP_DESIGN_NAMES table of design names")
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
