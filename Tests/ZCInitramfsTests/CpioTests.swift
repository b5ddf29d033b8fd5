import Foundation
import Testing
import ZCInitramfs

/// One entry read back from a newc archive, for assertions.
struct NewcTestEntry: Equatable {
    /// ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
    /// namesize, check.
    var fields: [UInt32]
    var name: String
    var data: [UInt8]

    var inode: UInt32 { fields[0] }
    var mode: UInt32 { fields[1] }
    var nlink: UInt32 { fields[4] }
    var rdev: (UInt32, UInt32) { (fields[9], fields[10]) }

    /// Reads every entry up to and including the trailer, checking magic and 4-byte alignment.
    static func read(_ archive: [UInt8]) throws -> [NewcTestEntry] {
        var entries: [NewcTestEntry] = []
        var offset = 0
        while offset < archive.count {
            try #require(offset % 4 == 0)
            try #require(String(decoding: archive[offset..<offset + 6], as: UTF8.self) == "070701")
            var fields: [UInt32] = []
            for field in 0..<13 {
                let start = offset + 6 + field * 8
                fields.append(try #require(UInt32(String(decoding: archive[start..<start + 8], as: UTF8.self), radix: 16)))
            }
            let nameStart = offset + 110
            let nameSize = Int(fields[11])
            try #require(archive[nameStart + nameSize - 1] == 0)
            let name = String(decoding: archive[nameStart..<nameStart + nameSize - 1], as: UTF8.self)
            let dataStart = (nameStart + nameSize + 3) / 4 * 4
            let data = Array(archive[dataStart..<dataStart + Int(fields[6])])
            entries.append(NewcTestEntry(fields: fields, name: name, data: data))
            offset = (dataStart + data.count + 3) / 4 * 4
            if name == "TRAILER!!!" { break }
        }
        try #require(offset == archive.count)
        return entries
    }
}

@Suite("newc cpio writer")
struct CpioTests {
    @Test("exact bytes of a one-file archive, field by field")
    func exactBytes() throws {
        var cpio = CpioWriter()
        try cpio.addFile("a", contents: Array("hi".utf8), mode: 0o644)

        let file =
            "070701"  // magic
            + "00000001"  // ino: first entry
            + "000081A4"  // mode: S_IFREG 0o100000 | 0o644 = 0x81A4
            + "00000000" + "00000000"  // uid, gid
            + "00000001"  // nlink
            + "00000000"  // mtime
            + "00000002"  // filesize: "hi"
            + "00000000" + "00000000"  // devmajor, devminor
            + "00000000" + "00000000"  // rdevmajor, rdevminor
            + "00000002"  // namesize: "a" + NUL
            + "00000000"  // check
            + "a\0"  // 110 + 2 = 112: already a multiple of 4, no padding
            + "hi\0\0"  // data padded from 2 to 4
        let trailer =
            "070701" + "00000000" + "00000000" + "00000000" + "00000000"  // ino 0, mode 0, uid, gid
            + "00000001" + "00000000" + "00000000"  // nlink 1, mtime, filesize
            + "00000000" + "00000000" + "00000000" + "00000000"
            + "0000000B"  // namesize: "TRAILER!!!" + NUL = 11
            + "00000000"
            + "TRAILER!!!\0" + "\0\0\0"  // 110 + 11 = 121, padded to 124
        #expect(cpio.bytes == Array((file + trailer).utf8))
        #expect(cpio.bytes.count == 116 + 124)
    }

    @Test("directories, symlinks and device nodes")
    func entryKinds() throws {
        var cpio = CpioWriter()
        try cpio.addDirectory("dev")
        try cpio.addCharacterDevice("dev/null", major: 1, minor: 3, mode: 0o666)
        try cpio.addBlockDevice("dev/vda", major: 254, minor: 16, mode: 0o660)
        try cpio.addSymlink("sh", target: "busybox")
        let entries = try NewcTestEntry.read(cpio.bytes)

        #expect(entries.map(\.name) == ["dev", "dev/null", "dev/vda", "sh", "TRAILER!!!"])
        #expect(entries.map(\.inode) == [1, 2, 3, 4, 0])
        #expect(entries.map(\.nlink) == [2, 1, 1, 1, 1])
        #expect(entries.map(\.mode) == [0x41ED, 0x21B6, 0x61B0, 0xA1FF, 0])
        #expect(entries[1].rdev == (1, 3))
        #expect(entries[2].rdev == (254, 16))
        #expect(entries[3].data == Array("busybox".utf8))
        for entry in entries {
            #expect(entry.fields[2...3] == [0, 0], "uid/gid of \(entry.name)")
            #expect(entry.fields[5] == 0, "mtime of \(entry.name)")
            #expect(entry.fields[7...8] == [0, 0], "devmajor/devminor of \(entry.name)")
        }
        // The raw header of dev/null: rdevmajor and rdevminor are the 10th and 11th fields.
        let header = String(decoding: cpio.bytes[116..<226], as: UTF8.self)
        #expect(header == "070701" + "00000002" + "000021B6" + "00000000" + "00000000" + "00000001"
            + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000003"
            + "00000009" + "00000000")
    }

