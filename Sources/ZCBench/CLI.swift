import ZCAnalysis
import ArgumentParser
import Foundation
import Logging
import ZCBisect
import ZCCore
import ZCKernel
import ZCQemu

/// `zcbench`: the root command. All parsing lives here, in the library, so tests can call it.
public struct ZCBenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zcbench",
        abstract: "A test bench for memcg accounting of TCP zero-copy receive on real Debian kernels under QEMU.",
        subcommands: [DoctorCommand.self, KernelCommand.self, BuildCommand.self, RunCommand.self,
                      ShellCommand.self, CheckCommand.self, BisectCommand.self, BenchCommand.self, FuzzCommand.self])

    public init() {}
}

/// Options that pick the kernel.
public struct KernelOptions: ParsableArguments {
    @Option(help: "Debian kernel series: 6.1 or 6.12.")
    public var series: String = KernelSeries.v6_1.rawValue

    @Option(help: "A kernel image you built (bzImage); needs --headers.")
    public var kernel: String?

    @Option(help: "The kbuild tree for --kernel (with include/config/kernel.release).")
    public var headers: String?

    public init() {}

    public func choice() throws -> KernelChoice {
        switch (kernel, headers) {
        case (let kernel?, let headers?): return .custom(bzImage: kernel, headers: headers)
        case (nil, nil): return .series(try KernelSeries.parse(series))
        default: throw ZCError(.usage, "--kernel and --headers go together")
        }
    }
}

/// Options that shape the boot.
public struct BootArguments: ParsableArguments {
    @Option(help: "Accelerator: tcg (default) or kvm (opt-in; stock kernels need a full KVM).")
    public var accel: String = Accelerator.tcg.rawValue

    @Option(help: "Boot path: pvh (the uncompressed vmlinux through its PVH entry, fast) or bzimage (firmware + in-guest decompression).")
    public var boot: String = "pvh"

    @Option(help: "Firmware: qboot (default where QEMU ships it) or seabios.")
    public var firmware: String = "qboot"

    @Option(help: "Guest vCPUs (1 keeps memcg's per-cpu batching tolerance smallest).")
    public var cpus: Int = 1

    @Option(help: "Guest memory in MiB.")
    public var memory: Int = 1024

    @Option(help: "Wall-clock timeout for one boot, in seconds; QEMU is stopped after it (default: 120, plus time for each variant of a matrix).")
    public var timeout: Int?

    @Option(name: .customLong("size-mib"), help: "Receive size in MiB for scenarios that take one.")
    public var sizeMiB: Int = 32

    @Option(name: .customLong("settle-ms"), help: "Wait before each cgroup sample in the guest, in ms (default 0).")
    public var settleMilliseconds: Int = 0

    @Flag(inversion: .prefixedNo, help: "Flush memcg's stats through zcpool before each cgroup sample, so memory.stat is exact at once; without it, memory.stat lags until memcg's periodic flush (about 2 s: pair --no-flush-stats with --settle-ms 2500).")
    public var flushStats = true

    @Option(name: .customLong("append"), help: "Kernel parameters to add, space-separated (after zcbench's own).")
    public var append: String?

    public init() {}

