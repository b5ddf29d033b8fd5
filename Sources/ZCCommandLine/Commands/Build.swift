import ArgumentParser
import ZCCore

public struct BuildCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build zcpool.ko with kbuild and the static guest programs.")

    @OptionGroup public var kernel: KernelOptions

    public init() {}

    public func run() async throws {
        let pipeline = try makePipeline()
        for choice in try kernel.choices() {
            let target = try await pipeline.kernel(choice)
            let products = try await pipeline.build(target)
            printOut("module \(products.module) (vermagic \(target.release))\ninit   \(products.initProgram)\nrunner \(products.runner)")
        }
    }
}
