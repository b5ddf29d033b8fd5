import ArgumentParser
import Foundation
import ZCBenchmark
import ZCCore
import ZCReport

public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure time to verdict, the per-page cost of each variant, and how both scale (make bench writes bench/RESULTS.md with --markdown).")

    @Flag(help: "One run of each part, no levers, the smallest scale point (a smoke test).")
    public var quick = false

    @Option(name: .customLong("from"), help: "Measure nothing: report the results of an earlier --json file again.")
    public var from: String?

    @Option(help: "Expectations file (YAML); default: expectations/default.yaml of the checkout.")
    public var expectations: String?

    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        try output.only([\.json, \.markdown], command: "bench")
        var options = quick ? BenchmarkOptions.quick : BenchmarkOptions()
        options.series = try kernel.oneDebianSeries("bench")
        var report: BenchmarkReport
        if let from {
            do {
                report = try JSONDecoder().decode(BenchmarkReport.self, from: Data(contentsOf: URL(fileURLWithPath: from)))
            } catch {
                throw ZCError(.usage, "\(from) is not the --json of a zcbench bench: \(error.localizedDescription)")
            }
        } else {
            let pipeline = try makePipeline()
            report = try await Benchmark(pipeline: pipeline, options: options,
                                         expectations: try pipeline.expectations(expectations)).run()
        }
        printOut(BenchReporter.table(report))
        // The command that measures, also when these results were only re-reported.
        let command = from == nil
            ? invokedCommand()
            : report.command ?? "zcbench bench --series \(report.kernel.hasPrefix("6.12.") ? "6.12" : "6.1")"
        report.command = command
        try write(output.markdown, BenchReporter.markdown(report, command: command))
        try write(output.json, String(decoding: try ReportFormat.json(report), as: UTF8.self))
        // Every run must have met its expectations: numbers from a broken run are not results.
        let runs = report.timeToVerdict + report.levers + report.scale.map(\.run)
        if !runs.allSatisfy(\.passed) || report.cost == nil { throw ExitCode(1) }
    }
}
