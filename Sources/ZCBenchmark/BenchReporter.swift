import Foundation
import ZCAnalysis
import ZCReport

/// bench/RESULTS.md and the compact terminal table of a ``BenchmarkReport``.
public enum BenchReporter {
    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.1f s", $0) } ?? "-" }
    static func mib(_ kib: Int64) -> String { String(format: "%.0f MiB", Double(kib) / 1024) }

    /// The compact table: goals, time to verdict, the cost ratios at 32-page batches, scale.
    public static func table(_ report: BenchmarkReport) -> String {
        var out = ["zcbench bench: \(report.kernel), \(report.qemu), TCG 1 vCPU, host \(report.host)"]
        for goal in report.goals {
            let spread = goal.spread.map { ", spread \($0)" } ?? ""
            out.append("  \(goal.met ? "MET    " : "NOT MET") \(goal.name): \(goal.measured) (goal \(goal.target)\(spread))")
        }
        for run in report.timeToVerdict + [report.parallelCheck].compactMap({ $0 }) + report.levers {
            out.append("  \(pad(run.name, 48)) wall \(seconds(run.medianWall))  boot \(seconds(run.median(\.boot))) (kernel to /init \(seconds(run.median(\.kernelToInit))))  scenarios \(seconds(run.median(\.scenarios)))\(run.passed ? "" : "  (FAILED: \(run.problems.first ?? ""))")")
        }
        if let cold = report.coldBuild { out.append("  \(pad("build from scratch (module + guest programs)", 48)) \(seconds(cold))") }
        if let cost = report.cost, let size = cost.sizesKiB.last {
            let ratios = cost.variants.dropFirst().map { variant in
                "\(variant) \(cost.ratio(variant, batch: 32, sizeKiB: size).map { String(format: "%.2fx", $0) } ?? "-")"
            }
            out.append("  cost per page vs unaccounted (32-page batches, \(size / 1024) MiB): \(ratios.joined(separator: ", "))")
        }
        if let real = report.realPathCost, let pages = real.callPages.last {
            let ratios = real.designs.filter { $0 != RealPathCostTable.stock }.map { design in
                "\(design) \(real.ratio(design, callPages: pages).map { String(format: "%.2fx", $0) } ?? "-")"
            }
            out.append("  real path per page vs tcp-unaccounted (\(pages)-page calls): \(ratios.joined(separator: ", "))")
        }
        if let cost = report.repeatableCost?.first, let size = cost.sizesKiB.last {
            let ratios = cost.variants.dropFirst().map { variant in
                "\(variant) \(cost.ratio(variant, batch: 32, sizeKiB: size).map { String(format: "%.3fx", $0) } ?? "-")"
            }
            out.append("  icount: cost per page vs unaccounted (32-page batches, \(size / 1024) MiB): \(ratios.joined(separator: ", "))")
        }
        if let real = report.repeatableRealPathCost?.first, real.callPages.contains(32) {
            let ratios = real.designs.filter { $0 != RealPathCostTable.stock }.map { design in
                "\(design) \(real.ratio(design, callPages: 32).map { String(format: "%.3fx", $0) } ?? "-")"
            }
            out.append("  icount: real path per page vs tcp-unaccounted (32-page calls): \(ratios.joined(separator: ", "))")
        }
        for point in report.scale {
            let memory = point.guestMemory.map { ", guest used \(mib($0.peakUsedKiB)) of \(mib($0.totalKiB))" } ?? ""
            out.append("  \(pad(point.run.name, 48)) wall \(seconds(point.run.medianWall))\(memory)\(point.run.passed ? "" : "  (FAILED)")")
        }
        return out.joined(separator: "\n")
    }