    public func options() throws -> BootOptions {
        guard let accelerator = Accelerator(rawValue: accel) else {
            throw ZCError(.usage, "unknown accelerator '\(accel)'; valid: \(Accelerator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard cpus >= 1, cpus <= 64 else { throw ZCError(.usage, "--cpus must be between 1 and 64") }
        guard ["pvh", "bzimage"].contains(boot) else { throw ZCError(.usage, "unknown boot path '\(boot)'; valid: pvh, bzimage") }
        guard ["qboot", "seabios"].contains(firmware) else {
            throw ZCError(.usage, "unknown firmware '\(firmware)'; valid: qboot, seabios")
        }
        guard memory >= 256 else { throw ZCError(.usage, "--memory must be at least 256 MiB") }
        if let timeout, timeout < 1 { throw ZCError(.usage, "--timeout must be at least 1 second") }
        guard sizeMiB >= 1, sizeMiB * 2 < memory else {
            throw ZCError(.usage, "--size-mib must be at least 1 and under half of --memory (\(memory) MiB)")
        }
        guard settleMilliseconds >= 0 else { throw ZCError(.usage, "--settle-ms must not be negative") }
        var options = BootOptions()
        options.accelerator = accelerator
        options.cpus = cpus
        options.memoryMiB = memory
        options.timeout = timeout.map { .seconds($0) }
        options.sizeMiB = sizeMiB
        options.settleMilliseconds = settleMilliseconds
        options.flushStats = flushStats
        options.directBoot = boot == "pvh"
        options.extraKernelArguments = append.map { $0.split(separator: " ").map(String.init) } ?? []
        if firmware == "seabios" { options.firmware = nil }
        return options
    }
}

func makeBench() throws -> Bench {
    Bench(paths: try Paths.fromEnvironment(), logger: Logger(label: "zcbench"))
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// This zcbench command line as a user could paste it into a shell.
func invokedCommand() -> String {
    (["zcbench"] + CommandLine.arguments.dropFirst()).map(shellQuote).joined(separator: " ")
}

/// Writes `file.text` to `file.path` (its directory created), if a file was asked for.
func writeOutput(_ file: (path: String, text: String)?) throws {
    guard let file else { return }
    let url = URL(fileURLWithPath: file.path)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(file.text.utf8).write(to: url, options: .atomic)
    } catch {
        throw ZCError(.io, "cannot write \(file.path): \(error.localizedDescription)")
    }
}

public struct DoctorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "doctor", abstract: "Show what is missing on this host, and the command that installs it.")

    @Flag(help: "Print JSON instead of a table.")
    public var json = false

    public init() {}

    public func run() async throws {
        let bench = try makeBench()
        let requirements = await Doctor(paths: bench.paths, runner: bench.runner).requirements()
        if json {
            printOut(String(decoding: try Reporter.prettyJSON(requirements), as: UTF8.self))
        } else {
            for requirement in requirements {
                let mark = requirement.present ? "ok     " : "MISSING"
                let fix = requirement.present ? "" : "  -> \(requirement.fix)"
                printOut("\(mark) \(requirement.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(requirement.detail)\(fix)")
            }
        }
        if requirements.contains(where: { !$0.present }) { throw ExitCode(1) }
    }
}

public struct KernelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "kernel", abstract: "Manage guest kernels.",
                                                           subcommands: [KernelFetchCommand.self])
    public init() {}
}

public struct KernelFetchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Resolve the current Debian release of a series, download and cache its image, install its headers.")

    @Option(help: "Debian kernel series: 6.1 or 6.12.")
    public var series: String = KernelSeries.v6_1.rawValue

    public init() {}

    public func run() async throws {
        let series = try KernelSeries.parse(series)
        let target = try await makeBench().store.fetch(series)
        printOut("\(series.rawValue): \(target.release) image \(target.vmlinuz) headers \(target.headers)")
    }
}

public struct BuildCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "build", abstract: "Build zcpool.ko with kbuild and the static guest programs.")

    @OptionGroup public var kernel: KernelOptions

    public init() {}

    public func run() async throws {
        let bench = try makeBench()
        let target = try await bench.kernel(try kernel.choice())
        let products = try await bench.build(target)
        printOut("module \(products.module) (vermagic \(target.release))\ninit   \(products.initProgram)\nrunner \(products.runner)")
    }
}

/// `name` if it is among `valid`; otherwise a usage error naming the `kind`, the nearest
/// valid name for a typo, and every valid one.
func validated(_ name: String, kind: String, among valid: [String]) throws -> String {
    guard valid.contains(name) else {
        let hint = nearestName(name, in: valid).map { "; did you mean '\($0)'?" } ?? ""
        throw ZCError(.usage, "unknown \(kind) '\(name)'\(hint) Valid: \(valid.joined(separator: ", "))")
    }
    return name
}

/// Resolves scenario names, suggesting the nearest valid one for a typo.
func scenarios(named names: [String]) throws -> [any Scenario] {
    try names.map { ScenarioCatalog.named(try validated($0, kind: "scenario", among: ScenarioCatalog.names))! }
}

