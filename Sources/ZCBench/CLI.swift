import ZCAnalysis
import ArgumentParser
import Foundation
import Logging
import ZCCore
import ZCKernel
import ZCQemu

/// `zcbench`: the root command. All parsing lives here, in the library, so tests can call it.
public struct ZCBenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zcbench",
        abstract: "A test bench for memcg accounting of TCP zero-copy receive on real Debian kernels under QEMU.",
        subcommands: [DoctorCommand.self, KernelCommand.self, BuildCommand.self, RunCommand.self,
                      ShellCommand.self, CheckCommand.self])

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

    @Option(help: "Guest vCPUs (1 keeps memcg's per-cpu batching tolerance smallest).")
    public var cpus: Int = 1

    @Option(help: "Guest memory in MiB.")
    public var memory: Int = 1024

    @Option(help: "Wall-clock timeout for one boot, in seconds; QEMU is stopped after it.")
    public var timeout: Int = 120

    @Option(name: .customLong("size-mib"), help: "Receive size in MiB for scenarios that take one.")
    public var sizeMiB: Int = 32

    @Option(name: .customLong("settle-ms"), help: "Wait before each cgroup sample in the guest (memcg rstat flushes about every 2 s).")
    public var settleMilliseconds: Int = 2500

    public init() {}

    public func options() throws -> BootOptions {
        guard let accelerator = Accelerator(rawValue: accel) else {
            throw ZCError(.usage, "unknown accelerator '\(accel)'; valid: \(Accelerator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard cpus >= 1, cpus <= 64 else { throw ZCError(.usage, "--cpus must be between 1 and 64") }
        guard memory >= 256 else { throw ZCError(.usage, "--memory must be at least 256 MiB") }
        guard timeout >= 1 else { throw ZCError(.usage, "--timeout must be at least 1 second") }
        guard sizeMiB >= 1, sizeMiB * 2 < memory else {
            throw ZCError(.usage, "--size-mib must be at least 1 and under half of --memory (\(memory) MiB)")
        }
        guard settleMilliseconds >= 0 else { throw ZCError(.usage, "--settle-ms must not be negative") }
        var options = BootOptions()
        options.accelerator = accelerator
        options.cpus = cpus
        options.memoryMiB = memory
        options.timeout = .seconds(timeout)
        options.sizeMiB = sizeMiB
        options.settleMilliseconds = settleMilliseconds
        return options
    }
}

func makeBench() throws -> Bench {
    Bench(paths: try Paths.fromEnvironment(), logger: Logger(label: "zcbench"))
}

func writeJSON(_ reports: [RunReport], to path: String?) throws {
    guard let path else { return }
    do {
        try Reporter.json(reports).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw ZCError(.io, "cannot write JSON results to \(path): \(error.localizedDescription)")
    }
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
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
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            printOut(String(decoding: try encoder.encode(requirements), as: UTF8.self))
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

/// Resolves scenario names, suggesting the nearest valid one for a typo.
func scenarios(named names: [String]) throws -> [any Scenario] {
    try names.map { name in
        guard let scenario = ScenarioCatalog.named(name) else {
            let hint = nearestName(name, in: ScenarioCatalog.names).map { "; did you mean '\($0)'?" } ?? ""
            throw ZCError(.usage, "unknown scenario '\(name)'\(hint) Valid: \(ScenarioCatalog.names.joined(separator: ", "))")
        }
        return scenario
    }
}

public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "run", abstract: "Boot the guest and run one scenario.")

    @Option(help: "Scenario to run (\(ScenarioCatalog.names.joined(separator: ", "))).")
    public var scenario: String

    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments

    @Option(help: "Also write the results as JSON to this file.")
    public var json: String?

    public init() {}

    public func run() async throws {
        let selected = try scenarios(named: [scenario])
        let options = try boot.options()
        let choice = try kernel.choice()
        let report = try await makeBench().run(choice, scenarios: selected, options: options)
        printOut(Reporter.table([report]))
        try writeJSON([report], to: json)
        if !report.passed { throw ExitCode(1) }
    }
}

public struct CheckCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "check", abstract: "Run every scenario on one kernel series or all, and check every expectation.")

    @Option(help: "Kernel series: 6.1, 6.12 or all.")
    public var series: String = KernelSeries.v6_1.rawValue

    @OptionGroup public var boot: BootArguments

    @Option(help: "Also write the results as JSON to this file.")
    public var json: String?

    public init() {}

    public func run() async throws {
        let list = series == "all" ? KernelSeries.allCases : [try KernelSeries.parse(series)]
        let options = try boot.options()
        let bench = try makeBench()
        var reports: [RunReport] = []
        for series in list {
            reports.append(try await bench.run(.series(series), scenarios: ScenarioCatalog.check, options: options))
        }
        printOut(Reporter.table(reports))
        try writeJSON(reports, to: json)
        if !reports.allSatisfy(\.passed) { throw ExitCode(1) }
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