    public static func markdown(_ report: BenchmarkReport, command: String) -> String {
        var out = [
            "# zcbench benchmarks", "",
            "Measured \(report.date) on a \(report.host) host, \(report.qemu), TCG, 1 vCPU",
            "unless a lever says otherwise; guest kernel Debian \(report.kernel). Reproduce with:", "",
            "    \(command)", "",
            "(`make bench` runs exactly that.) Times are wall-clock seconds on this host; under TCG",
            "absolute times mean little, so the data-path costs are given as ratios. What the numbers",
            "mean, and why some goals are not met: README.md, \"Benchmarks\".", "",
            "## Goals", "",
            "Each goal with its measure (wall clock on this host, or guest instructions under QEMU's",
            "-icount, section 2) and, where several runs stand behind it, how far apart they were.", "",
            "| goal | target | measured | measure | spread | met |", "| --- | --- | --- | --- | --- | --- |",
        ]
        out += report.goals.map {
            "| \($0.name) | \($0.target) | \(cell($0.measured)) | \($0.measure ?? "-") | \($0.spread ?? "-") | \($0.met ? "yes" : "**no**") |"
        }

        out += ["", "## 1. Time to verdict", "",
                "Each row is one command, timed from the call to the verdict; the phases are zcbench's own",
                "(kernel: the cached kernel's lookup; build: kbuild and the guest programs, skipped when",
                "nothing changed; boot: QEMU start to the guest runner's first result, which includes",
                "firmware, kernel boot, init and the module load, and of that, kernel to /init: the guest",
                "kernel's uptime when /init started; teardown: the last result to QEMU's exit).",
                "Medians of the runs given.", "",
                "| what | command | runs | wall | kernel | build | initramfs | boot | kernel to /init | scenarios | teardown |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for run in report.timeToVerdict + [report.parallelCheck].compactMap({ $0 }) {
            out.append(row(run))
        }
        if let parallel = report.parallelCheck, let differences = report.verdictDifferences {
            out += ["", "`zcbench check` deals each kernel's work (its once-only scenarios, each design of either",
                    "path) to as many QEMUs as the host has cores (\(report.parallelJobs ?? 0) here), each its own boot, by what",
                    "each unit took in its last three runs (the median), the longest first to the least loaded",
                    "part, then evened out by moves and swaps, and merges the parts into one report. Its \(parallel.wall.count) run\(parallel.wall.count == 1 ? "" : "s") against the one-QEMU check: "
                        + (differences.isEmpty ? "every verdict the same." : "\(differences.count) verdicts differ:")]
            out += differences.map { "- \(cell($0))" }
        }
        if let cold = report.coldBuild {
            out += ["", "Building the module and the guest programs from scratch (a fresh output directory, no boot): \(seconds(cold))."]
        }
        if !report.levers.isEmpty {
            out += ["", "### Levers", "",
                    "The single-scenario run again, with one thing changed from the defaults (vmlinux through",
                    "its PVH entry with qboot, `-nodefaults`, no NIC and no option ROM, an uncompressed",
                    "initramfs written in-process, a forced memcg stats flush before each sample, 1 vCPU).",
                    "", "| lever | command | runs | wall | kernel | build | initramfs | boot | kernel to /init | scenarios | teardown |",
                    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
            out += report.levers.map(row)
        }

        out += ["", "## 2. What accounting costs per page", ""]
        out += repeatableSection(report)
        out += ["### Wall clock", ""]
        if let cost = report.cost {
            out += ["`zcpool-cost` in one boot: for each variant, batch size (pages per RECEIVE call) and",
                    "receive size, the time of RECEIVE + munmap + RECLAIM per page (median round; FEED and",
                    "mmap are set-up and not timed), as a ratio to unaccounted at the same batch and size.",
                    "The unaccounted row gives the absolute time under TCG.", ""]
            for batch in cost.batches {
                out += ["#### \(batch)-page batches", ""]
                out += costRows(cost, batch: batch, digits: 2, absolute: { "\(ns($0))/page" }) + [""]
            }
            if let size = cost.sizesKiB.last {
                out += ["Of that, the RECEIVE calls alone (32-page batches, \(sizeLabel(size))):", "",
                        "| variant | RECEIVE | munmap + RECLAIM |", "| --- | --- | --- |"]
                for variant in cost.variants {
                    let key = CostTable.key(variant, 32, size)
                    if let total = cost.nsPerPage[key], let receive = cost.receiveNsPerPage[key] {
                        out.append("| \(variant) | \(ns(receive))/page | \(ns(total - receive))/page |")
                    }
                }
                out.append("")
            }
            if let tcp = cost.tcpNsPerPage {
                out += ["Reference, same guest: TCP_ZEROCOPY_RECEIVE over loopback, time in the getsockopt calls",
                        "plus the final munmap, per page mapped, receiving \(cost.tcpSizeMiB) MiB: \(ns(tcp))/page."]
                if let base = cost.nsPerPage[CostTable.key("unaccounted", 32, cost.sizesKiB.last ?? 0)] {
                    out.append(String(format: "That is %.2fx zcpool's unaccounted receive at 32-page batches.", Double(tcp) / Double(base)))
                }
                out.append("")
            }
        } else {
            out.append("No measurement: the zcpool-cost scenario reported nothing.")
        }
        out += realPathSection(report.realPathCost)

        out += ["## 3. Scale", "",
                "The full matrix (every property) for a receive size and a number of variants, one boot each,",
                "with guest memory of 4 x the size + 512 MiB (at least 1024 MiB) since the pool may hold",
                "twice the receive size. Guest memory used is MemTotal minus the lowest MemAvailable the",
                "guest saw at any cgroup sample.", "",
                "| receive size | variants | guest memory | wall | boot | scenarios | guest memory used | verdict |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for point in report.scale {
            let used = point.guestMemory.map { "\(mib($0.peakUsedKiB)) of \(mib($0.totalKiB))" } ?? "-"
            out.append("| \(point.sizeMiB) MiB | \(point.variants) | \(point.memoryMiB) MiB | \(seconds(point.run.medianWall)) | \(seconds(point.run.median(\.boot))) | \(seconds(point.run.median(\.scenarios))) | \(used) | \(point.run.passed ? "pass" : "FAILED: \(cell(point.run.problems.first ?? ""))") |")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Section 2's repeatable measure: both cost scenarios under -icount.
    static func repeatableSection(_ report: BenchmarkReport) -> [String] {
        var out = ["### Repeatable: guest instructions (QEMU -icount)", ""]
        let cost = report.repeatableCost ?? [], real = report.repeatableRealPathCost ?? []
        guard !cost.isEmpty || !real.isEmpty else { return out + ["Not measured in this run.", ""] }
        out += ["The same two scenarios as below, in one boot under `-icount shift=0,sleep=off`, the guest's",
                "RTC at a fixed date: the guest's clock advances one nanosecond per instruction executed",
                "(and jumps over idle time to the next timer), so a guest ns here counts instructions (and",
                "idle time, of which the timed calls have little) and does not depend on the host's load",
                "or speed. (The date matters: it seeds the guest's randomness, and with the host's date",
                "the ratios moved up to 1.2% between runs; with a fixed one, not at all.) The figures",
                "repeat from run to run of one build, not across builds: work the kernel does on its own",
                "schedule may land in the timed calls of most rounds in one build and of few in another,",
                "up to ~200 instructions per page (README.md, Benchmarks).",
                "Wall-clock ratios under TCG move with the host (three runs of pool-free at",
                "64 MiB once read 1.20x, 1.87x and 2.08x) and weigh each instruction by what TCG makes of",
                "it (atomics and TLB misses cost far more than natively); instruction ratios repeat, but",
                "count an atomic like an add, so neither is the native ratio. Run \(cost.count > 1 || real.count > 1 ? "twice" : "once"); the first run's",
                "ratios are shown and, of two runs, the largest difference between them in each row.", ""]
        if let first = cost.first {
            for batch in first.batches {
                out += ["zcpool, \(batch)-page batches:", ""]
                out += costRows(first, batch: batch, digits: 3, absolute: { "\($0) ns/page" }, second: cost.dropFirst().first) + [""]
            }
        }
        if let first = real.first {
            out += ["The real path (tcp-cost), by pages asked per call:", ""]
            out += realPathRows(first, digits: 3, absolute: { "\($0) ns/page" }, second: real.dropFirst().first)
            out += ["", "Of the first run, the getsockopt calls and the munmap, per page (icount ns):", ""]
            out += breakdownRows(first, format: { "\($0)" }) + [""]
        }
        return out
    }

    /// Section 2's real-path part: each design against the stock kernel, by call size.
    static func realPathSection(_ real: RealPathCostTable?) -> [String] {
        var out = ["", "#### On the real path: TCP_ZEROCOPY_RECEIVE", ""]
        guard let real else {
            return out + ["No measurement: the tcp-cost scenario reported nothing.", ""]
        }
        let stock = RealPathCostTable.stock
        out += ["`tcp-cost` in one boot: the kernel's own TCP_ZEROCOPY_RECEIVE over loopback, \(mib(real.size / 1024))",
                "per transfer from a MSG_ZEROCOPY sender in another cgroup, all of it queued before the",
                "receiver starts (so every call maps the pages it asks for, however fast the design), under",
                "each design of the zctcp livepatch (\(stock): the stock kernel, no livepatch), in rounds",
                "that take the designs in turn. The time of the getsockopt calls plus the munmap after them",
                "(where a charging design's pages are uncharged) per page mapped, median round, as a ratio",
                "to \(stock) at the same call size (pages asked per call). The \(stock) row gives the",
                "absolute time under TCG.", ""]
        out += realPathRows(real, digits: 2, absolute: { "\(ns($0))/page" })
        out += ["", "Of the median round: the getsockopt calls alone, the munmap, the share of the bytes mapped",
                "(the rest read()), the calls, and the rounds measured.", ""]
        out += breakdownRows(real, format: { "\(ns($0))/page" }, extra: [
            ("mapped", { real.mappedPercent[$0].map { "\($0)%" } }),
            ("calls", { real.calls[$0].map(String.init) }),
            ("rounds", { real.rounds[$0].map(String.init) }),
        ])
        return out + [""]
    }

    /// The real path's time per page split in two, a row per design and call size: the
    /// getsockopt calls and the munmap after them, each as `format` writes it, then the
    /// `extra` columns, each a name and its figure for a table key (a missing one written "-").
    static func breakdownRows(_ real: RealPathCostTable, format: (Int64) -> String,
                              extra: [(name: String, figure: (String) -> String?)] = []) -> [String] {
        let header = ["design", "call", "getsockopt", "munmap"] + extra.map(\.name)
        var out = ["| " + header.joined(separator: " | ") + " |",
                   "|" + String(repeating: " --- |", count: header.count)]
        for design in real.designs {
            for pages in real.callPages {
                let key = RealPathCostTable.key(design, pages)
                guard let total = real.nsPerPage[key], let receive = real.receiveNsPerPage[key] else { continue }
                let cells = ["\(design)", "\(pages) pages", format(receive), format(total - receive)]
                    + extra.map { $0.figure(key) ?? "-" }
                out.append("| " + cells.joined(separator: " | ") + " |")
            }
        }
        return out
    }

    /// One batch of a zcpool cost table: unaccounted's figure as `absolute` writes it, each
    /// other variant's ratio to it; with a `second` run, a spread column (the row's largest
    /// difference between the two).
    static func costRows(_ cost: CostTable, batch: Int, digits: Int, absolute: (Int64) -> String,
                         second: CostTable? = nil) -> [String] {
        rows("variant", cost.variants, columns: cost.sizesKiB.map(sizeLabel), second: second?.ratios, ratios: cost.ratios) { variant, column in
            let size = cost.sizesKiB[column]
            return variant == "unaccounted"
                ? (CostTable.key(variant, batch, size), cost.nsPerPage[CostTable.key(variant, batch, size)].map(absolute))
                : (CostTable.key(variant, batch, size),
                   cost.ratio(variant, batch: batch, sizeKiB: size).map { String(format: "%.\(digits)fx", $0) })
        }
    }

    /// A real-path cost table: the stock kernel's figure as `absolute` writes it, each
    /// design's ratio to it, by call size; with a `second` run, a spread column.
    static func realPathRows(_ real: RealPathCostTable, digits: Int, absolute: (Int64) -> String,
                             second: RealPathCostTable? = nil) -> [String] {
        rows("design", real.designs, columns: real.callPages.map { "\($0)-page calls" }, second: second?.ratios,
             ratios: real.ratios) { design, column in
            let key = RealPathCostTable.key(design, real.callPages[column])
            return design == RealPathCostTable.stock
                ? (key, real.nsPerPage[key].map(absolute))
                : (key, real.ratio(design, callPages: real.callPages[column]).map { String(format: "%.\(digits)fx", $0) })
        }
    }

    /// A markdown table of `names` by `columns`, each cell's ratio key and text from `cell`;
    /// with `second`'s ratios, a spread column: the largest difference of the row's ratios.
    static func rows(_ what: String, _ names: [String], columns: [String], second: [String: Double]?, ratios: [String: Double],
                     cell: (String, Int) -> (key: String, text: String?)) -> [String] {
        let spread = second == nil ? [] : ["spread"]
        var out = ["| \(what) | " + (columns + spread).joined(separator: " | ") + " |",
                   "| --- |" + String(repeating: " --- |", count: columns.count + spread.count)]
        for name in names {
            let cells = columns.indices.map { cell(name, $0) }
            let keys = Set(cells.map(\.key))
            let spreadCell = second.map { Spread.of(ratios.filter { keys.contains($0.key) }, $0)?.percent ?? "-" }
            out.append("| \(name) | " + (cells.map { $0.text ?? "-" } + [spreadCell].compactMap { $0 }).joined(separator: " | ") + " |")
        }
        return out
    }

    static func row(_ run: TimedRun) -> String {
        let phases = [\Phases.kernel, \.build, \.initramfs, \.boot, \.kernelToInit, \.scenarios, \.teardown]
            .map { seconds(run.median($0)) }
        let verdict = run.passed ? "" : " (FAILED: \(cell(run.problems.first ?? "")))"
        return "| \(run.name)\(verdict) | `\(run.command)` | \(run.wall.count) | \(seconds(run.medianWall)) | " + phases.joined(separator: " | ") + " |"
    }

    static func sizeLabel(_ kib: Int) -> String { kib >= 1024 ? "\(kib / 1024) MiB" : "\(kib) KiB" }

    static func ns(_ value: Int64) -> String { value >= 10_000 ? String(format: "%.1f us", Double(value) / 1000) : "\(value) ns" }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    static func cell(_ text: String) -> String { ReportFormat.markdownCell(text) }
}