public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Boot the guest and run one scenario, or one cell of the matrix with --variant.")

    @Option(help: "Scenario to run: \(ScenarioCatalog.names.joined(separator: ", ")), or with --variant a matrix property (\(AccountingProperty.names.joined(separator: ", "))).")
    public var scenario: String

    @Option(help: "Accounting variant(s) for matrix properties, comma-separated or all: \(Variants.all.joined(separator: ", ")). With it, --scenario takes properties (comma-separated or all).")
    public var variant: String?

    @OptionGroup public var expectations: ExpectationOptions
    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments
    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let plan: RunPlan
        if let variant {
            let variants = variant == "all" ? Variants.all : try variant.split(separator: ",").map { try variantNamed(String($0)) }
            let properties = scenario == "all"
                ? AccountingProperty.all : try scenario.split(separator: ",").map { try propertyNamed(String($0)) }
            plan = RunPlan(scenarios: [], variants: variants, properties: properties, expectations: try expectations.load())
        } else {
            plan = RunPlan(scenarios: try scenarios(named: [scenario]))
        }
        let report = try await makeBench().run(try kernel.choice(), plan: plan, options: try boot.options())
        try output.emit([report])
        if !report.passed { throw ExitCode(1) }
    }
}

/// The expectations file a matrix is judged against.
public struct ExpectationOptions: ParsableArguments {
    @Option(help: "Expectations file (YAML); default: expectations/default.yaml of the checkout.")
    public var expectations: String?

    public init() {}

    public func load() throws -> ExpectationSet {
        let url = try expectations.map { URL(fileURLWithPath: $0) }
            ?? Paths.fromEnvironment().repository.appendingPathComponent("expectations/default.yaml")
        do {
            return try ExpectationSet.load(url, variants: Variants.all, properties: AccountingProperty.names)
        } catch let error as ExpectationError {
            throw ZCError(.usage, error.description)
        }
    }
}

/// Where results go besides the terminal table.
public struct OutputOptions: ParsableArguments {
    @Option(help: "Also write the results as JSON to this file.")
    public var json: String?

    @Option(help: "Also write JUnit XML to this file (for CI).")
    public var junit: String?

    @Option(help: "Also write markdown, ready to paste into a mailing-list reply, to this file.")
    public var markdown: String?

    @Option(help: "Also write an HTML page with SVG timelines to this file.")
    public var html: String?

    public init() {}

    /// Prints the table and writes every requested file.
    func emit(_ reports: [RunReport]) throws {
        printOut(Reporter.table(reports))
        try writeOutput(json.map { ($0, String(decoding: try Reporter.json(reports), as: UTF8.self)) })
        try writeOutput(junit.map { ($0, JUnitReporter.xml(reports)) })
        try writeOutput(html.map { ($0, HTMLReporter.html(reports)) })
        try writeOutput(markdown.map { ($0, MarkdownReporter.markdown(reports, command: invokedCommand())) })
    }
}

func variantNamed(_ name: String) throws -> String {
    try validated(name, kind: "variant", among: Variants.all)
}

func propertyNamed(_ name: String) throws -> AccountingProperty {
    AccountingProperty.named(try validated(name, kind: "property", among: AccountingProperty.names))!
}

public struct CheckCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run every scenario and every variant x property on one kernel series or all, one boot per kernel, and check every expectation.")

    @Option(help: "Kernel series: 6.1, 6.12 or all.")
    public var series: String = KernelSeries.v6_1.rawValue

    @Option(help: "Variants to run, comma-separated (default: all).")
    public var variants: String = Variants.all.joined(separator: ",")

    @Option(help: "Only these matrix properties, comma-separated, and none of the once-only scenarios.")
    public var property: String?

    @Flag(name: .customLong("exit-code"), help: "Exit as `git bisect run` expects: 0 good, 1 bad, 125 skip (the module does not build, or the guest gave no measurement), 128 abort (zcbench itself cannot run).")
    public var bisectExitCode = false

    @OptionGroup public var expectations: ExpectationOptions
    @OptionGroup public var boot: BootArguments
    @OptionGroup public var output: OutputOptions

    public init() {}

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

    /// Runs the plan on every series, prints and writes the results.
    private func check() async throws -> [RunReport] {
        let list = series == "all" ? KernelSeries.allCases : [try KernelSeries.parse(series)]
        let chosen = try variants.split(separator: ",").map { try variantNamed(String($0)) }
        let properties = try property.map { try $0.split(separator: ",").map { try propertyNamed(String($0)) } }
        let options = try boot.options()
        let plan = RunPlan(scenarios: properties == nil ? ScenarioCatalog.check : [], variants: chosen,
                           properties: properties ?? AccountingProperty.all, expectations: try expectations.load())
        let bench = try makeBench()
        var reports: [RunReport] = []
        for series in list {
            reports.append(try await bench.run(.series(series), plan: plan, options: options))
        }
        try output.emit(reports)
        return reports
    }
}

