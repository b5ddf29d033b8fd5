import Foundation
import Logging
import ZCAnalysis
import ZCBuild
import ZCCore
import ZCGuest
import ZCKernel

/// Which kernel a command works on: a Debian series, or a kernel the user built.
public enum KernelChoice: Sendable, Equatable {
    case series(KernelSeries)
    case custom(bzImage: String, headers: String)
    /// A kernel `zcbench kernel build` built, by its name.
    case build(String)

    /// The options that name this kernel on zcbench's command line.
    public var options: String {
        switch self {
        case .series(let series): "--series \(series.rawValue)"
        case .custom(let bzImage, let headers): "--kernel \(bzImage) --headers \(headers)"
        case .build(let name): "--kernel-build \(name)"
        }
    }
}

/// One boot from end to end: fetch a kernel, build the module and the guest for it, write
/// the initramfs, boot QEMU, judge what the guest reported.
public struct Pipeline: Sendable {
    public var paths: Paths
    public var runner: CommandRunner
    public var progress: StepProgress
    public var logger: Logger

    public init(paths: Paths, progress: StepProgress = StepProgress(), logger: Logger) {
        self.paths = paths
        self.runner = CommandRunner(logger: logger)
        self.progress = progress
        self.logger = logger
    }

    public var store: KernelStore { KernelStore(cache: paths.cache, runner: runner, progress: progress, logger: logger) }

    public var builder: Builder {
        Builder(repository: paths.repository, output: paths.output, runner: runner, progress: progress)
    }

    /// The module's designs and faults, read from the checkout's uapi header.
    public func module() throws -> ModuleInterface {
        do {
            return try ModuleInterface.load(repository: paths.repository)
        } catch let error as ModuleInterfaceError {
            throw ZCError(.usage, error.message)
        }
    }

    /// The module's designs as they run on `kernels`: on a kernel built with a real-path
    /// design (``ZCKernel/SourceBuild/design``), that design in place of the stock kernel's.
    public func module(on kernels: [KernelChoice]) throws -> ModuleInterface {
        var interface = try module()
        for case .build(let name) in kernels {
            interface = interface.onKernel(builtWith: try sourceBuilder.recorded(name).design)
        }
        return interface
    }

    /// The expectations file at `path` (default: expectations/default.yaml of the checkout),
    /// its designs checked against the module's.
    public func expectations(_ path: String?) throws -> ExpectationSet {
        let url = path.map { URL(fileURLWithPath: $0) }
            ?? paths.repository.appendingPathComponent("expectations/default.yaml")
        do {
            let module = try module()
            return try ExpectationSet.load(url, variants: module.allDesigns, properties: AccountingProperty.names,
                                           realPath: module.tcpDesigns)
        } catch let error as ExpectationError {
            throw ZCError(.usage, error.description)
        }
    }

    /// The kernel for `choice`, fetched only if the cache does not already hold it.
    public func kernel(_ choice: KernelChoice) async throws -> KernelTarget {
        switch choice {
        case .series(let series): try await store.current(series)
        case .custom(let bzImage, let headers): try store.custom(kernel: bzImage, headers: headers)
        case .build(let name): sourceBuilder.target(try sourceBuilder.recorded(name))
        }
    }

    /// Kernels built from Debian's sources, in the cache.
    public var sourceBuilder: KernelSourceBuilder {
        KernelSourceBuilder(cache: paths.cache, repository: paths.repository, runner: runner, progress: progress, logger: logger)
    }

    /// Builds the module (the checkout's, or `module`) and the guest programs for `kernel`.
    public func build(_ kernel: KernelTarget, module: ModuleSource? = nil) async throws -> BuildProducts {
        try await builder.build(release: kernel.release.name, headers: kernel.headers, kernelBuildID: try kernel.buildID(),
                            module: module)
    }

    /// A fresh directory for one boot's logs: `<runs>/<release>-<time>-<pid>-<random>`.
    public func runDirectory(for kernel: KernelTarget) -> URL {
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return paths.runs.appendingPathComponent("\(kernel.release.name)-\(stamp)-\(getpid())-\(UUID().uuidString.prefix(6).lowercased())")
    }

    /// Fetches, builds (the checkout's module, or `module`), boots once and judges `plan`.
    public func run(_ choice: KernelChoice, plan: RunPlan, options: BootOptions,
                    module: ModuleSource? = nil) async throws -> RunReport {
        try plan.validate()
        let prepared = try await prepare(choice, module: module)
        return try await run(prepared, plan: plan, options: options)
    }

