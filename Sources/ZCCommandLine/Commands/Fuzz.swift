import ArgumentParser
import ZCAnalysis
import ZCCore
import ZCFuzz
import ZCGuest
import ZCKernel
import ZCRun

public struct FuzzCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz /dev/zcpool, and TCP_ZEROCOPY_RECEIVE under the livepatch's designs, from several processes and threads, for every design, then check that nothing leaked.")

    @Option(help: "Fuzzing time per variant, in seconds.")
    public var seconds: Int = 10

    @Option(help: "Seed of every thread's operation sequence (default: from the clock; printed).")
    public var seed: UInt64?

    @Option(help: ArgumentHelp("Replay these operations instead of fuzzing: the generator states a failure printed (its 'repro-states' line).",
                               valueName: "state,state,..."))
    public var repro: String?

    @Option(help: ArgumentHelp("Run only this thread's operations, alone (a crash's 'repeat it with' line); needs --seed.",
                               valueName: "process.thread"))
    public var thread: String?

    @Option(name: .customLong("ops"), help: "With --thread: only its first N operations, the last \(GuestProtocol.Fuzz.traceOperations) printed.")
    public var operations: Int?

    @Flag(inversion: .prefixedNo, help: "When the guest kernel crashes, boot again to find the thread and the shortest prefix of its operations that crash it.")
    public var minimizeCrash = true

    @OptionGroup public var shard: ShardOptions
    @OptionGroup public var selection: SelectionOptions
    @OptionGroup public var kernel: KernelOptions
    @OptionGroup public var boot: BootArguments
    @OptionGroup public var output: OutputOptions

    public init() {}

    /// The fuzz this command line asks for, checked against the module.
    public func plan(_ module: ModuleInterface) throws -> FuzzPlan {
        try FuzzPlan(seconds: seconds, seed: seed, variants: try selection.designs(module), fault: selection.injectFault,
                     faults: module.faults, repro: try repro.map(FuzzPlan.states) ?? [],
                     thread: try thread.map(FuzzThread.init(parsing:)), operations: operations)
    }

    /// The fuzz runs: each kernel with the plan, or, with `--shard`, with the designs of
    /// it that are the shard's (units: each kernel's designs in order).
    public func runs(_ plan: FuzzPlan, kernels: [KernelChoice]) throws -> [(kernel: KernelChoice, plan: FuzzPlan)] {
        guard let shard = try shard.value() else { return kernels.map { ($0, plan) } }
        guard plan.repro.isEmpty, plan.thread == nil else {
            throw ZCError(.usage, "--shard splits a fuzz over designs; a replay (--repro, --thread) is one run")
        }
        var unit = 0
        return kernels.compactMap { kernel in
            var part = plan
            part.variants = plan.variants.indices.filter { shard.takes(unit + $0) }.map { plan.variants[$0] }
            unit += plan.variants.count
            return part.variants.isEmpty ? nil : (kernel, part)
        }
    }

    public func run() async throws {
        let pipeline = try makePipeline()
        // On a kernel built with a real-path design, that design in place of the stock one.
        let plan = try plan(pipeline.module(on: try kernel.choices()))
        let options = try boot.options(defaultCPUs: 2)
        var reports: [RunReport] = []
        let shard = try self.shard.value()
        let runs = try runs(plan, kernels: try kernel.choices())
        for run in runs {
            var report = try await run.plan.run(pipeline, kernel: run.kernel, options: options)
            report.shard = shard
            reports.append(report)
        }
        try output.emit(reports)
        for ((choice, plan), report) in zip(runs, reports) {
            printOut(plan.summary(report, kernel: choice))
            if minimizeCrash, plan.crashedVariant(report) != nil {
                let crash = try await plan.minimizeCrash(report, pipeline: pipeline, kernel: choice, options: options)
                printOut(plan.crashSummary(crash, kernel: choice))
            }
        }
        if !reports.allSatisfy(\.passed) { throw ExitCode(1) }
    }
}