public struct ShellCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "shell", abstract: "Boot the guest with the module loaded and an interactive shell on this terminal.")

    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments

    public init() {}

    public func run() async throws {
        let options = try boot.options()
        let bench = try makeBench()
        let target = try await bench.kernel(try kernel.choice())
        let products = try await bench.build(target)
        try await GuestLauncher(options: options, progress: bench.progress, logger: bench.logger)
            .shell(kernel: target, products: products, in: bench.runDirectory(for: target))
    }
}

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

    @Option(help: "The property to bisect: \(AccountingProperty.names.joined(separator: ", ")).")
    public var property: String?

    @Option(help: "Ordered variants to bisect, comma-separated (default: \(Variants.all.joined(separator: ","))).")
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

    @Option(help: "Git mode: the variant the module is loaded with (default: pool-free).")
    public var variant: String?

    @Option(name: .customLong("repeat"), help: "Runs per step (default 1); a step counts with a two-thirds majority.")
    public var repeats: Int?

    @Option(help: "Resume the bisection this log records (its setup comes from the log).")
    public var replay: String?

    @Option(help: "Kernel series: 6.1 or 6.12.")
    public var series: String?

    @OptionGroup public var expectations: ExpectationOptions
    @OptionGroup public var boot: BootArguments

    @Option(help: "Also write the bisection as JSON to this file.")
    public var json: String?

    @Option(help: "Also write markdown, ready to paste into a mailing-list reply, to this file.")
    public var markdown: String?

    public init() {}

    public func run() async throws {
        let bench = try makeBench()
        let options = try boot.options()
        let log: BisectLog
        if let replay {
            log = try BisectLog.open(URL(fileURLWithPath: replay))
            let asked = try await setup(bench: bench, defaults: log.setup, sizeMiB: options.sizeMiB)
            let differences = log.setup.differences(from: asked)
            guard differences.isEmpty else {
                throw ZCError(.usage, "--replay \(replay) records another bisection: \(differences.joined(separator: "; ")). Drop those options, or start a new bisection.")
            }
        } else {
            let setup = try await setup(bench: bench, defaults: nil, sizeMiB: options.sizeMiB)
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let directory = bench.paths.output.appendingPathComponent("bisect")
                .appendingPathComponent("\(setup.property)-\(stamp)-\(getpid())")
            log = try BisectLog.create(directory.appendingPathComponent("bisect.jsonl"), setup: setup)
        }
        FileHandle.standardError.write(Data("zcbench bisect: logging every run to \(log.url.path)\n".utf8))
        let report: BisectReport
        do {
            report = try await Bisector(bench: bench, log: log, expectations: try expectations.load(), options: options).run()
        } catch let error as BisectError {
            throw ZCError(.bisectAborted, error.description, details: ["runs kept in \(log.url.path)"])
        }
        printOut(BisectReporter.table(report))
        try writeOutput(json.map { ($0, String(decoding: try BisectReporter.json(report), as: UTF8.self)) })
        try writeOutput(markdown.map { ($0, BisectReporter.markdown(report, command: invokedCommand())) })
        if report.conclusion.culprit == nil { throw ExitCode(1) }
    }

    /// The bisection the options ask for; with `defaults` (a replayed log), what they leave
    /// out comes from there.
    func setup(bench: Bench, defaults: BisectSetup?, sizeMiB: Int) async throws -> BisectSetup {
        try await BisectRequest(property: property, variants: variants, good: good, bad: bad, revisions: revisions,
                                repository: repository, path: path, variant: variant, repeats: repeats, series: series)
            .setup(runner: bench.runner, defaults: defaults, sizeMiB: sizeMiB)
    }
}

