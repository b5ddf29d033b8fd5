import Foundation
import Testing
import ZCGuest
import ZCTestSupport

/// vm/lib/protocol.h as the guest compiles it: its string and integer #defines and its
/// console marker table.
struct ProtocolHeader {
    var strings: [String: String] = [:]
    var integers: [String: Int] = [:]
    var markers: [(kind: String, text: String)] = []

    init(_ text: String) throws {
        let define = try Regex(#"^#define\s+(ZCB_\w+)\s+(?:"((?:[^"\\]|\\.)*)"|(\d+))"#)
        let marker = try Regex(#"\{\s*"([^"]*)",\s*"([^"]*)"\s*\}"#)
        var inMarkers = false
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("#define ZCB_CONSOLE_MARKERS") { inMarkers = true; continue }
            if inMarkers {
                if let match = line.firstMatch(of: marker) {
                    markers.append((String(match.output[1].substring!), String(match.output[2].substring!)))
                }
                if !line.hasSuffix("\\") { inMarkers = false }
                continue
            }
            guard let match = line.firstMatch(of: define) else { continue }
            let name = String(match.output[1].substring!)
            if let string = match.output[2].substring { strings[name] = String(string) }
            if let number = match.output[3].substring { integers[name] = Int(number) }
        }
    }

    /// The values of the #defines whose names start with `prefix`.
    func strings(_ prefix: String) -> Set<String> {
        Set(strings.filter { $0.key.hasPrefix(prefix) }.values)
    }
}

@Suite("guest protocol: vm/lib/protocol.h and its Swift twin agree")
struct ProtocolParityTests {
    let header: ProtocolHeader

    init() throws {
        header = try ProtocolHeader(try TestSupport.repositoryFile("vm/lib/protocol.h"))
    }

    @Test("the header is read: it has keys, limits and markers")
    func read() {
        #expect(header.strings.count >= 20)
        #expect(header.integers.count >= 6)
        #expect(header.markers.count >= 8)
    }

    @Test("every zcbench.* key, and the prefix")
    func keys() {
        #expect(header.strings["ZCB_PARAM_PREFIX"] == GuestProtocol.parameterPrefix)
        #expect(header.strings("ZCB_KEY_") == Set(GuestProtocol.Key.allCases.map(\.rawValue)))
        #expect(header.strings.keys.filter { $0.hasPrefix("ZCB_KEY_") }.count == GuestProtocol.Key.allCases.count)
        #expect(header.strings("ZCB_MODE_") == Set(GuestProtocol.Mode.allCases.map(\.rawValue)))
    }

    @Test("the lines the host reads")
    func lines() {
        #expect(header.strings["ZCB_LINE_INIT_STARTED"] == GuestProtocol.initStartedLine)
        #expect(header.strings["ZCB_LINE_EXIT"] == GuestProtocol.exitLine)
        #expect(header.strings["ZCB_LINE_GUEST_MEMORY"] == GuestProtocol.guestMemoryLine)
        #expect(header.strings["ZCB_LINE_SAMPLE"] == GuestProtocol.sampleLine)
    }

    @Test("the fuzzer's shape, limits and note prefixes")
    func fuzz() {
        #expect(header.integers["ZCB_FUZZ_PROCS"] == GuestProtocol.Fuzz.processes)
        #expect(header.integers["ZCB_FUZZ_THREADS"] == GuestProtocol.Fuzz.threadsPerProcess)
        #expect(header.integers["ZCB_FUZZ_REPRO_MAX"] == GuestProtocol.Fuzz.maxReproOperations)
        #expect(header.integers["ZCB_FUZZ_MIN_SECONDS"] == GuestProtocol.Fuzz.minimizeSeconds)
        #expect(header.integers["ZCB_FUZZ_PROGRESS_OPS"] == GuestProtocol.Fuzz.progressOperations)
        #expect(header.integers["ZCB_FUZZ_TRACE_OPS"] == GuestProtocol.Fuzz.traceOperations)
        #expect(header.integers.keys.filter { $0.hasPrefix("ZCB_FUZZ_") }.count == 6)
        #expect(header.strings["ZCB_NOTE_REPRO_STATES"] == GuestProtocol.Note.reproStates)
        #expect(header.strings["ZCB_NOTE_FUZZ_PROGRESS"] == GuestProtocol.Note.progress)
        #expect(header.strings["ZCB_NOTE_REPRO"] == GuestProtocol.Note.repro)
        #expect(header.strings.keys.filter { $0.hasPrefix("ZCB_NOTE_") }.count == 3)
    }

