import ArgumentParser
import Foundation
import ZCBisect
import ZCCore
import ZCRun

public struct BisectCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bisect",
        abstract: "Find where a property flips: in an ordered list of variants, or between two git revisions of the module.",
        discussion: """
            Both endpoints are measured first and must differ. Each step then boots once per --repeat, \
            running only the property's scenario; a step needs a two-thirds majority, else it is skipped. \
            Every run is logged (JSON lines) as it finishes; --replay LOG resumes from it.
            Git mode bisects in a worktree of its own and builds each revision in another, so the \
            checkout is untouched; a revision whose module does not build is skipped, never bad.
            """)

    @Option(help: "The property to bisect (one matrix property).")
    public var property: String?

    @Option(help: ArgumentHelp("Variants mode: the ordered designs to bisect, comma-separated (default: every design). Git mode: the one design the module is loaded with (default: pool-free).",
                               valueName: "a,b,c"))
    public var variants: String?

    @Option(help: "Variants mode: the good endpoint (default: the first variant).")
    public var good: String?

    @Option(help: "Variants mode: the bad endpoint (default: the last variant).")
    public var bad: String?

    @Option(name: .customLong("git"), parsing: .upToNextOption, help: "Git mode: GOOD BAD revisions of --repository.")
    public var revisions: [String] = []

    @Option(help: "Git mode: the repository (default: the current directory).")
    public var repository: String?

    @Option(help: "Git mode: the module's directory in the repository; only commits touching it are tested (default: kernel).")
    public var path: String?

    @Option(name: .customLong("repeat"), help: "Runs per step (default 1); a step counts with a two-thirds majority.")
    public var repeats: Int?

    @Option(help: "Resume the bisection this log records (its setup comes from the log).")
    public var replay: String?

    @Option(help: "Expectations file (YAML); default: expectations/default.yaml of the checkout.")
    public var expectations: String?

    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments
    @OptionGroup public var output: OutputOptions

    public init() {}

    /// The request as given, before it is checked against the module and the repository
    /// (the series left out: the default, or a replayed log's).
    public func request() throws -> BisectRequest {
        let given = kernel.series != nil || kernel.kernel != nil || kernel.headers != nil
        return BisectRequest(property: property, variants: variants, good: good, bad: bad, revisions: revisions,
                             repository: repository, path: path, repeats: repeats,
                             series: given ? try kernel.oneDebianSeries("bisect").rawValue : nil)
    }

    public func run() async throws {
        try output.only([\.json, \.markdown], command: "bisect")
        let request = try request()
        let pipeline = try makePipeline()
        let options = try boot.options()
        let module = try pipeline.module()
        let designs = module.allDesigns
        let log: BisectLog
        if let replay {
            log = try BisectLog.open(URL(fileURLWithPath: replay))
            let asked = try await request.setup(runner: pipeline.runner, designs: designs, realPath: module.tcpDesigns,
                                                defaults: log.setup, sizeMiB: options.sizeMiB)
            let differences = log.setup.differences(from: asked)
            guard differences.isEmpty else {
                throw ZCError(.usage, "--replay \(replay) records another bisection: \(differences.joined(separator: "; ")). Drop those options, or start a new bisection.")
            }
        } else {
            let setup = try await request.setup(runner: pipeline.runner, designs: designs, realPath: module.tcpDesigns,
                                                defaults: nil, sizeMiB: options.sizeMiB)
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let directory = pipeline.paths.output.appendingPathComponent("bisect")
                .appendingPathComponent("\(setup.property)-\(stamp)-\(getpid())")
            log = try BisectLog.create(directory.appendingPathComponent("bisect.jsonl"), setup: setup)
        }
        FileHandle.standardError.write(Data("zcbench bisect: logging every run to \(log.url.path)\n".utf8))
        let report: BisectReport
        do {
            report = try await Bisector(pipeline: pipeline, log: log, expectations: try pipeline.expectations(expectations),
                                        options: options).run()
        } catch let error as BisectError {
            throw ZCError(.bisectAborted, error.description, details: ["runs kept in \(log.url.path)"])
        }
        printOut(BisectReporter.table(report))
        try write(output.json, String(decoding: try BisectReporter.json(report), as: UTF8.self))
        try write(output.markdown, BisectReporter.markdown(report, command: invokedCommand()))
        if report.conclusion.culprit == nil { throw ExitCode(1) }
    }
}
