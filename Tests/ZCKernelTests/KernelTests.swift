import Foundation
import Testing
import ZCTestSupport
import ZCCore
@testable import ZCKernel

@Suite("Debian kernel resolution")
struct KernelTests {
    @Test("6.1: the release linux-image-amd64 depends on")
    func metaPackage() throws {
        let release = AptParsing.metaPackageTarget(showOutput: try fixture("apt-cache-show-linux-image-amd64.txt"))
        #expect(release == KernelRelease("6.1.0-56-amd64"))
        #expect(release?.headersPackage == "linux-headers-6.1.0-56-amd64")
        #expect(release?.headersDirectory == "/usr/src/linux-headers-6.1.0-56-amd64")
    }

    @Test("6.12: the newest 6.12.N+deb12-amd64, ignoring cloud, rt, dbg and unsigned flavours")
    func newest612() throws {
        let names = try fixture("apt-cache-pkgnames-linux-image-6.12.txt").split(separator: "\n").map(String.init)
        #expect(AptParsing.newest612(packageNames: names) == KernelRelease("6.12.117+deb12-amd64"))
        #expect(AptParsing.newest612(packageNames: ["linux-image-6.12.9+deb12-amd64", "linux-image-6.12.10+deb12-amd64"])
                == KernelRelease("6.12.10+deb12-amd64"))
        #expect(AptParsing.newest612(packageNames: ["linux-image-6.12.200+deb12-cloud-amd64"]) == nil)
    }

    @Test("nothing to resolve without the Depends line")
    func noDepends() {
        #expect(AptParsing.metaPackageTarget(showOutput: "Package: linux-image-amd64\nVersion: 1\n") == nil)
    }

    @Test("md5sums of /boot from the package's own control file")
    func bootChecksums() throws {
        let sums = AptParsing.bootChecksums(md5sums: try fixture("dpkg-deb-md5sums-boot-linux-image-6.1.0-56.txt"))
        #expect(sums.map(\.path) == ["boot/System.map-6.1.0-56-amd64", "boot/config-6.1.0-56-amd64", "boot/vmlinuz-6.1.0-56-amd64"])
        #expect(sums.allSatisfy { $0.md5.count == 32 })
    }

    @Test("series names", arguments: [("6.1", KernelSeries.v6_1), ("6.12", .v6_12)])
    func series(_ text: String, expected: KernelSeries) throws {
        #expect(try KernelSeries.parse(text) == expected)
    }

    @Test("an unknown series is a usage error naming the valid ones", arguments: ["6.3", "", "latest", "6.1.0"])
    func unknownSeries(_ text: String) {
        let error = #expect(throws: ZCError.self) { try KernelSeries.parse(text) }
        #expect(error?.code == .usage)
        #expect(error?.exitStatus == 2)
        #expect(error?.message.contains("valid series: 6.1, 6.12") == true)
    }

    @Test("the commands that fetch a kernel, as values")
    func commands() {
        let release = KernelRelease("6.1.0-56-amd64")
        #expect(KernelStore.download(release, into: "/c/tmp").description == "apt-get download -q linux-image-6.1.0-56-amd64")
        #expect(KernelStore.download(release, into: "/c/tmp").workingDirectory == "/c/tmp")
        #expect(KernelStore.unpackBoot(deb: "/c/x.deb", into: "/c/root").arguments
                == ["-o", "pipefail", "-c", "dpkg-deb --fsys-tarfile \"$0\" | tar -x -C \"$1\" ./boot", "/c/x.deb", "/c/root"])
        #expect(KernelStore.installHeaders(release, asRoot: true).description
                == "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-headers-6.1.0-56-amd64")
        #expect(KernelStore.installHeaders(release, asRoot: false).description
                == "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-headers-6.1.0-56-amd64")
        #expect(KernelStore.verify(entry: "/c/e").description == "md5sum --check --quiet --strict md5sums")
        #expect(KernelStore.showMetaPackage(pkgcache: "/c/apt.bin").description
                == "apt-cache -o Dir::Cache::pkgcache=/c/apt.bin show --no-all-versions linux-image-amd64")
    }

    @Test("a user-built kernel needs a prepared kbuild tree")
    func custom() throws {
        let store = KernelStore(cache: URL(fileURLWithPath: "/nonexistent"), runner: CommandRunner(),
                                logger: .init(label: "test"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zc-custom-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("include/config"), withIntermediateDirectories: true)
        let image = directory.appendingPathComponent("bzImage")
        try Data("x".utf8).write(to: image)
        let error = #expect(throws: ZCError.self) { try store.custom(kernel: image.path, headers: directory.path) }
        #expect(error?.message.contains("include/config/kernel.release") == true)
        try Data("6.13.0-zc\n".utf8).write(to: directory.appendingPathComponent("include/config/kernel.release"))
        let target = try store.custom(kernel: image.path, headers: directory.path)
        #expect(target.release == KernelRelease("6.13.0-zc"))
        #expect(target.series == nil)
        #expect(throws: ZCError.self) { try store.custom(kernel: "/nonexistent/bzImage", headers: directory.path) }
    }
}

@Suite("boot image")
struct BootImageTests {
    @Test("not a bzImage, not an ELF: no payload, no PVH entry", arguments: [Data(), Data(repeating: 0, count: 4096),
                                                                                Data("\u{7f}ELF".utf8) + Data(repeating: 0, count: 100)])
    func garbage(_ data: Data) {
        #expect(BootImage.payload(of: data) == nil)
        #expect(!BootImage.hasPVHNote(data))
    }

    @Test("the build ID is the GNU note readelf shows, of a real ELF file; none in garbage")
    func buildID() async throws {
        let path = "/bin/true"
        let readelf = try await CommandRunner().run(Command("readelf", ["-n", path]))
        let line = try #require(readelf.output.split(separator: "\n").first { $0.contains("Build ID:") })
        let shown = try #require(line.split(separator: " ").last).trimmingCharacters(in: .whitespaces)
        #expect(try BootImage.buildID(ofFile: path) == shown)
        #expect(BootImage.notes(try Data(contentsOf: URL(fileURLWithPath: path))).contains { $0.name == "GNU" && $0.type == 3 })
        #expect(BootImage.buildID(Data("\u{7f}ELF".utf8) + Data(repeating: 0, count: 100)) == nil)
    }

    @Test("decompression is one command writing a file")
    func command() {
        let payload = BootImage.Payload(range: 0..<1, decompressor: "zstd")
        #expect(BootImage.decompress(payload, compressed: "/c/p", output: "/c/v").arguments
                == ["-o", "pipefail", "-c", "\"$0\" -dc -- \"$1\" > \"$2\"", "zstd", "/c/p", "/c/v"])
    }
}