public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure time to verdict, the per-page cost of each variant, and how both scale; write bench/RESULTS.md.")

    @Option(help: "Kernel series: 6.1 or 6.12.")
    public var series: String = KernelSeries.v6_1.rawValue

    @Flag(help: "One run of each part, no levers, the smallest scale point (a smoke test).")
    public var quick = false

    @Option(help: "Write the results as markdown to this file (make bench: bench/RESULTS.md).")
    public var results: String?

    @Option(help: "Also write the results as JSON to this file.")
    public var json: String?

    @Option(name: .customLong("from"), help: "Measure nothing: report the results of an earlier --json file again.")
    public var from: String?

    @OptionGroup public var expectations: ExpectationOptions

    public init() {}

    public func run() async throws {
        var options = quick ? BenchmarkOptions.quick : BenchmarkOptions()
        options.series = try KernelSeries.parse(series)
        var report: BenchmarkReport
        if let from {
            do {
                report = try JSONDecoder().decode(BenchmarkReport.self, from: Data(contentsOf: URL(fileURLWithPath: from)))
            } catch {
                throw ZCError(.usage, "\(from) is not the --json of a zcbench bench: \(error.localizedDescription)")
            }
        } else {
            report = try await Benchmark(bench: try makeBench(), options: options, expectations: try expectations.load()).run()
        }
        printOut(BenchReporter.table(report))
        // The command that measures, also when these results were only re-reported.
        let command = from == nil
            ? invokedCommand()
            : report.command ?? "zcbench bench --series \(report.kernel.hasPrefix("6.12.") ? "6.12" : "6.1")"
        report.command = command
        try writeOutput(results.map { ($0, BenchReporter.markdown(report, command: command)) })
        try writeOutput(json.map { ($0, String(decoding: try Reporter.prettyJSON(report), as: UTF8.self)) })
        // Every run must have met its expectations: numbers from a broken run are not results.
        let runs = report.timeToVerdict + report.levers + report.scale.map(\.run)
        if !runs.allSatisfy(\.passed) || report.cost == nil { throw ExitCode(1) }
    }
}

public struct FuzzCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz /dev/zcpool from several processes and threads, for every variant, then check that nothing leaked.")

    @Option(help: "Fuzzing time per variant, in seconds.")
    public var seconds: Int = 10

    @Option(help: "Seed of every thread's operation sequence (default: from the clock; printed).")
    public var seed: UInt64?

    @Option(help: "Variants to fuzz, comma-separated or all.")
    public var variant: String = "all"

    @Option(help: "Kernel series: 6.1, 6.12 or all.")
    public var series: String = KernelSeries.v6_1.rawValue

    @Option(help: ArgumentHelp("Inject a bug into zcpool first, to see the fuzzer catch it: \(FuzzPlan.faults.joined(separator: ", ")).",
                               valueName: "fault"))
    public var injectFault: String?

    @Option(help: ArgumentHelp("Replay these operations instead of fuzzing: the generator states a failure printed (its 'repro-states' line).",
                               valueName: "state,state,..."))
    public var repro: String?

    @Option(help: ArgumentHelp("Run only this thread's operations, alone (a crash's 'repeat it with' line); needs --seed.",
                               valueName: "process.thread"))
    public var thread: String?

    @Option(name: .customLong("ops"), help: "With --thread: only its first N operations, the last 16 printed.")
    public var operations: Int?

    @Flag(inversion: .prefixedNo, help: "When the guest kernel crashes, boot again to find the thread and the shortest prefix of its operations that crash it.")
    public var minimizeCrash = true

    @OptionGroup public var output: OutputOptions

    public init() {}

    public func run() async throws {
        let plan = try FuzzPlan(seconds: seconds, seed: seed, variants: variant == "all" ? Variants.all
                                    : variant.split(separator: ",").map { try variantNamed(String($0)) },
                                fault: injectFault, repro: try repro.map(FuzzPlan.states) ?? [],
                                thread: try thread.map(FuzzThread.init(parsing:)), operations: operations)
        let list = series == "all" ? KernelSeries.allCases : [try KernelSeries.parse(series)]
        let bench = try makeBench()
        var reports: [RunReport] = []
        for series in list {
            reports.append(try await plan.run(bench, series: series))
        }
        try output.emit(reports)
        for (series, report) in zip(list, reports) {
            printOut(plan.summary(report, series: series))
            if minimizeCrash, plan.crashedVariant(report) != nil {
                printOut(plan.crashSummary(try await plan.minimizeCrash(report, bench: bench, series: series), series: series))
            }
        }
        if !reports.allSatisfy(\.passed) { throw ExitCode(1) }
    }
}
