import ArgumentParser
import Foundation
import ZCAnalysis
import ZCCore
import ZCReport
import ZCRun

public struct ExecCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Boot the guest with zcpool loaded and run your own program in a memory cgroup of its own: its output as it comes, the cgroup's memory.current and memory.stat before and after, its exit status as zcbench's.",
        discussion: """
            The program is a static x86-64 ELF or a script for /bin/sh (busybox); it runs as root in \
            /exec, where --put files are too. Its stdout and stderr come back together on zcbench's \
            stdout; zcbench's own lines go to stderr. zcbench exits with the program's status (128 + N \
            when signal N killed it), or 125 when the guest crashed or hung or the program did not \
            start: then the run's report says why, and its console.log is kept.
            """)

    @Option(help: ArgumentHelp("The zcpool variant the module gives queues (kernel/uapi/zcpool.h); default: the module's own.",
                               valueName: "variant"))
    public var variant: String?

    @Option(name: .customLong("put"), help: ArgumentHelp("A further file to copy to /exec in the guest; repeatable.", valueName: "file"))
    public var files: [String] = []

    @Option(help: "Also write the program's exit, the cgroup's figures and the run report as JSON to this file.")
    public var json: String?

    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The program and its arguments, after --.", valueName: "command"))
    public var command: [String] = []

    public init() {}

    /// The program this command line runs, checked for the guest.
    public func program() throws -> ExecProgram {
        guard let first = command.first else {
            throw ZCError(.usage, "exec needs a program after --: zcbench exec [options] -- ./prog [args]")
        }
        let program = ExecProgram(program: first, arguments: Array(command.dropFirst()), files: files)
        try program.validate()
        return program
    }

    public func run() async throws {
        let program = try program()
        let options = try boot.options()
        let choice = try kernel.single("exec")
        let pipeline = try makePipeline()
        if let variant {
            _ = try usage { try NameError.check(variant, kind: "variant", among: try pipeline.module().variants) }
        }
        let output = FileHandle.standardOutput
        let report = try await pipeline.exec(choice, program: program, variant: variant, options: options) { data in
            output.write(data)
        }
        let scenario = report.scenarios.first { $0.scenario == "exec" }
        let result = scenario.flatMap { ExecResult(metrics: $0.metrics) }
        try write(json, String(decoding: try ReportFormat.json(ExecDocument(program: program.program, arguments: program.arguments,
                                                                              variant: variant, result: result, run: report)),
                               as: UTF8.self))
        guard let result, report.problem == nil else {
            printError(TextReport.table([report]))
            printError("zcbench exec: no exit status from \(program.program): \(report.problem ?? scenario?.problem ?? "it did not start (the report above says why)"); console log in \(report.runDirectory)")
            throw ExitCode(125)
        }
        let ended = result.exitStatus.map { "exited with status \($0)" } ?? "was killed by signal \(result.signal ?? 0)"
        printError("zcbench exec: \(program.program) \(ended) on \(report.kernel)\(variant.map { ", zcpool variant \($0)" } ?? ""), \(String(format: "%.1f", report.wallSeconds)) s; its cgroup:")
        for line in result.summary { printError("  \(line)") }
        throw ExitCode(result.processStatus)
    }
}

/// `zcbench exec --json`: what ran, how it ended, and the whole run report.
struct ExecDocument: Encodable {
    var schema = "zcbench/exec/v1"
    var program: String
    var arguments: [String]
    var variant: String?
    var result: ExecResult?
    var run: RunReport
}

/// One line on standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