    /// A kernel and what was built for it, ready to boot as often as needed (in parallel:
    /// nothing is built again), with the time each took.
    public struct Prepared: Sendable {
        public var kernel: KernelTarget
        public var products: BuildProducts
        public var kernelSeconds: Double
        public var buildSeconds: Double
    }

    /// Fetches `choice` and builds the checkout's module (or `module`) and the guest for it.
    public func prepare(_ choice: KernelChoice, module: ModuleSource? = nil) async throws -> Prepared {
        var clock = ContinuousClock.now
        let kernel = try await kernel(choice)
        let kernelTime = (ContinuousClock.now - clock).seconds
        clock = ContinuousClock.now
        let products = try await build(kernel, module: module)
        return Prepared(kernel: kernel, products: products, kernelSeconds: kernelTime,
                        buildSeconds: (ContinuousClock.now - clock).seconds)
    }

    /// Boots `prepared` once and judges `plan`.
    public func run(_ prepared: Prepared, plan: RunPlan, options: BootOptions) async throws -> RunReport {
        try plan.validate()
        let kernel = prepared.kernel, products = prepared.products
        let kernelTime = prepared.kernelSeconds, buildTime = prepared.buildSeconds
        let boot = GuestBoot(options: options, progress: progress, logger: logger)
        let timeout = options.timeout ?? plan.defaultTimeout(settle: .milliseconds(options.settleMilliseconds))
        var parameters = plan.guestParameters(options: options, timeout: timeout)
        parameters.tcpKernel = kernel.design
        let run = try await boot.run(kernel: kernel, products: products, parameters: parameters,
                                     timeout: timeout, in: runDirectory(for: kernel))
        var phases = run.phases
        phases.kernel = kernelTime
        phases.build = buildTime
        let context = RunContext(kernel: kernel.release.name, series: kernel.series?.rawValue,
                                 accelerator: options.acceleratorName, cpus: options.cpus, sizeMiB: options.sizeMiB,
                                 runDirectory: run.directory.path, wallSeconds: run.exit.wallTime.seconds, phases: phases,
                                 kernelDesign: kernel.design)
        return RunReport(judging: run.output, selection: plan.selection, context: context)
    }

    /// `zcbench exec`: boots `choice` with zcpool loaded (queues of `variant`, if given) and
    /// runs `program` in a cgroup of its own (vm/exec.c), its output to `stream` as it
    /// arrives. The report's `exec` scenario holds the cgroup's figures and how it ended.
    public func exec(_ choice: KernelChoice, program: ExecProgram, variant: String?, options: BootOptions,
                     stream: @escaping @Sendable (Data) -> Void) async throws -> RunReport {
        try program.validate()
        let kernel = try await kernel(choice)
        let products = try await build(kernel)
        let directory = runDirectory(for: kernel)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let attachment = ExecAttachment(files: try program.initramfsFiles(argvFile: directory.appendingPathComponent("exec.argv")),
                                        stream: stream)
        let plan = RunPlan(scenarios: [ScenarioCatalog.named("exec")!], expectations: try expectations(nil))
        let timeout = options.timeout ?? .seconds(600)
        var parameters = plan.guestParameters(options: options, timeout: timeout)
        parameters.variants = variant.map { [$0] } ?? []
        parameters.tcpKernel = kernel.design
        let run = try await GuestBoot(options: options, progress: progress, logger: logger)
            .run(kernel: kernel, products: products, parameters: parameters, timeout: timeout, in: directory, exec: attachment)
        let context = RunContext(kernel: kernel.release.name, series: kernel.series?.rawValue,
                                 accelerator: options.acceleratorName, cpus: options.cpus, sizeMiB: options.sizeMiB,
                                 runDirectory: run.directory.path, wallSeconds: run.exit.wallTime.seconds, phases: run.phases,
                                 kernelDesign: kernel.design)
        return RunReport(judging: run.output, selection: plan.selection, context: context)
    }

    /// The same for scenarios that run once, judged with the checkout's expectations file.
    public func run(_ choice: KernelChoice, scenarios: [any Scenario], options: BootOptions) async throws -> RunReport {
        try await run(choice, plan: RunPlan(scenarios: scenarios, expectations: try expectations(nil)), options: options)
    }
}
