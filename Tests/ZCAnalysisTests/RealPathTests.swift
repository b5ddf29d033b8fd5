import Testing
import ZCGuest
import ZCTestSupport
@testable import ZCAnalysis

/// The real path judged on a real capture (realpath-sample.ktap: Debian 6.12, 4 MiB): the
/// stock kernel's hole, the livepatch's designs charged, and each judge turned over by a
/// change to the captured numbers.
@Suite("the real path: TCP_ZEROCOPY_RECEIVE under the livepatch's designs")
struct RealPathTests {
    static let designs: [Variant] = ["tcp-unaccounted", "tcp-v1", "tcp-kmem"]

    func matrix(_ ktap: String? = nil) throws -> MatrixReport {
        let output = GuestOutput(results: KTAPDocument(parsing: try ktap ?? fixture("realpath-sample.ktap")),
                                 console: ConsoleLog(""), timedOut: false)
        let selection = Selection(scenarios: [], expectations: try MatrixSample.expectations(), designs: Self.designs,
                                  realProperties: AccountingProperty.realPath)
        let context = RunContext(kernel: "6.12.117+deb12-amd64", series: "6.12", accelerator: "tcg", cpus: 1, sizeMiB: 4,
                                 runDirectory: "/tmp/zc-real", wallSeconds: 3, phases: Phases())
        let report = RunReport(judging: output, selection: selection, context: context)
        #expect(report.matrix == nil)
        return try #require(report.realPath)
    }

    /// A metric of one of the capture's tests.
    func captured(_ test: String, _ metric: String) throws -> Int64 {
        let document = KTAPDocument(parsing: try fixture("realpath-sample.ktap"))
        return try #require(document.tests.first { $0.name == test }?.metrics[metric], "\(test) \(metric)")
    }

    func edited(_ test: String, _ metric: String, to value: Int64, in ktap: String? = nil) throws -> String {
        try MatrixSample.editing(test, in: ktap ?? fixture("realpath-sample.ktap")) {
            $0.hasPrefix("    # metric \(metric)=") ? "    # metric \(metric)=\(value)" : $0
        }
    }

    @Test("the capture: the stock kernel's hole seen, both designs charged, everything released")
    func capture() throws {
        let matrix = try matrix()
        #expect(matrix.path == .real)
        #expect(matrix.passed)
        #expect(matrix["tcp-unaccounted", "steady"]?.outcome == .xfail)
        #expect(matrix["tcp-kmem", "steady"]?.outcome == .pass)
        #expect(matrix["tcp-v1", "steady"]?.outcome == .pass)
        #expect(matrix.cells.filter { $0.property == "release" }.allSatisfy { $0.outcome == .pass })
        let kmem = try #require(matrix["tcp-kmem", "steady"])
        #expect(kmem.measured.contains("kernel +"), "\(kmem.measured)")
        #expect(kmem.metrics["mod.pages_mapped"]! * 4096 == kmem.metrics["mapped"]!)
        #expect(matrix["tcp-unaccounted", "unload"]?.outcome == .xfail)
        #expect(matrix["tcp-kmem", "unload"]?.figure == Figure(name: "bytes escaped at unload", value: 0, unit: "bytes"))
    }

    @Test("steady turned over: the hole closed, a charge that is not there, the wrong stat")
    func steady() throws {
        // The stock kernel's mapped pages charged after all: its expected failure is not seen.
        let stock = "tcp-unaccounted/steady"
        let charged = try edited(stock, "mapped.memory_current", to: try captured(stock, "baseline.memory_current") + 4_194_304)
        let closed = try edited(stock, "mapped.file_mapped", to: try captured(stock, "mapped"), in: charged)
        #expect(try matrix(closed)["tcp-unaccounted", "steady"]?.outcome == .xpass)
        // tcp-kmem's memory.current at its baseline while mapped.
        let uncharged = try edited("tcp-kmem/steady", "mapped.memory_current",
                                   to: try captured("tcp-kmem/steady", "baseline.memory_current"))
        #expect(try matrix(uncharged)["tcp-kmem", "steady"]?.outcome == .fail)
        // tcp-kmem's charge in sock rather than kernel (stat: kernel).
        let kernel = try captured("tcp-kmem/steady", "mapped.kernel")
        let sock = try edited("tcp-kmem/steady", "mapped.kernel", to: try captured("tcp-kmem/steady", "baseline.kernel"))
        #expect(try matrix(try edited("tcp-kmem/steady", "mapped.sock", to: kernel, in: sock))["tcp-kmem", "steady"]?.outcome == .fail)
    }

    @Test("release turned over: a charge left once everything is unmapped and closed")
    func release() throws {
        let left = try edited("tcp-kmem/release", "released.memory_current",
                              to: try captured("tcp-kmem/release", "baseline.memory_current") + 4_194_304)
        #expect(try matrix(left)["tcp-kmem", "release"]?.outcome == .fail)
    }

