import Foundation
import Testing
import ZCTestSupport
import ZCCore
@testable import ZCBuild

@Suite("module build")
struct BuildTests {
    @Test("vermagic of the target release passes", arguments: [
        ("6.1.0-56-amd64 SMP preempt mod_unload modversions ", "6.1.0-56-amd64"),
        ("6.12.117+deb12-amd64 SMP preempt mod_unload modversions ", "6.12.117+deb12-amd64"),
    ])
    func vermagicMatches(_ vermagic: String, release: String) throws {
        try checkVermagic(vermagic, release: release, module: "zcpool.ko")
    }

    @Test("a vermagic mismatch names both strings")
    func vermagicMismatch() {
        let error = #expect(throws: ZCError.self) {
            try checkVermagic("6.12.117+deb12-amd64 SMP preempt mod_unload modversions ", release: "6.1.0-56-amd64", module: "zcpool.ko")
        }
        #expect(error?.code == .vermagicMismatch)
        #expect(error?.message.contains("'6.12.117+deb12-amd64 SMP preempt mod_unload modversions'") == true)
        #expect(error?.message.contains("'6.1.0-56-amd64'") == true)
    }

    @Test("a release that is only a prefix does not match")
    func vermagicPrefix() {
        #expect(throws: ZCError.self) {
            try checkVermagic("6.1.0-56-amd64-custom SMP", release: "6.1.0-56-amd64", module: "m.ko")
        }
        #expect(throws: ZCError.self) { try checkVermagic(nil, release: "6.1.0-56-amd64", module: "m.ko") }
    }

    @Test("a compile failure shows the compiler's error lines")
    func compilerErrors() throws {
        let lines = Builder.compilerErrors(try fixture("kbuild-6.1.0-56-undeclared-identifier.log"))
        #expect(lines.first == "/tmp/broken/main.c:22:16: error: ‘undefined_symbol_zc’ undeclared (first use in this function)")
        #expect(lines.contains { $0.contains("control reaches end of non-void function") })
        #expect(!lines.contains { $0.contains("Entering directory") })
    }

    @Test("kbuild and the guest programs, as commands")
    func commands() {
        #expect(Builder.kbuild(headers: "/usr/src/linux-headers-6.1.0-56-amd64", moduleDirectory: "/o/6.1.0-56-amd64/kernel",
                                kernelBuildID: "6a2b4ac7").description
                == "make -C /usr/src/linux-headers-6.1.0-56-amd64 M=/o/6.1.0-56-amd64/kernel KCFLAGS=-ffile-prefix-map=/o/6.1.0-56-amd64/kernel=zcpool ZCTCP_BUILD_ID=6a2b4ac7 -j2 modules")
        #expect(Builder.guestPrograms(vmDirectory: "/r/vm", output: "/o/vm").description == "make -C /r/vm O=/o/vm -j2")
    }

    @Test("the mirror copies sources only, keeps unchanged files untouched and drops removed ones")
    func mirror() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("zc-mirror-\(getpid())")
        defer { try? fm.removeItem(at: root) }
        let source = root.appendingPathComponent("kernel"), destination = root.appendingPathComponent("out")
        try fm.createDirectory(at: source.appendingPathComponent("uapi"), withIntermediateDirectories: true)
        for (name, text) in [("Kbuild", "obj-m := z.o\n"), ("main.c", "int x;\n"), ("uapi/z.h", "#define Z\n"),
                             ("main.o", "object"), (".main.o.cmd", "cmd"), ("z.mod.c", "generated")] {
            try Data(text.utf8).write(to: source.appendingPathComponent(name))
        }
        let builder = Builder(repository: root, output: destination, runner: CommandRunner())
        try builder.mirror(from: source, to: destination)
        #expect(Set(try fm.subpathsOfDirectory(atPath: destination.path)) == ["Kbuild", "main.c", "uapi", "uapi/z.h"])
        let before = try fm.attributesOfItem(atPath: destination.appendingPathComponent("main.c").path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.02)
        try fm.removeItem(at: source.appendingPathComponent("uapi/z.h"))
        try builder.mirror(from: source, to: destination)
        let after = try fm.attributesOfItem(atPath: destination.appendingPathComponent("main.c").path)[.modificationDate] as? Date
        #expect(before == after)
        #expect(!fm.fileExists(atPath: destination.appendingPathComponent("uapi/z.h").path))
    }
}
