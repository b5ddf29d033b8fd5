import Foundation
import ZCAnalysis
import ZCBuild
import ZCCore
import ZCKernel
import ZCRun

/// Runs the benchmark: time to verdict, data-path cost, scale.
public struct Benchmark: Sendable {
    public var pipeline: Pipeline
    public var options: BenchmarkOptions
    public var expectations: ExpectationSet

    public init(pipeline: Pipeline, options: BenchmarkOptions, expectations: ExpectationSet) {
        self.pipeline = pipeline
        self.options = options
        self.expectations = expectations
    }

    public func run() async throws -> BenchmarkReport {
        let kernel = try await pipeline.kernel(.series(options.series))
        let series = options.series.rawValue
        let module = try pipeline.module()
        let designs = module.variants.map { Variant($0) }
        let single = RunPlan(scenarios: [], variants: ["pool-free"], properties: [AccountingProperty.release],
                             expectations: expectations)
        let check = RunPlan(scenarios: ScenarioCatalog.check, variants: designs, properties: AccountingProperty.all,
                            expectations: expectations)

        var timeToVerdict = [
            try await timed("one scenario, one variant", "zcbench run --series \(series) --variants pool-free --property release",
                            plan: single, runs: options.repeats),
            try await timed("check: every scenario and the full matrix", "zcbench check --series \(series)",
                            plan: check, runs: 1),
        ]
        var levers: [TimedRun] = []
        if options.levers {
            var bzImage = BootOptions()
            bzImage.directBoot = false
            bzImage.firmware = nil
            var periodic = BootOptions()
            periodic.flushStats = false
            periodic.settleMilliseconds = 2500
            var twoCPUs = BootOptions()
            twoCPUs.cpus = 2
            var quiet = BootOptions()
            quiet.extraKernelArguments = ["loglevel=5"]
            for (name, flags, boot) in [("bzImage + SeaBIOS (the classic boot)", "--boot bzimage --firmware seabios", bzImage),
                                        ("periodic memcg flush instead of a forced one", "--no-flush-stats --settle-ms 2500", periodic),
                                        ("2 vCPUs", "--cpus 2", twoCPUs),
                                        ("console at warnings and worse only", "--append loglevel=5", quiet)] {
                levers.append(try await timed(name, "zcbench run --series \(series) --variants pool-free --property release \(flags)",
                                              plan: single, runs: options.leverRepeats, boot: boot))
            }
        }
        let coldBuild = try await self.coldBuild(kernel)

        let costRun = try await timed("data-path cost", "zcbench run --series \(series) --scenario zcpool-cost",
                                      plan: RunPlan(scenarios: [ScenarioCatalog.named("zcpool-cost")!, TCPZerocopyScenario()]),
                                      runs: 1, keep: true)
        timeToVerdict.append(costRun.timed)
        let cost = costRun.report.flatMap { report in
            report.scenarios.first { $0.scenario == "zcpool-cost" }.flatMap {
                CostTable(cost: $0.metrics, tcp: report.scenarios.first { $0.scenario == "tcp-zerocopy" }?.metrics,
                          tcpSizeMiB: report.sizeMiB, variants: designs.map(\.name))
            }
        }

        let realPathRun = try await timed("real-path cost", "zcbench run --series \(series) --scenario tcp-cost",
                                          plan: RunPlan(scenarios: [ScenarioCatalog.named("tcp-cost")!]), runs: 1, keep: true)
        timeToVerdict.append(realPathRun.timed)
        let realPathCost = realPathRun.report.flatMap { report in
            report.scenarios.first { $0.scenario == "tcp-cost" }.flatMap {
                RealPathCostTable(metrics: $0.metrics, designs: module.tcpDesigns)
            }
        }

        var scale: [ScalePoint] = []
        for size in options.scaleSizes {
            scale.append(try await scalePoint(sizeMiB: size, variants: designs))
        }
        for count in options.scaleVariantCounts where !(count == designs.count && options.scaleSizes.contains(32)) {
            scale.append(try await scalePoint(sizeMiB: 32, variants: Array(designs.prefix(count))))
        }

        var report = BenchmarkReport(command: nil, date: ISO8601DateFormatter().string(from: Date()), kernel: kernel.release.name,
                                     host: Self.host(), qemu: try await qemuVersion(), timeToVerdict: timeToVerdict,
                                     levers: levers, coldBuild: coldBuild, cost: cost, realPathCost: realPathCost,
                                     scale: scale, goals: [])
        report.goals = Self.goals(report)
        return report
    }

