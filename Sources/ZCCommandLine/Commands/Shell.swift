import ArgumentParser
import ZCCore
import ZCRun

public struct ShellCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "shell", abstract: "Boot the guest with the module loaded and an interactive shell on this terminal.")

    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments

    public init() {}

    public func run() async throws {
        let options = try boot.options()
        let choice = try kernel.single("shell")
        let pipeline = try makePipeline()
        let target = try await pipeline.kernel(choice)
        let products = try await pipeline.build(target)
        try await GuestBoot(options: options, progress: pipeline.progress, logger: pipeline.logger)
            .shell(kernel: target, products: products, in: pipeline.runDirectory(for: target))
    }
}
