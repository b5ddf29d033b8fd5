import ZCAnalysis
import Foundation
import Logging
import ZCBuild
import ZCCore
import ZCKernel

/// Which kernel a command works on: a Debian series, or a kernel the user built.
public enum KernelChoice: Sendable, Equatable {
    case series(KernelSeries)
    case custom(bzImage: String, headers: String)
}

/// The library behind every command: fetch a kernel, build for it, boot it, judge it.
public struct Bench: Sendable {
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

    /// The kernel for `choice`, fetched only if the cache does not already hold it.
    public func kernel(_ choice: KernelChoice) async throws -> KernelTarget {
        switch choice {
        case .series(let series): try await store.current(series)
        case .custom(let bzImage, let headers): try store.custom(kernel: bzImage, headers: headers)
        }
    }

    /// Builds the module (the checkout's, or `module`) and the guest programs for `kernel`.
    public func build(_ kernel: KernelTarget, module: ModuleSource? = nil) async throws -> BuildProducts {
        try await builder.build(release: kernel.release.name, headers: kernel.headers, module: module)
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
        var clock = ContinuousClock.now
        let kernel = try await kernel(choice)
        let kernelTime = (ContinuousClock.now - clock).seconds
        clock = ContinuousClock.now
        let products = try await build(kernel, module: module)
        let buildTime = (ContinuousClock.now - clock).seconds
        let launcher = GuestLauncher(options: options, progress: progress, logger: logger)
        let timeout = options.timeout ?? plan.defaultTimeout(settle: .milliseconds(options.settleMilliseconds))
        var run = try await launcher.run(kernel: kernel, products: products, scenarios: plan.guestScenarios,
                                         variants: plan.variants, timeout: timeout, in: runDirectory(for: kernel))
        run.phases.kernel = kernelTime
        run.phases.build = buildTime
        return RunReport(run: run, plan: plan, kernel: kernel.release.name, series: kernel.series?.rawValue, options: options)
    }

    /// The same, for scenarios that run once.
    public func run(_ choice: KernelChoice, scenarios: [any Scenario], options: BootOptions) async throws -> RunReport {
        try await run(choice, plan: RunPlan(scenarios: scenarios), options: options)
    }
}
