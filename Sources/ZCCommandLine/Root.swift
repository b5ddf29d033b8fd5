import ArgumentParser
import Foundation
import Logging
import ZCCore
import ZCRun

/// `zcbench`: the root command. All parsing lives in this library, so tests can call it.
public struct ZCBenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zcbench",
        abstract: "A test bench for memcg accounting of TCP zero-copy receive on real Debian kernels under QEMU.",
        subcommands: [DoctorCommand.self, KernelCommand.self, BuildCommand.self, RunCommand.self, ExecCommand.self, ReportCommand.self, ShellCommand.self,
                      CheckCommand.self, BisectCommand.self, BenchCommand.self, FuzzCommand.self])

    public init() {}
}

/// The pipeline every command works with: the checkout, the cache and the logger.
func makePipeline() throws -> Pipeline {
    Pipeline(paths: try Paths.fromEnvironment(), logger: Logger(label: "zcbench"))
}
