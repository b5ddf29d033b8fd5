import Foundation
import Testing
import ZCInitramfs
import ZCTestSupport

private struct MissingHostFile: Error {
    let path: String
}

@Suite("initramfs layout")
struct InitramfsTests {
    /// Host contents by path; the archive never touches the real /bin/busybox.
    let hostFiles: [String: [UInt8]] = [
        "/host/init": Array("init-binary".utf8),
        "/host/busybox": Array("busybox-binary".utf8),
        "/host/zcrunner": Array("zcrunner-binary".utf8),
        "/host/build/zcpool.ko": Array("module".utf8),
        "/host/build/zctcp/zctcp.ko": Array("livepatch".utf8),
        "/host/scenarios.conf": Array("tcp-zerocopy\n".utf8),
    ]

    func layout(extraFiles: [InitramfsLayout.ExtraFile] = []) -> InitramfsLayout {
        InitramfsLayout(
            initPath: "/host/init", busyboxPath: "/host/busybox", zcrunnerPath: "/host/zcrunner",
            modulePath: "/host/build/zcpool.ko",
            livepatchPath: "/host/build/zctcp/zctcp.ko", extraFiles: extraFiles)
    }

    func read(_ path: String) throws -> [UInt8] {
        guard let contents = hostFiles[path] else { throw MissingHostFile(path: path) }
        return contents
    }

