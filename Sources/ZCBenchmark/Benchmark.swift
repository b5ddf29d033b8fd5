import Foundation
import ZCAnalysis
import ZCBuild
import ZCCore
import ZCKernel
import ZCReport
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
        // What `zcbench check` runs: every once-only scenario of check and both matrices.
        let cells = try Selection.cells(module.allDesigns, properties: AccountingProperty.allNames, realPath: module.tcpDesigns,
                                        named: false)
        let check = RunPlan(scenarios: ScenarioCatalog.check, cells: cells, expectations: expectations)

        let oneQemu = try await timed("check: every scenario and the full matrix, one QEMU",
                                      "zcbench check --series \(series) --jobs 1", plan: check, runs: 1, keep: true)
        var timeToVerdict = [
            try await timed("one scenario, one variant", "zcbench run --series \(series) --variants pool-free --property release",
                            plan: single, runs: options.repeats),
            oneQemu.timed,
        ]
        let (parallelCheck, verdictDifferences) = try await self.parallelCheck(plan: check, against: oneQemu.report)
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

        let (repeatableCost, repeatableRealPathCost) = try await repeatable(variants: designs.map(\.name),
                                                                           tcpDesigns: module.tcpDesigns)

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
        report.parallelCheck = parallelCheck
        report.parallelJobs = options.jobs
        report.verdictDifferences = verdictDifferences
        report.repeatableCost = repeatableCost
        report.repeatableRealPathCost = repeatableRealPathCost
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

    /// `zcbench check` as it runs by default, its units in `options.jobs` QEMUs side by side,
    /// timed `options.parallelCheckRuns` times; and every case whose verdict differs from
    /// the one-QEMU run's `single` (nil when it has no report).
    func parallelCheck(plan: RunPlan, against single: RunReport?) async throws -> (TimedRun, [String]?) {
        let series = options.series.rawValue
        var timed = TimedRun(name: "check: every scenario and the full matrix, \(options.jobs) QEMUs side by side",
                             command: "zcbench check --series \(series)", wall: [], phases: [], passed: true, problems: [])
        var differences: [String]? = single == nil ? nil : []
        let expected = single.map { Dictionary(VerdictCase.all($0).map { ($0.name, $0.outcome) }, uniquingKeysWith: { a, _ in a }) }
        for _ in 0..<options.parallelCheckRuns {
            pipeline.progress.note("bench: \(timed.name)")
            let start = ContinuousClock.now
            guard let report = try await pipeline.runParallel([(.series(options.series), plan)], options: BootOptions(),
                                                              jobs: options.jobs).first else { continue }
            timed.wall.append((ContinuousClock.now - start).seconds)
            timed.phases.append(report.phases)
            if !report.passed {
                timed.passed = false
                timed.problems.append(report.problem ?? "expectations not met; kept in \(report.runDirectory)")
            }
            guard let expected else { continue }
            let cases = VerdictCase.all(report)
            for verdict in cases where expected[verdict.name] != verdict.outcome {
                differences?.append("\(verdict.name): \(expected[verdict.name]?.rawValue ?? "absent") with one QEMU, \(verdict.outcome.rawValue) in parts")
            }
            for name in Set(expected.keys).subtracting(cases.map(\.name)).sorted() {
                differences?.append("\(name): \(expected[name]!.rawValue) with one QEMU, absent in parts")
            }
        }
        return (timed, differences)
    }

    /// zcpool-cost and tcp-cost in one boot under QEMU's -icount (shift 0: a guest
    /// nanosecond per instruction executed), `options.repeatableRuns` times: their tables.
    func repeatable(variants: [String], tcpDesigns: [String]) async throws -> ([CostTable], [RealPathCostTable]) {
        var boot = BootOptions()
        boot.icountShift = 0
        let plan = RunPlan(scenarios: [ScenarioCatalog.named("zcpool-cost")!, ScenarioCatalog.named("tcp-cost")!])
        var cost: [CostTable] = [], real: [RealPathCostTable] = []
        for _ in 0..<options.repeatableRuns {
            let (timed, report) = try await timed("repeatable cost (icount)",
                                                  "zcbench run --series \(options.series.rawValue) --scenario zcpool-cost,tcp-cost --icount 0",
                                                  plan: plan, runs: 1, boot: boot, keep: true)
            guard timed.passed, let report else {
                throw ZCError(.protocolError, "the repeatable cost run failed: \(timed.problems.first ?? "no report")")
            }
            if let metrics = report.scenarios.first(where: { $0.scenario == "zcpool-cost" })?.metrics,
               let table = CostTable(cost: metrics, tcp: nil, tcpSizeMiB: report.sizeMiB, variants: variants) {
                cost.append(table)
            }
            if let metrics = report.scenarios.first(where: { $0.scenario == "tcp-cost" })?.metrics,
               let table = RealPathCostTable(metrics: metrics, designs: tcpDesigns) {
                real.append(table)
            }
        }
        return (cost, real)
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

    /// The issue's goals against the measurements: each with how it was measured and, where
    /// several runs stand behind it, how far apart they were.
    static func goals(_ report: BenchmarkReport) -> [Goal] {
        var goals: [Goal] = []
        func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
        func range(_ values: [Double]) -> String? {
            values.count > 1 ? "\(seconds(values.min()!)) to \(seconds(values.max()!)) over \(values.count) runs" : nil
        }
        if let single = report.timeToVerdict.first {
            if let boot = single.median(\.boot) {
                goals.append(Goal(name: "guest init (QEMU start to the runner's first result)", target: "<= 2.0 s",
                                  measured: seconds(boot), met: boot <= 2, measure: "wall clock, median",
                                  spread: range(single.phases.compactMap(\.boot))))
            }
            goals.append(Goal(name: "single-scenario run, wall", target: "<= 5.0 s", measured: seconds(single.medianWall),
                              met: single.medianWall <= 5, measure: "wall clock, median", spread: range(single.wall)))
        }
        if report.timeToVerdict.count > 1 {
            let check = report.timeToVerdict[1]
            goals.append(Goal(name: "full matrix on one kernel (zcbench check), one QEMU, wall", target: "<= 60 s",
                              measured: seconds(check.medianWall), met: check.medianWall <= 60, measure: "wall clock",
                              spread: range(check.wall)))
        }
        if let parallel = report.parallelCheck, !parallel.wall.isEmpty {
            let differences = report.verdictDifferences
            let verdicts = differences.map { $0.isEmpty ? "verdicts identical to one QEMU's" : "\($0.count) verdicts differ" }
                ?? "verdicts not compared"
            goals.append(Goal(name: "zcbench check, \(report.parallelJobs ?? 0) QEMUs side by side, wall",
                              target: "<= 20 s, verdicts identical to one QEMU's",
                              measured: "\(seconds(parallel.medianWall)); \(verdicts)",
                              met: parallel.medianWall <= 20 && differences == [] && parallel.passed,
                              measure: "wall clock, median of \(parallel.wall.count)", spread: range(parallel.wall)))
        }
        let cost = report.repeatableCost ?? [], real = report.repeatableRealPathCost ?? []
        if !cost.isEmpty || !real.isEmpty {
            let measure = "-icount shift=0, \(max(cost.count, real.count)) run\(max(cost.count, real.count) == 1 ? "" : "s")"
            let spreads = [cost.count > 1 ? Spread.of(cost[0].ratios, cost[1].ratios) : nil,
                           real.count > 1 ? Spread.of(real[0].ratios, real[1].ratios) : nil].compactMap { $0 }
            if let worst = spreads.max(by: { $0.fraction < $1.fraction }) {
                goals.append(Goal(name: "every repeatable per-page ratio, run to run", target: "within 1%",
                                  measured: "\(worst.percent) at most (\(worst.key))", met: worst.fraction <= 0.01,
                                  measure: measure))
            } else {
                goals.append(Goal(name: "every repeatable per-page ratio, run to run", target: "within 1%",
                                  measured: "one run: no spread measured", met: false, measure: measure))
            }
            func ratioGoal(_ name: String, _ values: [Double]) {
                guard let first = values.first else { return }
                let spread = values.count > 1 ? Spread.of(["r": values[0]], ["r": values[1]])?.percent : nil
                goals.append(Goal(name: name, target: "<= 1.15x", measured: String(format: "%.3fx", first),
                                  met: values.allSatisfy { $0 <= 1.15 }, measure: measure, spread: spread))
            }
            if let size = cost.first?.sizesKiB.last {
                ratioGoal("pool-free-batched per page vs unaccounted, 32-page batches, \(size / 1024) MiB",
                          cost.compactMap { $0.ratio("pool-free-batched", batch: 32, sizeKiB: size) })
            }
            ratioGoal("tcp-kmem-batched per page vs tcp-unaccounted, 32-page calls (the real path)",
                      real.compactMap { $0.ratio("tcp-kmem-batched", callPages: 32) })
        }
        return goals
    }
}