    @Test("the console markers, in order")
    func markers() {
        #expect(header.markers.map(\.kind) == GuestProtocol.consoleMarkers.map(\.kind))
        #expect(header.markers.map(\.text) == GuestProtocol.consoleMarkers.map(\.text))
    }

    @Test("a drifted header is caught: the parser sees a changed value")
    func drift() throws {
        let text = try TestSupport.repositoryFile("vm/lib/protocol.h")
            .replacingOccurrences(of: "\"Kernel panic - not syncing\"", with: "\"Kernel panic\"")
            .replacingOccurrences(of: "ZCB_FUZZ_REPRO_MAX\t\t48", with: "ZCB_FUZZ_REPRO_MAX\t\t64")
        let drifted = try ProtocolHeader(text)
        #expect(drifted.markers.map(\.text) != GuestProtocol.consoleMarkers.map(\.text))
        #expect(drifted.integers["ZCB_FUZZ_REPRO_MAX"] == 64)
    }
}

@Suite("the module's uapi header: designs and faults")
struct ModuleInterfaceTests {
    @Test("the checkout's header names the seven designs in enum order and the four faults")
    func checkout() throws {
        let module = try #require(ModuleInterface(header: try TestSupport.repositoryFile(ModuleInterface.headerPath)))
        #expect(module.variants == ["unaccounted", "v1", "v2", "pool-free", "batch", "steal", "pool-free-batched"])
        #expect(module.faults == ["orphan-leak", "orphan-oops", "counters-lie", "orphan-uaf", "slow-release"])
    }

    @Test("the livepatch's header names the real path's four designs, the stock kernel first")
    func livepatch() throws {
        let module = try #require(ModuleInterface(header: try TestSupport.repositoryFile(ModuleInterface.headerPath),
                                                  livepatchHeader: try TestSupport.repositoryFile(ModuleInterface.livepatchHeaderPath)))
        #expect(module.tcpDesigns == ["tcp-unaccounted", "tcp-v1", "tcp-kmem", "tcp-kmem-batched"])
        #expect(module.allDesigns == module.variants + module.tcpDesigns)
        #expect(try ModuleInterface.load(repository: TestSupport.repository) == module)
        #expect(ModuleInterface(header: try TestSupport.repositoryFile(ModuleInterface.headerPath), livepatchHeader: "") == nil)
    }

    @Test("an eighth design in the header is an eighth design for zcbench")
    func added() throws {
        let header = try TestSupport.repositoryFile(ModuleInterface.headerPath)
            .replacingOccurrences(of: "\t[ZCPOOL_VARIANT_POOL_FREE_BATCHED] = \"pool-free-batched\", \\\n",
                                  with: "\t[ZCPOOL_VARIANT_POOL_FREE_BATCHED] = \"pool-free-batched\", \\\n\t[ZCPOOL_VARIANT_POOL_FREE_BATCHED + 1] = \"pool-free-lazy\", \\\n")
        let module = try #require(ModuleInterface(header: header))
        #expect(module.variants.last == "pool-free-lazy")
        #expect(module.variants.count == 8)
    }

    @Test("a header without the name table is refused with the path")
    func missing() throws {
        #expect(ModuleInterface(header: "#define ZCPOOL_VERSION \"0.1.0\"\n") == nil)
        let error = #expect(throws: ModuleInterfaceError.self) {
            try ModuleInterface.load(repository: URL(fileURLWithPath: "/nonexistent"))
        }
        #expect(error?.message.contains("/nonexistent/kernel/uapi/zcpool.h") == true)
    }
}

@Suite("fuzz notes")
struct FuzzNoteTests {
    @Test("each note the guest prints is parsed; other lines are not notes", arguments: [
        ("repro-states pool-free e50ca3b1cb4d5245,1f", FuzzNote.reproStates(variant: "pool-free", states: [0xe50c_a3b1_cb4d_5245, 0x1f])),
        ("fuzz-progress 10496", .progress(10496)),
        ("repro steal: FEED(fd 5, bytes 0x31000, unit_pages 43, flags 0)",
         .repro(variant: "steal", operation: "FEED(fd 5, bytes 0x31000, unit_pages 43, flags 0)")),
    ])
    func parsed(_ line: String, note: FuzzNote) {
        #expect(FuzzNote(line) == note)
    }

    @Test("malformed notes are not notes", arguments: ["repro-states pool-free zz", "repro-states pool-free 0",
                                                       "fuzz-progress many", "repro pool-free no colon", "pool-free: leaked"])
    func malformed(_ line: String) {
        #expect(FuzzNote(line) == nil)
    }
}
