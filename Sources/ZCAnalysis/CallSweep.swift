/// The charge windows of one receive call, read from the cgroup inside the call.
///
/// The guest's double-charge and under-charge scenarios receive in single calls of
/// `size.<i>` batches (1 to 64), each with the pages queued (socket-charged once) before the
/// baseline, and stop the call at a pause point of the module (after the last batch is
/// inserted, or once the consumed units are released) to read memory.current there, the
/// per-cpu charge stock drained first where the module can (`stock_drain`). What
/// memory.current shows beyond the baseline (double charge) or below it (under-charge) is
/// the window; the module's own count at the stop must agree with it.
struct CallSweep {
    var m: MetricReader
    /// `inserted` or `released`: the stop the readings were taken at.
    var point: String
    /// `double` or `under`: the module's counter at the stop.
    var counter: String
    /// +1: memory.current above the baseline counts; -1: below.
    var sign: Int64

    init(_ m: MetricReader, point: String, counter: String, sign: Int64) {
        self.m = m
        self.point = point
        self.counter = counter
        self.sign = sign
    }

    /// Batches per call, in the order measured.
    var sizes: [Int64] { (0..<max(0, m["sizes"])).map { m["size.\($0)"] } }

    /// The metrics each call size needs.
    var required: [String] {
        sizes.flatMap { n in ["b\(n).baseline.memory_current", "b\(n).\(point).memory_current", "b\(n).mod.\(counter)"] }
    }

    /// Page tables the call allocated, in bytes: the first page inserted into a 2 MiB range
    /// without one takes a page-table page, charged to the cgroup (memory.stat `pagetables`).
    /// The mapping's own cost, not a charge of the pages: left out of the window. 0 where the
    /// samples have no `pagetables` (captures from before it was read).
    func pageTables(_ n: Int64) -> Int64 {
        m.pageTables(from: "b\(n).baseline", to: "b\(n).\(point)")
    }

    /// The window at calls of `n` batches, in pages, from memory.current without the page
    /// tables the call allocated (nearest page).
    func cgroup(_ n: Int64) -> Int64 {
        let bytes = sign * (m["b\(n).\(point).memory_current"] - m["b\(n).baseline.memory_current"] - pageTables(n))
        let page = max(1, m["page_size"])
        return (bytes + (bytes >= 0 ? page / 2 : -page / 2)) / page
    }

    /// How far the module's count may be from the cgroup's, in pages: a page or two of
    /// other kernel memory when the per-cpu stock was drained before each reading, else the
    /// stock itself (64 pages a CPU).
    var crossCheckPages: Int64 {
        m["stock_drain"] == 1 ? 2 : Tolerance.batchPagesPerCPU * max(1, m["nr_cpus"])
    }

    /// Says how many page-table pages were left out, if any.
    var tablesNote: String {
        let pages = sizes.map { pageTables($0) / max(1, m["page_size"]) }
        return pages.allSatisfy { $0 == 0 } ? "" : " (page tables left out: \(pages.map(String.init).joined(separator: "/")) pages)"
    }

    func judge(_ expectation: Expectation, figure name: String) -> Measurement {
        let missing = (sizes.isEmpty ? ["size.0"] : []) + required.filter { m.metrics[$0] == nil }
        guard missing.isEmpty else {
            return Measurement(holds: false, measured: "", condition: "", missing: missing)
        }
        let bound = expectation.tolerance.pages(pageSize: m["page_size"], cpus: m["nr_cpus"])
        let cgroup = sizes.map(cgroup)
        let module = sizes.map { m["b\($0).mod.\(counter)"] }
        let disagree = zip(cgroup, module).contains { abs($0 - $1) > crossCheckPages }
        let list = { (values: [Int64]) in values.map(String.init).joined(separator: "/") }
        let calls = list(sizes)
        let figures = zip(sizes, cgroup).map { n, value in
            Figure(name: "\(name) at \(n)-batch calls", value: value, unit: "pages")
        }
        return Measurement(
            holds: (cgroup.max() ?? 0) <= bound,
            measured: "memory.current at the stop (\(point)), calls of \(calls) batches: \(list(cgroup)) pages \(sign > 0 ? "above" : "below") the baseline\(tablesNote); the module counts \(list(module))",
            condition: "\(name) <= \(bound) pages (\(expectation.tolerance)) at every call size; the module's count within \(crossCheckPages) pages of the cgroup's (per-cpu stock \(m["stock_drain"] == 1 ? "drained" : "not drained") before each reading)",
            figures: figures,
            headline: zip(sizes, figures).max { $0.0 < $1.0 }?.1,
            violation: disagree
                ? "the module counts \(list(module)) pages where memory.current shows \(list(cgroup)): its counters disagree with the cgroup's"
                : nil)
    }
}
