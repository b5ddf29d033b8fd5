import ArgumentParser
import Foundation
import ZCAnalysis
import ZCCore
import ZCRun

public struct CheckCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run every scenario and every variant x property on one kernel series or all, one boot per kernel, and check every expectation.")

    @Option(help: ArgumentHelp("Only these matrix properties, comma-separated, and none of the once-only scenarios.",
                               valueName: "a,b|all"))
    public var property: String?

    @Flag(name: .customLong("exit-code"), help: "Exit as `git bisect run` expects: 0 good, 1 bad, 125 skip (the module does not build, or the guest gave no measurement), 128 abort (zcbench itself cannot run).")
    public var bisectExitCode = false

    @Option(help: ArgumentHelp("QEMUs at once: each kernel's work split into this many boots side by side (as --shard splits it), merged into one report (default: the host's cores).",
                               valueName: "n"))
    public var jobs: Int?

    @OptionGroup public var shard: ShardOptions
    @OptionGroup public var selection: SelectionOptions
    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments
    @OptionGroup public var output: OutputOptions

    public init() {}

    /// The boots this command line asks for: one per kernel, each with every once-only
    /// scenario of `check` and the matrix (or only `--property`'s cells).
    public func request(_ pipeline: Pipeline) throws -> BootRequest {
        let properties = try property.map(ZCCommandLine.properties)
        let kernels = try kernel.choices()
        let plan = try selection.plan(pipeline, scenarios: properties == nil ? ScenarioCatalog.check : [],
                                      properties: properties ?? AccountingProperty.allNames, kernels: kernels)
        let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        guard jobs >= 1 else { throw ZCError(.usage, "--jobs must be at least 1") }
        return BootRequest(kernels: kernels, plan: plan, options: try boot.options(), shard: try shard.value(), jobs: jobs)
    }

    public func run() async throws {
        guard bisectExitCode else {
            if try await !check().allSatisfy(\.passed) { throw ExitCode(1) }
            return
        }
        do {
            let reports = try await check()
            throw ExitCode(reports.allSatisfy(\.passed) ? 0 : (reports.contains(where: \.unmeasured) ? 125 : 1))
        } catch let error as ZCError where error.code == .buildFailed || error.code == .vermagicMismatch {
            FileHandle.standardError.write(Data((error.description + "\n(--exit-code: 125, skip this revision)\n").utf8))
            throw ExitCode(125)
        } catch let error as ZCError where error.code != .interrupted {
            FileHandle.standardError.write(Data((error.description + "\n(--exit-code: 128, abort the bisection)\n").utf8))
            throw ExitCode(128)
        }
    }

    /// Runs the request, prints and writes the results.
    private func check() async throws -> [RunReport] {
        let pipeline = try makePipeline()
        let reports = try await request(pipeline).reports(pipeline)
        try output.emit(reports)
        return reports
    }
}
