import ZCAnalysis
import Foundation
import ZCBuild
import ZCCore
import ZCGuest
import ZCKernel

/// What `zcbench bench` measures, and how often.
public struct BenchmarkOptions: Sendable, Equatable {
    public var series: KernelSeries = .v6_1
    /// Runs of each single-scenario measurement; the median is reported.
    public var repeats = 3
    /// Runs of each boot lever.
    public var leverRepeats = 2
    public var levers = true
    /// Receive sizes (MiB) of the scale series, each a full matrix.
    public var scaleSizes = [1, 4, 16, 64, 256]
    /// Variant counts of the scale series (the first N of the review's order), at 32 MiB.
    public var scaleVariantCounts = [1, 2, 3, 6]

    public init() {}

    /// One of everything: the smoke test's bench.
    public static var quick: BenchmarkOptions {
        var options = BenchmarkOptions()
        options.repeats = 1
        options.levers = false
        options.scaleSizes = [1]
        options.scaleVariantCounts = [1]
        return options
    }
}

/// One measured command: its wall time and phases, per run.
public struct TimedRun: Sendable, Codable, Equatable {
    public var name: String
    /// The zcbench command this stands for.
    public var command: String
    /// Wall time of each run, from the call to the verdict (kernel lookup and build included).
    public var wall: [Double]
    public var phases: [Phases]
    /// Did every run meet its expectations?
    public var passed: Bool
    public var problems: [String]

    public var medianWall: Double { ZCBench.median(wall) }

    /// The median of one phase over the runs that have it.
    public func median(_ phase: KeyPath<Phases, Double?>) -> Double? {
        let values = phases.compactMap { $0[keyPath: phase] }
        return values.isEmpty ? nil : ZCBench.median(values)
    }
}

/// The data-path cost table from `zcpool-cost`, and the TCP reference from `tcp-zerocopy`.
public struct CostTable: Sendable, Codable, Equatable {
    public var variants: [String]
    public var batches: [Int]
    public var sizesKiB: [Int]
    /// `<variant>.b<batch>.<size>k` -> median ns per page of RECEIVE + munmap + RECLAIM.
    public var nsPerPage: [String: Int64]
    /// The same key -> ns per page of the RECEIVE calls alone.
    public var receiveNsPerPage: [String: Int64]
    /// TCP_ZEROCOPY_RECEIVE + munmap per page mapped, at `tcpSizeMiB`.
    public var tcpNsPerPage: Int64?
    public var tcpSizeMiB: Int

    public static func key(_ variant: String, _ batch: Int, _ sizeKiB: Int) -> String { "\(variant).b\(batch).\(sizeKiB)k" }

    /// `variant`'s time per page over unaccounted's, same batch and size.
    public func ratio(_ variant: String, batch: Int, sizeKiB: Int) -> Double? {
        guard let value = nsPerPage[Self.key(variant, batch, sizeKiB)],
              let base = nsPerPage[Self.key("unaccounted", batch, sizeKiB)], base > 0 else { return nil }
        return Double(value) / Double(base)
    }

    /// Reads the metrics of the two scenarios; nil if zcpool-cost reported nothing.
    init?(cost: Metrics, tcp: Metrics?, tcpSizeMiB: Int) {
        variants = Variants.all
        batches = [1, 8, 32]
        sizesKiB = [4, 64, 1024, 16384, 65536]
        var total: [String: Int64] = [:], receive: [String: Int64] = [:]
        for (name, value) in cost.values {
            if name.hasSuffix(".receive_ns_per_page") {
                receive[String(name.dropLast(".receive_ns_per_page".count))] = value
            } else if name.hasSuffix(".ns_per_page") {
                total[String(name.dropLast(".ns_per_page".count))] = value
            }
        }
        guard !total.isEmpty else { return nil }
        nsPerPage = total
        receiveNsPerPage = receive
        self.tcpSizeMiB = tcpSizeMiB
        if let tcp, let mapped = tcp["mapped"], mapped > 0, let zc = tcp["zc_ns"], let unmap = tcp["munmap_ns"] {
            tcpNsPerPage = (zc + unmap) / (mapped / 4096)
        }
    }
}

/// One point of the scale series: a full matrix at one receive size and variant count.
public struct ScalePoint: Sendable, Codable, Equatable {
    public var sizeMiB: Int
    public var variants: Int
    public var memoryMiB: Int
    public var run: TimedRun
    public var guestMemory: GuestMemory?
}

