import ArgumentParser
import ZCAnalysis
import ZCCore
import ZCRun

public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Boot the guest once and run scenarios, or cells of the matrix (--property with --variants).")

    @Option(help: ArgumentHelp("Once-only scenarios to run, comma-separated: \(ScenarioCatalog.names.joined(separator: ", ")).",
                               valueName: "a,b"))
    public var scenario: String?

    @Option(help: ArgumentHelp("Matrix properties to run for each of --variants, comma-separated or all: \(AccountingProperty.allNames.joined(separator: ", ")) (the real path: \(AccountingProperty.realPathNames.joined(separator: ", "))).",
                               valueName: "a,b|all"))
    public var property: String?

    @OptionGroup public var selection: SelectionOptions
    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments
    @OptionGroup public var output: OutputOptions

    public init() {}

    /// The boots this command line asks for.
    public func request(_ pipeline: Pipeline) throws -> BootRequest {
        guard scenario != nil || property != nil else {
            throw ZCError(.usage, "run needs --scenario (once-only scenarios) or --property (matrix cells, with --variants)")
        }
        guard property != nil || selection.variants == "all" else {
            throw ZCError(.usage, "--variants picks the designs of matrix cells: give --property too")
        }
        let kernels = try kernel.choices()
        let plan = try selection.plan(pipeline, scenarios: try scenario.map(scenarios) ?? [],
                                      properties: try property.map(ZCCommandLine.properties) ?? [], kernels: kernels)
        return BootRequest(kernels: kernels, plan: plan, options: try boot.options())
    }

    public func run() async throws {
        let pipeline = try makePipeline()
        let reports = try await request(pipeline).reports(pipeline)
        try output.emit(reports)
        if !reports.allSatisfy(\.passed) { throw ExitCode(1) }
    }
}
