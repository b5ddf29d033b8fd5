import ArgumentParser
import ZCAnalysis
import ZCCore
import ZCGuest
import ZCKernel

public struct KernelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "kernel", abstract: "Manage guest kernels.",
                                                           subcommands: [KernelFetchCommand.self, KernelBuildCommand.self])
    public init() {}
}

public struct KernelFetchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Resolve the current Debian release of a series, download and cache its image, install its headers.")

    @OptionGroup public var kernel: KernelOptions

    public init() {}

    public func run() async throws {
        let store = try makePipeline().store
        for series in try kernel.debianSeries("kernel fetch") {
            let target = try await store.fetch(series)
            printOut("\(series.rawValue): \(target.release) image \(target.vmlinuz) headers \(target.headers)")
        }
    }
}

public struct KernelBuildCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a kernel from Debian's linux-source package: tinyconfig plus kernel/config/zcbench.config, --debug's checkers, your fragments and patches; once per request.")

    @Option(help: ArgumentHelp("Debian kernel series whose source to build.", valueName: "6.1|6.12"))
    public var series: String = KernelSeries.v6_1.rawValue

    @Flag(help: "Add kernel/config/debug.config: KASAN, lockdep (PROVE_LOCKING), DEBUG_VM, DEBUG_ATOMIC_SLEEP, DEBUG_LIST.")
    public var debug = false

    @Option(name: .customLong("patch"), help: ArgumentHelp("A patch to apply to the source (git apply; checked first), in order; repeatable.", valueName: "file"))
    public var patches: [String] = []

    @Option(name: .customLong("config"), help: ArgumentHelp("A config fragment merged after zcbench's, in order; repeatable.", valueName: "fragment"))
    public var fragments: [String] = []

    @Option(help: ArgumentHelp("The real-path design the patches build into net/ipv4/tcp.c (e.g. patches/tcp-kmem.patch is tcp-kmem): runs on the kernel judge it as that design, without the livepatch, in place of tcp-unaccounted.",
                               valueName: "design"))
    public var design: String?

    public init() {}

    /// The build this command line asks for, its design one of the livepatch's charging
    /// designs of `module`.
    public func request(_ module: ModuleInterface) throws -> SourceBuildRequest {
        if let design {
            _ = try usage { try NameError.check(design, kind: "real-path design", among: Array(module.tcpDesigns.dropFirst())) }
        }
        return SourceBuildRequest(series: try KernelSeries.parse(series), debug: debug, patches: patches, fragments: fragments,
                                  design: design)
    }

    public func run() async throws {
        let pipeline = try makePipeline()
        let builder = pipeline.sourceBuilder
        let build = try await builder.build(try request(try pipeline.module()))
        let target = builder.target(build)
        printOut("\(build.name): \(build.release) (\(build.source) \(build.sourceVersion)\(build.debug ? ", debug" : "")\(build.design.map { ", \($0) built in" } ?? "")) image \(target.vmlinuz) headers \(target.headers); use it with --kernel-build \(build.name)")
    }
}