/// A goal of the benchmark issue, against what was measured.
public struct Goal: Sendable, Codable, Equatable {
    public var name: String
    public var target: String
    public var measured: String
    public var met: Bool
}

/// Everything `zcbench bench` measured in one run.
public struct BenchmarkReport: Sendable, Codable, Equatable {
    public var schema = "zcbench/bench/v1"
    /// The command that measured these results.
    public var command: String?
    public var date: String
    public var kernel: String
    public var host: String
    public var qemu: String
    public var timeToVerdict: [TimedRun]
    public var levers: [TimedRun]
    /// Building the module and the guest programs from scratch (no boot).
    public var coldBuild: Double?
    public var cost: CostTable?
    public var scale: [ScalePoint]
    public var goals: [Goal]
}

/// Runs the benchmark: time to verdict, data-path cost, scale.
public struct Benchmark: Sendable {
    public var bench: Bench
    public var options: BenchmarkOptions
    public var expectations: ExpectationSet

    public init(bench: Bench, options: BenchmarkOptions, expectations: ExpectationSet) {
        self.bench = bench
        self.options = options
        self.expectations = expectations
    }

    public func run() async throws -> BenchmarkReport {
        let kernel = try await bench.kernel(.series(options.series))
        let series = options.series.rawValue
        let single = RunPlan(scenarios: [], variants: ["pool-free"], properties: [AccountingProperty.release],
                             expectations: expectations)
        let check = RunPlan(scenarios: ScenarioCatalog.check, variants: Variants.all, properties: AccountingProperty.all,
                            expectations: expectations)

        var timeToVerdict = [
            try await timed("one scenario, one variant", "zcbench run --series \(series) --variant pool-free --scenario release",
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
                levers.append(try await timed(name, "zcbench run --series \(series) --variant pool-free --scenario release \(flags)",
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
                          tcpSizeMiB: report.sizeMiB)
            }
        }

        var scale: [ScalePoint] = []
        for size in options.scaleSizes {
            scale.append(try await scalePoint(sizeMiB: size, variants: Variants.all.count))
        }
        for count in options.scaleVariantCounts where !(count == Variants.all.count && options.scaleSizes.contains(32)) {
            scale.append(try await scalePoint(sizeMiB: 32, variants: count))
        }

        var report = BenchmarkReport(command: nil, date: ISO8601DateFormatter().string(from: Date()), kernel: kernel.release.name,
                                     host: Self.host(), qemu: try await qemuVersion(), timeToVerdict: timeToVerdict,
                                     levers: levers, coldBuild: coldBuild, cost: cost, scale: scale, goals: [])
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
            bench.progress.note("bench: \(name)")
            let start = ContinuousClock.now
            let report = try await bench.run(.series(options.series), plan: plan, options: boot)
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

    /// The full matrix at `sizeMiB` for the first `variants` variants, with guest memory for it.
    func scalePoint(sizeMiB: Int, variants: Int) async throws -> ScalePoint {
        var boot = BootOptions()
        boot.sizeMiB = sizeMiB
        // The pool may hold twice the receive size, plus the guest's own.
        boot.memoryMiB = max(1024, 4 * sizeMiB + 512)
        let plan = RunPlan(scenarios: [], variants: Array(Variants.all.prefix(variants)), properties: AccountingProperty.all,
                           expectations: expectations)
        let (timed, report) = try await timed(
            "matrix, \(variants) variant\(variants == 1 ? "" : "s"), \(sizeMiB) MiB",
            "zcbench run --series \(options.series.rawValue) --variant \(plan.variants.joined(separator: ",")) --scenario all --size-mib \(sizeMiB) --memory \(boot.memoryMiB)",
            plan: plan, runs: 1, boot: boot, keep: true)
        return ScalePoint(sizeMiB: sizeMiB, variants: variants, memoryMiB: boot.memoryMiB, run: timed,
                          guestMemory: report?.guestMemory)
    }

    /// Builds the module and the guest programs into a fresh directory and removes it.
    func coldBuild(_ kernel: KernelTarget) async throws -> Double {
        let scratch = bench.paths.output.appendingPathComponent("bench-cold-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let builder = Builder(repository: bench.paths.repository, output: scratch, runner: bench.runner, progress: bench.progress)
        let start = ContinuousClock.now
        _ = try await builder.build(release: kernel.release.name, headers: kernel.headers)
        return (ContinuousClock.now - start).seconds
    }

    func qemuVersion() async throws -> String {
        let result = try await bench.runner.run(Command("qemu-system-x86_64", ["--version"]))
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

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