    /// Runs `plan` `runs` times and times each call whole.
    func timed(_ name: String, _ command: String, plan: RunPlan, runs: Int, boot: BootOptions = BootOptions()) async throws -> TimedRun {
        try await timed(name, command, plan: plan, runs: runs, boot: boot, keep: false).timed
    }

    func timed(_ name: String, _ command: String, plan: RunPlan, runs: Int, boot: BootOptions = BootOptions(),
               keep: Bool) async throws -> (timed: TimedRun, report: RunReport?) {
        var timed = TimedRun(name: name, command: command, wall: [], phases: [], passed: true, problems: [])
        var last: RunReport?
        for _ in 0..<runs {
            pipeline.progress.note("bench: \(name)")
            let start = ContinuousClock.now
            let report = try await pipeline.run(.series(options.series), plan: plan, options: boot)
            timed.wall.append((ContinuousClock.now - start).seconds)
            timed.phases.append(report.phases)
            if !report.passed {
                timed.passed = false
                timed.problems.append(report.problem ?? "expectations not met; kept in \(report.runDirectory)")
            }
            last = report
        }
        return (timed, keep ? last : nil)
    }

    /// The full matrix at `sizeMiB` for `variants`, with guest memory for it.
    func scalePoint(sizeMiB: Int, variants: [Variant]) async throws -> ScalePoint {
        var boot = BootOptions()
        boot.sizeMiB = sizeMiB
        // The pool may hold twice the receive size, plus the guest's own.
        boot.memoryMiB = max(1024, 4 * sizeMiB + 512)
        let plan = RunPlan(scenarios: [], variants: variants, properties: AccountingProperty.all, expectations: expectations)
        let (timed, report) = try await timed(
            "matrix, \(variants.count) variant\(variants.count == 1 ? "" : "s"), \(sizeMiB) MiB",
            "zcbench run --series \(options.series.rawValue) --variants \(variants.map(\.name).joined(separator: ",")) --property all --size-mib \(sizeMiB) --memory \(boot.memoryMiB)",
            plan: plan, runs: 1, boot: boot, keep: true)
        return ScalePoint(sizeMiB: sizeMiB, variants: variants.count, memoryMiB: boot.memoryMiB, run: timed,
                          guestMemory: report?.guestMemory)
    }

    /// Builds the module and the guest programs into a fresh directory and removes it.
    func coldBuild(_ kernel: KernelTarget) async throws -> Double {
        let scratch = pipeline.paths.output.appendingPathComponent("bench-cold-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let builder = Builder(repository: pipeline.paths.repository, output: scratch, runner: pipeline.runner, progress: pipeline.progress)
        let start = ContinuousClock.now
        _ = try await builder.build(release: kernel.release.name, headers: kernel.headers, kernelBuildID: try kernel.buildID())
        return (ContinuousClock.now - start).seconds
    }

    func qemuVersion() async throws -> String {
        let result = try await pipeline.runner.run(Command("qemu-system-x86_64", ["--version"]))
        return result.output.split(separator: "\n").first.map(String.init) ?? "unknown"
    }

    /// "<cores> x <CPU model>" from /proc/cpuinfo.
    static func host() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(ProcessInfo.processInfo.activeProcessorCount) x \(model)"
    }

    /// The issue's goals against the measurements.
    static func goals(_ report: BenchmarkReport) -> [Goal] {
        var goals: [Goal] = []
        if let single = report.timeToVerdict.first {
            if let boot = single.median(\.boot) {
                goals.append(Goal(name: "guest init (QEMU start to the runner's first result)", target: "<= 2.0 s",
                                  measured: String(format: "%.1f s", boot), met: boot <= 2))
            }
            goals.append(Goal(name: "single-scenario run, wall", target: "<= 5.0 s",
                              measured: String(format: "%.1f s", single.medianWall), met: single.medianWall <= 5))
        }
        if report.timeToVerdict.count > 1 {
            let check = report.timeToVerdict[1]
            goals.append(Goal(name: "full matrix on one kernel (zcbench check), wall", target: "<= 60 s",
                              measured: String(format: "%.1f s", check.medianWall), met: check.medianWall <= 60))
        }
        if let cost = report.cost, let size = cost.sizesKiB.last, let ratio = cost.ratio("pool-free", batch: 32, sizeKiB: size) {
            goals.append(Goal(name: "pool-free per page vs unaccounted, 32-page batches, \(size / 1024) MiB", target: "<= 1.15x",
                              measured: String(format: "%.2fx", ratio), met: ratio <= 1.15))
        }
        return goals
    }
}
