import Foundation
import Testing
import ZCTestSupport
import ZCGuest

@Suite("cgroup memory files")
struct MemoryStatTests {
    @Test("memory.stat captured from a cgroup v2 child in a Debian 6.12 guest")
    func guestMemoryStat() throws {
        let stat = try MemoryStat(parsing: try fixture("debian-6.12.117-guest-cgroup-zc.memory.stat"))
        #expect(stat.entries.count == 65)
        #expect(stat.entries.prefix(3) == [
            CgroupEntry(key: "anon", value: 49152), CgroupEntry(key: "file", value: 32_075_776),
            CgroupEntry(key: "kernel", value: 147_456),
        ])
        #expect(stat.anon == 49152)
        #expect(stat.file == 32_075_776)
        #expect(stat.kernel == 147_456)
        #expect(stat.sock == 131_072)
        #expect(stat.shmem == 32_075_776)
        #expect(stat.fileMapped == 0)
        #expect(stat["pgfault"] == 675)
        #expect(stat["numa_hint_faults"] == 0)
        #expect(stat["no_such_key"] == nil)
    }

    @Test("memory.stat of a cgroup v1 hierarchy (this dev machine): v2 keys are absent")
    func hostV1MemoryStat() throws {
        let stat = try MemoryStat(parsing: try fixture("devhost-cgroupv1.memory.stat"))
        #expect(stat.entries.first?.key == "cache")
        #expect(stat["hierarchical_memory_limit"] == 9_223_372_036_854_771_712)
        #expect(stat["mapped_file"] != nil)
        #expect(stat.anon == nil && stat.sock == nil && stat.kernel == nil && stat.fileMapped == nil)
    }

    @Test("CRLF line ends parse like LF")
    func crlf() throws {
        let text = try fixture("debian-6.12.117-guest-cgroup-zc.memory.stat")
        #expect(try MemoryStat(parsing: text.replacingOccurrences(of: "\n", with: "\r\n")) == MemoryStat(parsing: text))
    }

    @Test("malformed memory.stat lines name their line", arguments: [
        ("anon 1\nfile\n", 2, "file"),
        ("anon -1\n", 1, "anon -1"),
        ("anon 1 2\n", 1, "anon 1 2"),
        ("anon 1\n\nfile x\n", 3, "file x"),
        ("anon 1\nanon 2\n", 2, "anon 2"),
        ("sock 18446744073709551616\n", 1, "sock 18446744073709551616"),
    ] as [(String, Int, String)])
    func malformed(text: String, lineNumber: Int, line: String) {
        let error = #expect(throws: CgroupFileParseError.self) {
            try MemoryStat(parsing: text)
        }
        #expect(error?.file == "memory.stat")
        #expect(error?.lineNumber == lineNumber)
        #expect(error?.line == line)
        #expect(error?.message.hasPrefix("memory.stat line \(lineNumber): ") == true)
    }

    @Test("memory.events")
    func events() throws {
        let events = try MemoryEvents(parsing: try fixture("debian-6.12.117-guest-cgroup-zc.memory.events"))
        #expect(events.entries.map(\.key) == ["low", "high", "max", "oom", "oom_kill", "oom_group_kill"])
        #expect(events.max == 35)
        #expect(events.oom == 1)
        #expect(events.oomKill == 1)
        #expect(events["high"] == 0)
        #expect(events["oom_group_kill"] == 0)
        #expect(events["nope"] == nil)
    }

    @Test("memory.current")
    func current() throws {
        #expect(try MemoryCurrent(parsing: try fixture("debian-6.12.117-guest-cgroup-zc.memory.current")).bytes == 32_407_552)
        #expect(try MemoryCurrent(parsing: "4096").bytes == 4096)
        #expect(try MemoryCurrent(parsing: "4096\r\n").bytes == 4096)
    }

    @Test("malformed memory.current", arguments: ["", "\n", "max\n", "12 34\n", "-1\n", "1\n2\n"])
    func malformedCurrent(text: String) {
        #expect(throws: CgroupFileParseError.self) {
            try MemoryCurrent(parsing: text)
        }
    }
}
