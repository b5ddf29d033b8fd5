import ArgumentParser
import ZCCore
import ZCKernel

public struct KernelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "kernel", abstract: "Manage guest kernels.",
                                                           subcommands: [KernelFetchCommand.self])
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
