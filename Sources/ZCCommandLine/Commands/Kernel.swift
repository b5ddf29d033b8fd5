import ArgumentParser
import ZCCore
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

    public init() {}

    /// The build this command line asks for.
    public func request() throws -> SourceBuildRequest {
        SourceBuildRequest(series: try KernelSeries.parse(series), debug: debug, patches: patches, fragments: fragments)
    }

    public func run() async throws {
        let builder = try makePipeline().sourceBuilder
        let build = try await builder.build(try request())
        let target = builder.target(build)
        printOut("\(build.name): \(build.release) (\(build.source) \(build.sourceVersion)\(build.debug ? ", debug" : "")) image \(target.vmlinuz) headers \(target.headers); use it with --kernel-build \(build.name)")
    }
}