    @Test("double-charge: each call charged twice at its last stop, as the livepatch counts; turned over")
    func doubleCharge() throws {
        let matrix = try matrix()
        for design: Variant in ["tcp-v1", "tcp-kmem"] {
            let cell = try #require(matrix[design, "double-charge"])
            #expect(cell.outcome == .xfail, "\(cell.measured)")
            #expect(cell.figures.map(\.value) == [8, 32, 128], "\(cell.measured)")
            #expect(!cell.measured.contains("disagree"))
        }
        #expect(matrix["tcp-unaccounted", "double-charge"]?.outcome == .pass)
        #expect(matrix["tcp-unaccounted", "double-charge"]?.figures.map(\.value) == [0, 0, 0])
        // The stock kernel charging the call's pages after all: over the 32-page bound.
        let stock = "tcp-unaccounted/double-charge"
        let charged = try edited(stock, "p128.inserted.memory_current",
                                 to: try captured(stock, "p128.baseline.memory_current") + 128 * 4096)
        #expect(try self.matrix(charged)["tcp-unaccounted", "double-charge"]?.outcome == .fail)
        // A page-table page the call allocated is the mapping's: left out.
        let kmem = "tcp-kmem/double-charge"
        let withTables = try edited(kmem, "p8.inserted.pagetables", to: try captured(kmem, "p8.baseline.pagetables") + 4096,
                                    in: try edited(kmem, "p8.inserted.memory_current",
                                                   to: try captured(kmem, "p8.inserted.memory_current") + 4096))
        #expect(try self.matrix(withTables)["tcp-kmem", "double-charge"]?.figures.first?.value == 8)
        // memory.current at the baseline at the stop while the livepatch says it charged the
        // call's 128 pages: the counters disagree, and the cell fails though a failure is expected.
        let unseen = try edited(kmem, "p128.inserted.memory_current", to: try captured(kmem, "p128.baseline.memory_current"))
        let cell = try #require(try self.matrix(unseen)["tcp-kmem", "double-charge"])
        #expect(cell.outcome == .fail)
        #expect(cell.measured.contains("the livepatch charged 128 pages in the 128-page call where memory.current shows "), "\(cell.measured)")
        // The cross-check's tolerance: 2 pages, half of a larger call. 19 of a 32-page call
        // (seen on the debug 6.1 kernel) holds; 15 does not.
        let v1 = "tcp-v1/double-charge"
        let inserted = try captured(v1, "p32.inserted.memory_current")
        for (short, holds) in [(13, true), (16, true), (17, false)] {
            let cell = try #require(try self.matrix(try edited(v1, "p32.inserted.memory_current", to: inserted - Int64(short) * 4096))["tcp-v1", "double-charge"])
            #expect(cell.measured.contains("disagree") != holds, "\(short) pages short: \(cell.measured)")
        }
        // A last stop that was not the call's last batch.
        let early = try edited("tcp-v1/double-charge", "p32.stopped_bytes", to: 65536)
        #expect(try self.matrix(early)["tcp-v1", "double-charge"]?.measured.contains("the 32-page call's last stop had 16 pages inserted, the call mapped 32") == true)
    }

    @Test("unload turned over: pinned pages that escape the removal, a charge that outlives them, a removal refused")
    func unload() throws {
        let baseline = try captured("tcp-kmem/unload", "baseline.memory_current")
        let escaped = try edited("tcp-kmem/unload", "unmapped.memory_current", to: baseline)
        let cell = try #require(try matrix(escaped)["tcp-kmem", "unload"])
        #expect(cell.outcome == .fail)
        #expect(cell.figure?.value == (try captured("tcp-kmem/unload", "pinned")))
        let outlived = try edited("tcp-v1/unload", "released.memory_current", to: baseline + 4_194_304)
        #expect(try matrix(outlived)["tcp-v1", "unload"]?.measured.contains("a charge outlived every page") == true)
        // A stuck removal fails the cell even for the design expected to fail it.
        let stuck = try edited("tcp-unaccounted/unload", "rmmod_errno", to: 16)
        let stock = try #require(try matrix(stuck)["tcp-unaccounted", "unload"])
        #expect(stock.outcome == .fail && stock.measured.contains("could not be removed (errno 16)"))
    }

    @Test("memory-max turned over: an OOM kill inside getsockopt, more mapped than the limit")
    func memoryMax() throws {
        let matrix = try matrix()
        let v1 = try #require(matrix["tcp-v1", "memory-max"])
        #expect(v1.outcome == .xfail)
        #expect(v1.measured.contains("32 KiB calls: OOM-killed inside getsockopt(TCP_ZEROCOPY_RECEIVE)"), "\(v1.measured)")
        #expect(v1.figures.first { $0.name == "OOM kills at memory.max, 32 KiB calls" }?.value == 1)
        // tcp-kmem's charge fails gracefully; killed, or over the limit, it would not hold.
        #expect(matrix["tcp-kmem", "memory-max"]?.outcome == .pass)
        let killed = try edited("tcp-kmem/memory-max", "small.events.oom_kill", to: 1)
        #expect(try self.matrix(killed)["tcp-kmem", "memory-max"]?.outcome == .fail)
        let over = try edited("tcp-kmem/memory-max", "large.mapped", to: try captured("tcp-kmem/memory-max", "size"))
        #expect(try self.matrix(over)["tcp-kmem", "memory-max"]?.outcome == .fail)
    }

