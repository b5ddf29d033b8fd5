import Foundation
import ZCAnalysis
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
    /// Variant counts of the scale series (the first N of the module's order), at 32 MiB.
    public var scaleVariantCounts = [1, 2, 4, 7]
    /// Runs of the repeatable measure (zcpool-cost and tcp-cost under QEMU's -icount): two,
    /// so that their spread is measured.
    public var repeatableRuns = 2
    /// Runs of `zcbench check` with its default QEMUs side by side; the median is the goal's.
    public var parallelCheckRuns = 3
    /// QEMUs side by side for those runs: the host's cores, as `zcbench check`.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    /// One of everything: the smoke test's bench.
    public static var quick: BenchmarkOptions {
        var options = BenchmarkOptions()
        options.repeats = 1
        options.levers = false
        options.scaleSizes = [1]
        options.scaleVariantCounts = [1]
        options.repeatableRuns = 1
        options.parallelCheckRuns = 1
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

    public var medianWall: Double { ZCCore.median(wall) }

    /// The median of one phase over the runs that have it.
    public func median(_ phase: KeyPath<Phases, Double?>) -> Double? {
        let values = phases.compactMap { $0[keyPath: phase] }
        return values.isEmpty ? nil : ZCCore.median(values)
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

    /// Every ratio to unaccounted, by key.
    public var ratios: [String: Double] {
        var all: [String: Double] = [:]
        for variant in variants where variant != "unaccounted" {
            for batch in batches {
                for size in sizesKiB { all[Self.key(variant, batch, size)] = ratio(variant, batch: batch, sizeKiB: size) }
            }
        }
        return all
    }

    /// Reads the metrics of the two scenarios for `variants`; nil if zcpool-cost reported nothing.
    init?(cost: Metrics, tcp: Metrics?, tcpSizeMiB: Int, variants: [String]) {
        self.variants = variants
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

/// The real-path cost table from `tcp-cost`: each zctcp design in the kernel's own
/// TCP_ZEROCOPY_RECEIVE, by pages asked per call.
public struct RealPathCostTable: Sendable, Codable, Equatable {
    public var designs: [String]
    public var callPages: [Int]
    /// Bytes of each transfer.
    public var size: Int64
    /// `<design>.b<pages>` -> median ns per mapped page of getsockopt + munmap.
    public var nsPerPage: [String: Int64]
    /// The same key -> ns per mapped page of the getsockopt calls alone.
    public var receiveNsPerPage: [String: Int64]
    /// The same key -> of the bytes received, mapped (%), in the median round.
    public var mappedPercent: [String: Int64]
    /// The same key -> getsockopt calls in the median round.
    public var calls: [String: Int64]
    /// The same key -> rounds measured.
    public var rounds: [String: Int64]

    public static let stock = "tcp-unaccounted"

    public static func key(_ design: String, _ pages: Int) -> String { "\(design).b\(pages)" }

    /// `design`'s time per mapped page over the stock kernel's, same call size.
    public func ratio(_ design: String, callPages pages: Int) -> Double? {
        guard let value = nsPerPage[Self.key(design, pages)],
              let base = nsPerPage[Self.key(Self.stock, pages)], base > 0 else { return nil }
        return Double(value) / Double(base)
    }

    /// Every ratio to the stock kernel, by key.
    public var ratios: [String: Double] {
        var all: [String: Double] = [:]
        for design in designs where design != Self.stock {
            for pages in callPages { all[Self.key(design, pages)] = ratio(design, callPages: pages) }
        }
        return all
    }

    /// Reads tcp-cost's metrics for `designs`; nil if it reported no time.
    init?(metrics: Metrics, designs: [String]) {
        self.designs = designs
        var pages = Set<Int>()
        var tables: [String: [String: Int64]] = [:]
        let suffixes = ["receive_ns_per_page", "ns_per_page", "mapped_pct", "calls", "rounds"]
        for (name, value) in metrics.values {
            guard let design = designs.first(where: { name.hasPrefix("\($0).b") }) else { continue }
            let rest = name.dropFirst(design.count + 2)
            guard let dot = rest.firstIndex(of: "."), let count = Int(rest[..<dot]),
                  let what = suffixes.first(where: { rest[rest.index(after: dot)...] == $0 }) else { continue }
            pages.insert(count)
            tables[what, default: [:]][Self.key(design, count)] = value
        }
        guard let total = tables["ns_per_page"], !total.isEmpty else { return nil }
        callPages = pages.sorted()
        size = metrics["size"] ?? 0
        nsPerPage = total
        receiveNsPerPage = tables["receive_ns_per_page"] ?? [:]
        mappedPercent = tables["mapped_pct"] ?? [:]
        calls = tables["calls"] ?? [:]
        rounds = tables["rounds"] ?? [:]
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
    /// How it was measured (nil in reports from before it was said).
    public var measure: String?
    /// How far apart the runs behind `measured` were; nil where there was one run.
    public var spread: String?

    public init(name: String, target: String, measured: String, met: Bool, measure: String? = nil, spread: String? = nil) {
        self.name = name
        self.target = target
        self.measured = measured
        self.met = met
        self.measure = measure
        self.spread = spread
    }
}

/// The largest relative difference between two runs' ratios of the same (key), and where.
public struct Spread: Sendable, Codable, Equatable {
    public var fraction: Double
    public var key: String

    /// The largest |a - b| / a over the keys both have; nil if they share none.
    public static func of(_ a: [String: Double], _ b: [String: Double]) -> Spread? {
        a.keys.filter { b[$0] != nil && a[$0]! != 0 }.sorted().map { key in
            Spread(fraction: abs(a[key]! - b[key]!) / a[key]!, key: key)
        }.max { $0.fraction < $1.fraction }
    }

    public var percent: String { String(format: "%.2f%%", fraction * 100) }
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
    /// The same on the real path, from `tcp-cost` (nil in reports from before it).
    public var realPathCost: RealPathCostTable?
    public var scale: [ScalePoint]
    public var goals: [Goal]
    /// `zcbench check` with its QEMUs side by side (nil in reports from before it).
    public var parallelCheck: TimedRun?
    /// QEMUs side by side in `parallelCheck`.
    public var parallelJobs: Int?
    /// Cases whose verdict in a parallel check differs from the single QEMU's (the check
    /// row of ``timeToVerdict``), as "name: one-QEMU outcome, parallel outcome"; empty
    /// when every one is the same.
    public var verdictDifferences: [String]?
    /// zcpool-cost under QEMU's -icount, one table per run: guest nanoseconds that count
    /// executed instructions, one per nanosecond.
    public var repeatableCost: [CostTable]?
    /// tcp-cost under -icount, one table per run.
    public var repeatableRealPathCost: [RealPathCostTable]?
}

