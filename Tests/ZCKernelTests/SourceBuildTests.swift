import Foundation
import Logging
import Testing
import ZCTestSupport
import ZCCore
@testable import ZCKernel

/// `zcbench kernel build`'s pure parts: the source package and its version, the build's
/// name, the fragments' settings checked against a real .config.
@Suite("kernels from source: names, versions, config checks")
struct SourceBuildTests {
    static let request = SourceBuildRequest(series: .v6_1, debug: true)

    func builder() -> KernelSourceBuilder {
        KernelSourceBuilder(cache: URL(fileURLWithPath: "/nonexistent"), repository: URL(fileURLWithPath: "/repo"),
                            runner: CommandRunner(logger: Logger(label: "test")), logger: Logger(label: "test"))
    }

    @Test("the source package of a series and its version, from apt-cache show")
    func version() throws {
        #expect(KernelSourceBuilder.sourcePackage(.v6_12) == "linux-source-6.12")
        #expect(KernelSourceBuilder.packageVersion(showOutput: try fixture("apt-cache-show-linux-source-6.1.txt")) == "6.1.192-3")
        #expect(KernelSourceBuilder.packageVersion(showOutput: "Package: x\n") == nil)
    }

    @Test("the name: series, flavour and a hash of everything that goes in; any change is another build")
    func name() {
        let fragments = [Data("CONFIG_MEMCG=y\n".utf8)], patches = [Data("--- a/x\n".utf8)]
        let name = KernelSourceBuilder.name(Self.request, sourceVersion: "6.1.192-3", fragments: fragments, patches: patches)
        #expect(name.hasPrefix("6.1-debug-") && name.count == "6.1-debug-".count + 16)
        #expect(name == KernelSourceBuilder.name(Self.request, sourceVersion: "6.1.192-3", fragments: fragments, patches: patches))
        let others = [
            KernelSourceBuilder.name(Self.request, sourceVersion: "6.1.192-4", fragments: fragments, patches: patches),
            KernelSourceBuilder.name(Self.request, sourceVersion: "6.1.192-3", fragments: [Data("CONFIG_MEMCG=n\n".utf8)], patches: patches),
            KernelSourceBuilder.name(Self.request, sourceVersion: "6.1.192-3", fragments: fragments, patches: []),
            // The same bytes as a fragment rather than a patch.
            KernelSourceBuilder.name(Self.request, sourceVersion: "6.1.192-3", fragments: fragments + patches, patches: []),
        ]
        // The design the patches are said to build in is part of the request.
        var designed = Self.request
        designed.design = "tcp-kmem"
        let withDesign = KernelSourceBuilder.name(designed, sourceVersion: "6.1.192-3", fragments: fragments, patches: patches)
        #expect(Set(others + [name, withDesign]).count == 6)
        let plain = SourceBuildRequest(series: .v6_12)
        #expect(KernelSourceBuilder.name(plain, sourceVersion: "v", fragments: [], patches: []).hasPrefix("6.12-plain-"))
    }

    @Test("a design without a patch to build it in is refused before anything is fetched")
    func designWithoutPatch() async {
        let error = await #expect(throws: ZCError.self) {
            _ = try await builder().build(SourceBuildRequest(series: .v6_1, design: "tcp-kmem"))
        }
        #expect(error?.code == .usage)
        #expect(error?.message.contains("give them with --patch") == true)
    }

    @Test("zcbench's fragments: the base one, and the debug one for --debug")
    func fragments() {
        #expect(builder().baseFragments(debug: false).map(\.path) == ["/repo/kernel/config/zcbench.config"])
        #expect(builder().baseFragments(debug: true).map(\.path) == ["/repo/kernel/config/zcbench.config", "/repo/kernel/config/debug.config"])
    }

    @Test("zcbench's own fragments hold in the .config a debug build of 6.1.192 got; a setting its dependencies kept out does not")
    func realConfig() throws {
        let config = try fixture("kernel-build-6.1.192-debug.config")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["zcbench.config", "debug.config"] {
            let fragment = try String(contentsOf: repository.appendingPathComponent("kernel/config/\(name)"), encoding: .utf8)
            #expect(KernelSourceBuilder.unmet(fragment: fragment, config: config).isEmpty, "\(name)")
        }
        // Not in tinyconfig's world: swap, and a NUMA machine.
        #expect(KernelSourceBuilder.unmet(fragment: "CONFIG_SWAP=y\nCONFIG_NUMA=y\nCONFIG_KASAN=y\n", config: config)
                == ["CONFIG_SWAP=y", "CONFIG_NUMA=y"])
    }

    @Test("a fragment's settings against a .config: set as asked, or not set where asked so")
    func unmet() {
        let config = "CONFIG_MEMCG=y\nCONFIG_NR_CPUS=8\n# CONFIG_KASAN is not set\nCONFIG_SWAP=n\n"
        #expect(KernelSourceBuilder.unmet(fragment: "# a comment\n\nCONFIG_MEMCG=y\nCONFIG_NR_CPUS=8\n", config: config).isEmpty)
        #expect(KernelSourceBuilder.unmet(fragment: "CONFIG_KASAN=y\nCONFIG_NR_CPUS=64\nCONFIG_LIVEPATCH=y\n", config: config)
                == ["CONFIG_KASAN=y", "CONFIG_NR_CPUS=64", "CONFIG_LIVEPATCH=y"])
        #expect(KernelSourceBuilder.unmet(fragment: "# CONFIG_KASAN is not set\n# CONFIG_SWAP is not set\n# CONFIG_ZZZ is not set\n",
                                          config: config).isEmpty)
        #expect(KernelSourceBuilder.unmet(fragment: "# CONFIG_MEMCG is not set\n", config: config) == ["# CONFIG_MEMCG is not set"])
    }
}
