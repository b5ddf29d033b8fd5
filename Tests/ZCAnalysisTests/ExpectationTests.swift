import Foundation
import Testing
import ZCTestSupport
@testable import ZCAnalysis

@Suite("expectations file")
struct ExpectationTests {
    let designs = (try? MatrixSample.designs()) ?? []

    let tcpDesigns = (try? MatrixSample.tcpDesigns()) ?? []

    func parse(_ text: String) throws -> ExpectationSet {
        try ExpectationSet.parse(text, file: "mine.yaml", variants: designs + tcpDesigns, properties: AccountingProperty.allNames,
                                 realPath: tcpDesigns)
    }

    @Test("the checked-in file covers every variant and property")
    func checkedIn() throws {
        let set = try MatrixSample.expectations()
        #expect(designs == ["unaccounted", "v1", "v2", "pool-free", "batch", "steal", "pool-free-batched"])
        #expect(tcpDesigns == ["tcp-unaccounted", "tcp-v1", "tcp-kmem", "tcp-kmem-batched"])
        #expect(set.missing(variants: designs, properties: AccountingProperty.names).isEmpty)
        #expect(set.missing(variants: tcpDesigns, properties: AccountingProperty.realPathNames).isEmpty)
        #expect(set.entries.count == designs.count * AccountingProperty.names.count
            + tcpDesigns.count * AccountingProperty.realPathNames.count)
        // The real path: the stock kernel's hole, the kmem charge where memory.stat puts it.
        #expect(set["tcp-unaccounted", "steady"]?.expected == .fail)
        #expect(set["tcp-kmem", "steady"]?.stat == "kernel")
        #expect(set["tcp-v1", "steady"]?.stat == "none")
        // The review's claims, as the file states them.
        #expect(set["v2", "nofail-overshoot"]?.expected == .fail)
        #expect(set["v1", "memory-max"]?.expected == .fail)
        #expect(set["v2", "zombie"]?.expected == .fail)
        #expect(set["pool-free", "zombie"]?.expected == .pass)
        #expect(set["pool-free", "steady"]?.stat == "kernel")
        #expect(set["v2", "steady"]?.stat == "sock")
        #expect(set["v1", "steady"]?.stat == "none")
        #expect(set["v1", "vmsplice-pin"]?.expected == .fail)
        #expect(set["v2", "vmsplice-pin"]?.expected == .fail)
        #expect(set["unaccounted", "steady"]?.expected == .fail)
        #expect(set["pool-free", "steady"]?.expected == .pass)
        #expect(set["batch", "double-charge"]?.tolerance == .pages(32))
        #expect(set["steal", "double-charge"]?.expected == .pass)
    }

    @Test("one entry, every field")
    func entry() throws {
        let set = try parse("variants:\n  v1:\n    steady: {expect: pass, tolerance: 12 pages, reason: \"charged before insert\"}\n")
        #expect(set.entries == [Expectation(variant: "v1", property: "steady", expected: .pass, tolerance: .pages(12),
                                            reason: "charged before insert", source: "mine.yaml:3")])
    }

    @Test("tolerances", arguments: [
        ("batch", Tolerance.batch), ("32 pages", .pages(32)), ("4096 bytes", .bytes(4096)), ("0", .pages(0)), ("1 page", .pages(1)),
    ])
    func tolerance(_ text: String, expected: Tolerance) {
        #expect(Tolerance.parse(text) == expected)
    }

    @Test("batch is 64 pages per cpu")
    func batch() {
        #expect(Tolerance.batch.bytes(pageSize: 4096, cpus: 2) == 64 * 2 * 4096)
        #expect(Tolerance.bytes(4097).pages(pageSize: 4096, cpus: 1) == 2)
    }

    @Test("mistakes name file, line and key", arguments: [
        ("variants:\n  pool-fre:\n    steady: {expect: pass, reason: r}\n", 2, "pool-fre", "unknown variant; did you mean 'pool-free'?"),
        ("variants:\n  v1:\n    stedy: {expect: pass, reason: r}\n", 3, "stedy", "unknown property; did you mean 'steady'?"),
        ("variants:\n  v1:\n    steady: {expect: maybe, reason: r}\n", 3, "expect", "expect must be 'pass' or 'fail', not 'maybe'"),
        ("variants:\n  v1:\n    steady: {expect: pass, tolerance: lots, reason: r}\n", 3, "tolerance", "tolerance must be"),
        ("variants:\n  v1:\n    steady: {expect: pass}\n", 3, "reason", "has no 'reason'"),
        ("variants:\n  v1:\n    steady: {expect: pass, reason: r, why: x}\n", 3, "why", "unknown key"),
        ("variants:\n  v1:\n    steady: {expect: pass, reason: r, stat: slab}\n", 3, "stat", "stat must be one of kernel, sock, none"),
        ("variants:\n  v1:\n    release: {expect: pass, reason: r, stat: kernel}\n", 3, "stat", "stat belongs to steady expectations only"),
        ("variant:\n  v1: {}\n", 1, "variant", "unknown key; the only top-level key is 'variants'"),
        ("variants:\n  v1:\n    steady: [pass]\n", 3, "steady", "an expectation is a mapping"),
        ("variants:\n  v1:\n    steady: {expect: pass, reason: r}\n    steady: {expect: fail, reason: r}\n", 3, "steady", "duplicate key"),
        ("variants:\n  v1:\n    steady: {expect: pass, reason: r\n", 4, "", "not valid YAML"),
        ("variants:\n  tcp-kmem:\n    zombie: {expect: pass, reason: r}\n", 3, "zombie",
         "not measured on the real path (its properties: steady, release, double-charge, memory-max, vmsplice-pin, fork, unload)"),
    ])
    func mistakes(_ text: String, line: Int, key: String, message: String) {
        let error = #expect(throws: ExpectationError.self) { try parse(text) }
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.key == key)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("mine.yaml:\(line): ") == true)
    }

    @Test("a file that is missing is an error naming it, without a line or a key it does not have")
    func missingFile() {
        let error = #expect(throws: ExpectationError.self) {
            try ExpectationSet.load(URL(fileURLWithPath: "/nonexistent/e.yaml"), variants: designs, properties: AccountingProperty.names)
        }
        #expect(error?.file == "/nonexistent/e.yaml")
        #expect(error?.description.hasPrefix("/nonexistent/e.yaml: cannot read the expectations file: ") == true,
                "\(String(describing: error))")
        #expect(error?.description.contains("(key") == false)
    }

    @Test("what a partial file leaves out is listed")
    func partial() throws {
        let set = try parse("variants:\n  v1:\n    steady: {expect: pass, reason: r}\n")
        #expect(set.missing(variants: ["v1"], properties: ["steady", "release"]) == ["v1/release"])
    }
}