    @Test("vmsplice-pin and fork turned over: pinned pages uncharged, a child's mapping uncharged, a charge left behind")
    func pinnedAndForked() throws {
        let pinned = try captured("tcp-kmem/vmsplice-pin", "pinned")
        let baseline = try captured("tcp-kmem/vmsplice-pin", "baseline.memory_current")
        #expect(try matrix()["tcp-kmem", "vmsplice-pin"]?.figure?.value == 0)
        let escaped = try edited("tcp-kmem/vmsplice-pin", "pinned.memory_current", to: baseline)
        let cell = try #require(try matrix(escaped)["tcp-kmem", "vmsplice-pin"])
        #expect(cell.outcome == .fail && cell.figure?.value == pinned)
        let outlived = try edited("tcp-unaccounted/vmsplice-pin", "released.memory_current", to: baseline + 4_194_304)
        let stock = try #require(try matrix(outlived)["tcp-unaccounted", "vmsplice-pin"])
        #expect(stock.outcome == .fail && stock.measured.contains("a charge outlived every page"), "\(stock.measured)")
        let forked = try edited("tcp-v1/fork", "child_holds.memory_current",
                                to: try captured("tcp-v1/fork", "baseline.memory_current"))
        #expect(try matrix(forked)["tcp-v1", "fork"]?.outcome == .fail)
        #expect(try matrix()["tcp-unaccounted", "fork"]?.outcome == .xfail)
    }

    @Test("the livepatch's counters contradicting the cgroup fail the cell, whatever is expected")
    func counters() throws {
        let fewer = try edited("tcp-kmem/steady", "mod.pages_mapped", to: 500)
        let cell = try #require(try matrix(fewer)["tcp-kmem", "steady"])
        #expect(cell.outcome == .fail)
        #expect(cell.measured.contains("the livepatch mapped 500 pages, the receiver \(try captured("tcp-kmem/steady", "mapped") / 4096)"),
                "\(cell.measured)")
        let uncharged = try edited("tcp-v1/steady", "mod.pages_charged", to: 0)
        #expect(try matrix(uncharged)["tcp-v1", "steady"]?.measured.contains("the livepatch charged 0 pages") == true)
        // The stock kernel has no livepatch to count anything: nothing to cross-check.
        #expect(try matrix()["tcp-unaccounted", "steady"]?.metrics["patched"] == 0)
    }

    @Test("a design built into the kernel: double-charge is a SKIP from the guest, judged as not measured; the table says where the design is")
    func builtIn() throws {
        let why = "the design is built into the kernel: no pause point inside the call to sample at"
        let ktap = try fixture("realpath-sample.ktap").replacingOccurrences(
            of: "\nok 28 tcp-kmem/double-charge\n", with: "\nok 28 tcp-kmem/double-charge # SKIP \(why)\n")
        let output = GuestOutput(results: KTAPDocument(parsing: ktap), console: ConsoleLog(""), timedOut: false)
        let selection = Selection(scenarios: [], expectations: try MatrixSample.expectations(), designs: ["tcp-kmem", "tcp-v1"],
                                  realProperties: AccountingProperty.realPath)
        let context = RunContext(kernel: "6.1.192", series: nil, accelerator: "tcg", cpus: 2, sizeMiB: 4,
                                 runDirectory: "/tmp/zc-real", wallSeconds: 3, phases: Phases(), kernelDesign: "tcp-kmem")
        let report = RunReport(judging: output, selection: selection, context: context)
        let real = try #require(report.realPath)
        #expect(real.builtIn == "tcp-kmem")
        let cell = try #require(real["tcp-kmem", "double-charge"])
        #expect(cell.outcome == .skipped && cell.expected == .fail)
        #expect(cell.measured == "not measured: \(why)")
        #expect(cell.figures.isEmpty)
        // The rest is judged as measured; a skip neither passes nor fails the run.
        #expect(real["tcp-kmem", "steady"]?.outcome == .pass)
        #expect(real["tcp-v1", "double-charge"]?.outcome == .xfail)
        #expect(report.passed)
        // Without the directive the same cell is judged.
        #expect(try matrix()["tcp-kmem", "double-charge"]?.outcome == .xfail)
    }

    @Test("a cell without a metric its property needs is crashed")
    func missing() throws {
        let ktap = try MatrixSample.editing("tcp-v1/release", in: try fixture("realpath-sample.ktap")) {
            $0.contains("# metric released.memory_current=") ? nil : $0
        }
        let cell = try #require(try matrix(ktap)["tcp-v1", "release"])
        #expect(cell.outcome == .crashed)
        #expect(cell.measured == "the guest did not report released.memory_current")
    }
}