    @Test("header+name and data are padded to 4 bytes", arguments: 1...8)
    func padding(length: Int) throws {
        var cpio = CpioWriter()
        let name = String(repeating: "n", count: length)
        try cpio.addFile(name, contents: [UInt8](repeating: 0xAB, count: length))
        let bytes = cpio.bytes
        let dataStart = 110 + length + 1 + (4 - (110 + length + 1) % 4) % 4
        #expect(dataStart % 4 == 0)
        #expect(bytes[dataStart..<dataStart + length].allSatisfy { $0 == 0xAB })
        #expect(bytes[(110 + length + 1)..<dataStart].allSatisfy { $0 == 0 })
        let entries = try NewcTestEntry.read(bytes)
        #expect(entries.map(\.name) == [name, "TRAILER!!!"])
    }

    @Test("identical input gives identical bytes")
    func deterministic() throws {
        func build() throws -> [UInt8] {
            var cpio = CpioWriter()
            try cpio.addDirectory("bin")
            try cpio.addFile("bin/x", contents: [1, 2, 3], mode: 0o755)
            try cpio.addSymlink("bin/y", target: "x")
            return cpio.bytes
        }
        #expect(try build() == build())
    }

    @Test("invalid names and modes are refused", arguments: [
        ("", 0o644, .emptyName), ("/init", 0o644, .absolutePath), ("a/../b", 0o644, .invalidComponent),
        ("..", 0o644, .invalidComponent), ("./a", 0o644, .invalidComponent), ("a//b", 0o644, .invalidComponent),
        ("a/", 0o644, .invalidComponent), ("a\0b", 0o644, .containsNUL), ("TRAILER!!!", 0o644, .reservedName),
        ("ok", 0o100644, .invalidMode),
    ] as [(String, UInt32, CpioError.Code)])
    func invalid(name: String, mode: UInt32, code: CpioError.Code) {
        var cpio = CpioWriter()
        let error = #expect(throws: CpioError.self) {
            try cpio.addFile(name, contents: [], mode: mode)
        }
        #expect(error?.code == code)
        #expect(error?.path == name)
        #expect(cpio.bytes.count == 124, "nothing but the trailer was written")
    }

    @Test("a symlink target with NUL is refused")
    func symlinkTargetNUL() {
        var cpio = CpioWriter()
        let error = #expect(throws: CpioError.self) {
            try cpio.addSymlink("l", target: "a\0b")
        }
        #expect(error?.code == .containsNUL)
    }

    @Test(
        "GNU cpio reads the archive back",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cpio"),
            "needs GNU cpio at /usr/bin/cpio (apt-get install cpio) to read the archive back"))
    func roundTripThroughSystemCpio() throws {
        var cpio = CpioWriter()
        try cpio.addDirectory("bin")
        try cpio.addFile("bin/hello", contents: Array("hello, world\n".utf8), mode: 0o755)
        try cpio.addSymlink("bin/sh", target: "hello")
        try cpio.addDirectory("dev")
        try cpio.addCharacterDevice("dev/ttyS1", major: 4, minor: 65, mode: 0o660)
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("cpio-\(UUID().uuidString).cpio")
        try Data(cpio.bytes).write(to: archive)
        defer { try? FileManager.default.removeItem(at: archive) }

        #expect(try runCpio(["-it", "--quiet"], input: archive) == "bin\nbin/hello\nbin/sh\ndev\ndev/ttyS1\n")
        #expect(try runCpio(["-i", "--to-stdout", "--quiet", "bin/hello"], input: archive) == "hello, world\n")
        let long = try runCpio(["-itv", "--quiet"], input: archive).split(separator: "\n")
        #expect(long[1].hasPrefix("-rwxr-xr-x"))
        #expect(long[2].hasPrefix("lrwxrwxrwx") && long[2].hasSuffix("bin/sh -> hello"))
        #expect(long[4].hasPrefix("crw-rw----") && long[4].contains(" 4,  65 "))
    }

    private func runCpio(_ arguments: [String], input: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/cpio")
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: input)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "cpio \(arguments) exited \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }
}