    @Test("the layout of docs/guest-protocol.md")
    func layoutEntries() throws {
        let entries = try NewcTestEntry.read(layout().build(readFile: read))
        #expect(entries.map(\.name) == [
            "bin", "dev", "lib", "lib/modules", "proc", "sys", "tmp", "root",
            "dev/console", "dev/ttyS0", "dev/ttyS1", "dev/ttyS2", "dev/null",
            "init", "bin/busybox", "bin/sh", "bin/zcrunner", "lib/modules/zcpool.ko",
            "lib/modules/zctcp.ko", "TRAILER!!!",
        ])
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
        #expect(byName["init"]?.mode == 0o100755)
        #expect(byName["init"]?.data == Array("init-binary".utf8))
        #expect(byName["bin/busybox"]?.mode == 0o100755)
        #expect(byName["bin/zcrunner"]?.mode == 0o100755)
        #expect(byName["bin/sh"]?.mode == 0o120777)
        #expect(byName["bin/sh"]?.data == Array("busybox".utf8))
        #expect(byName["lib/modules/zcpool.ko"]?.mode == 0o100644)
        #expect(byName["lib/modules/zcpool.ko"]?.data == Array("module".utf8))
        #expect(byName["lib/modules/zctcp.ko"]?.mode == 0o100644)
        #expect(byName["lib/modules/zctcp.ko"]?.data == Array("livepatch".utf8))
        #expect(byName["tmp"]?.mode == 0o41777)
        #expect(entries.filter { $0.mode & 0o170000 == 0o040000 }.allSatisfy { $0.nlink == 2 })
    }

    @Test("a module source without the livepatch (an older revision) gives an archive without it")
    func withoutLivepatch() throws {
        var old = layout()
        old.livepatchPath = nil
        let names = try NewcTestEntry.read(old.build(readFile: read)).map(\.name)
        #expect(names.contains("lib/modules/zcpool.ko") && !names.contains("lib/modules/zctcp.ko"))
    }

    @Test("device nodes", arguments: [
        ("dev/console", 5, 1), ("dev/ttyS0", 4, 64), ("dev/ttyS1", 4, 65), ("dev/ttyS2", 4, 66), ("dev/null", 1, 3),
    ] as [(String, UInt32, UInt32)])
    func deviceNode(name: String, major: UInt32, minor: UInt32) throws {
        let entries = try NewcTestEntry.read(layout().build(readFile: read))
        let node = try #require(entries.first { $0.name == name })
        #expect(node.mode & 0o170000 == 0o020000, "character device")
        #expect(node.rdev == (major, minor))
    }

    @Test("extra files get their parent directories first")
    func extraFiles() throws {
        let extra = InitramfsLayout.ExtraFile(archivePath: "etc/zcbench/scenarios.conf", hostPath: "/host/scenarios.conf")
        let entries = try NewcTestEntry.read(layout(extraFiles: [extra]).build(readFile: read))
        #expect(entries.suffix(4).map(\.name) == ["etc", "etc/zcbench", "etc/zcbench/scenarios.conf", "TRAILER!!!"])
        #expect(entries[entries.count - 2].data == Array("tcp-zerocopy\n".utf8))
        #expect(entries[entries.count - 2].mode == 0o100644)
    }

    @Test("an extra file under an existing directory adds no directory")
    func extraFileInExistingDirectory() throws {
        let extra = InitramfsLayout.ExtraFile(archivePath: "bin/helper", hostPath: "/host/scenarios.conf", mode: 0o755)
        let entries = try NewcTestEntry.read(layout(extraFiles: [extra]).build(readFile: read))
        #expect(entries.filter { $0.name == "bin" }.count == 1)
        #expect(entries[entries.count - 2].name == "bin/helper")
    }

    @Test("identical inputs give identical archives")
    func deterministic() throws {
        #expect(try layout().build(readFile: read) == layout().build(readFile: read))
    }

    @Test("an unreadable host file is named in the error")
    func readFailure() {
        var broken = layout()
        broken.zcrunnerPath = "/host/missing"
        let error = #expect(throws: InitramfsError.self) {
            try broken.build(readFile: read)
        }
        #expect(error?.code == .readFailed)
        #expect(error?.message.contains("/host/missing") == true)
        #expect((error?.cause as? MissingHostFile)?.path == "/host/missing")
    }

    @Test("an invalid extra path is refused with the cpio error as cause")
    func invalidExtraPath() {
        let extra = InitramfsLayout.ExtraFile(archivePath: "../escape", hostPath: "/host/scenarios.conf")
        let error = #expect(throws: InitramfsError.self) {
            try layout(extraFiles: [extra]).build(readFile: read)
        }
        #expect(error?.code == .invalidEntry)
        #expect((error?.cause as? CpioError)?.code == .invalidComponent)
    }

    @Test("write(to:) reads the host files and writes the archive")
    func writeToFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("initramfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var onDisk = layout()
        for (name, path) in [("init", \InitramfsLayout.initPath), ("busybox", \.busyboxPath), ("zcrunner", \.zcrunnerPath), ("zcpool.ko", \.modulePath)] {
            let file = directory.appendingPathComponent(name)
            try Data(try read(onDisk[keyPath: path])).write(to: file)
            onDisk[keyPath: path] = file.path
        }
        let livepatch = directory.appendingPathComponent("zctcp.ko")
        try Data(try read(try #require(onDisk.livepatchPath))).write(to: livepatch)
        onDisk.livepatchPath = livepatch.path
        let output = directory.appendingPathComponent("initramfs.cpio")
        try onDisk.write(to: output)
        #expect(try [UInt8](Data(contentsOf: output)) == layout().build(readFile: read))

        onDisk.initPath = directory.appendingPathComponent("absent").path
        let error = #expect(throws: InitramfsError.self) {
            try onDisk.write(to: output)
        }
        #expect(error?.code == .readFailed)
    }
}

@Suite("initramfs paths: vm/lib/protocol.h and the layout agree")
struct InitramfsParityTests {
    @Test("init, the runner, the modules and the results port are where the guest looks for them", arguments: [
        ("ZCB_PATH_INIT", InitramfsLayout.initArchivePath),
        ("ZCB_PATH_RUNNER", InitramfsLayout.runnerArchivePath),
        ("ZCB_PATH_MODULE", InitramfsLayout.moduleArchivePath),
        ("ZCB_PATH_LIVEPATCH", InitramfsLayout.livepatchArchivePath),
        ("ZCB_PATH_RESULTS", InitramfsLayout.resultsArchivePath),
    ])
    func path(_ name: String, archivePath: String) throws {
        let header = try TestSupport.repositoryFile("vm/lib/protocol.h")
        let line = try #require(header.split(separator: "\n").first { $0.hasPrefix("#define \(name)\t") || $0.hasPrefix("#define \(name) ") })
        #expect(line.contains("\"/\(archivePath)\""), "\(line)")
    }
}
