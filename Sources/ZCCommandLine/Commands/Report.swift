import ArgumentParser
import Foundation
import ZCAnalysis
import ZCCore
import ZCReport
import ZCRun

public struct ReportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Merge the --json reports of a sharded check or fuzz (--shard K/N on each machine) into one report, in every output format, as one unsharded run would give it.")

    @Option(name: .customLong("merge"), parsing: .upToNextOption,
            help: ArgumentHelp("The --json files of the shards, in any order.", valueName: "file"))
    public var files: [String] = []

    @OptionGroup public var output: OutputOptions

    public init() {}

    /// The merged reports of `files`, in the checkout's orders of scenarios, designs and
    /// properties.
    public func merged(_ pipeline: Pipeline) throws -> [RunReport] {
        guard !files.isEmpty else { throw ZCError(.usage, "report needs the shards' reports: zcbench report --merge A.json B.json ...") }
        var runs: [RunReport] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ZCError(.usage, "\(file) does not exist or is not readable")
            }
            do {
                runs += try JSONReport.runs(data, file: file)
            } catch let error as JSONReportError {
                throw ZCError(.usage, error.message)
            }
        }
        let module = try pipeline.module()
        do {
            return try RunReport.merged(runs, scenarioOrder: ScenarioCatalog.names, designOrder: module.allDesigns,
                                        propertyOrder: AccountingProperty.allNames)
        } catch {
            throw ZCError(.usage, error.description)
        }
    }

    public func run() async throws {
        let reports = try merged(try makePipeline())
        try output.emit(reports)
        if !reports.allSatisfy(\.passed) { throw ExitCode(1) }
    }
}
