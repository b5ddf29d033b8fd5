/// What one accounting property measured in one (variant, scenario) run.
public struct Measurement: Sendable, Equatable {
    public var holds: Bool
    /// The numbers, in words ("+32.0 MiB charged for 32.0 MiB mapped").
    public var measured: String
    /// The condition, with its tolerance spelled out.
    public var condition: String
    /// The figures this property contributes to the review.
    public var figures: [Figure] = []
    /// The one that stands for the cell (in a bisection's steps); default the first.
    public var headline: Figure?
    /// A finding that fails the cell whatever the expectation says: the module's own counts
    /// disagree with the cgroup's, or something is left behind once everything is released.
    /// An expected failure must not hide it.
    public var violation: String?
    /// Metrics the guest should have reported and did not: the cell has no measurement.
    public var missing: [String] = []

    public init(holds: Bool, measured: String, condition: String, figures: [Figure] = [], headline: Figure? = nil,
                violation: String? = nil, missing: [String] = []) {
        self.holds = holds
        self.measured = measured
        self.condition = condition
        self.figures = figures
        self.headline = headline ?? figures.first
        self.violation = violation
        self.missing = missing
    }
}

/// A number that answers a review question, with its unit.
public struct Figure: Sendable, Equatable, Codable {
    public var name: String
    public var value: Int64
    public var unit: String

    public init(name: String, value: Int64, unit: String) {
        self.name = name
        self.value = value
        self.unit = unit
    }
}

/// An accounting property: a scenario's metrics judged against an expectation. Each reads
/// only metrics of its own scenario (docs/matrix-protocol.md), every verdict from the
/// kernel's own files (memory.current, memory.stat, memory.peak, memory.events,
/// cgroup.stat); the module's counters only cross-check. Each states where its tolerance
/// comes from.
public struct AccountingProperty: Sendable {
    public var name: String
    /// Metrics the guest must report; a missing one makes the cell crashed, never passed.
    public var required: [String]
    public var judge: @Sendable (_ m: MetricReader, _ expectation: Expectation) -> Measurement

    /// The properties of the matrix, in column order. Each is measured by the guest
    /// scenario of the same name.
    public static let all: [AccountingProperty] = [
        steady, release, doubleCharge, underCharge, memoryMax, nofailOvershoot, crossCgroup, vmsplicePin, fork, zombie,
        unload,
    ]

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) -> AccountingProperty? { all.first { $0.name == name } }

    static let common = ["page_size", "nr_cpus"]

    /// steady: memory.current and memory.stat of the receiver while `size` stays mapped.
    public static let steady = AccountingProperty(
        name: "steady",
        required: common + ["mapped", "baseline.memory_current", "mapped.memory_current", "baseline.file_mapped", "mapped.file_mapped",
                            "baseline.sock", "mapped.sock", "baseline.kernel", "mapped.kernel"]
    ) { m, expectation in
        let tol = m.tolerance(expectation.tolerance)
        let charged = m.delta("memory_current", from: "baseline", to: "mapped")
        let fileMapped = m.delta("file_mapped", from: "baseline", to: "mapped")
        let tables = m.pageTables(from: "baseline", to: "mapped")
        let sock = m.delta("sock", from: "baseline", to: "mapped")
        let kernel = m.delta("kernel", from: "baseline", to: "mapped") - tables
        let mapped = m["mapped"]
        let category = StatCategory.check(expectation.stat, sock: sock, kernel: kernel, mapped: mapped, tolerance: tol)
        return Measurement(
            holds: charged >= mapped - tol && abs(fileMapped - mapped) <= m["page_size"] && category.holds,
            measured: "memory.current \(signed(charged)), file_mapped \(signed(fileMapped)), sock \(signed(sock)), kernel \(signed(kernel))"
                + (tables != 0 ? " (page tables \(signed(tables)) left out)" : "") + " for \(bytes(mapped)) mapped",
            condition: "memory.current delta >= mapped - \(bytes(tol)) (\(expectation.tolerance)); file_mapped = mapped +/- 1 page"
                + (category.condition.map { "; \($0)" } ?? ""))
    }

    public static let release = AccountingProperty(
        name: "release",
        required: common + ["baseline.memory_current", "released.memory_current", "baseline.file_mapped", "released.file_mapped",
                            "pool.baseline_free", "pool.released_free", "pool.outstanding"]
    ) { m, expectation in
        let tol = m.tolerance(expectation.tolerance)
        let left = m.delta("memory_current", from: "baseline", to: "released")
        let fileMapped = m.delta("file_mapped", from: "baseline", to: "released")
        let pool = m["pool.released_free"] - m["pool.baseline_free"]
        return Measurement(
            holds: abs(left) <= tol && abs(fileMapped) <= m["page_size"] && m["pool.outstanding"] == 0 && pool >= 0,
            measured: "after munmap + RECLAIM: memory.current \(signed(left)), file_mapped \(signed(fileMapped)), pool free \(pool >= 0 ? "+" : "")\(pool) pages, \(m["pool.outstanding"]) pages outstanding",
            condition: "memory.current within \(bytes(tol)) (\(expectation.tolerance)) of baseline, file_mapped within 1 page, pool back, nothing outstanding")
    }

    /// double-charge: at calls of 1 to 64 batches, memory.current inside the call, after the
    /// last batch is inserted and before its unit's socket charge could go (the call stopped
    /// there), against the baseline taken with the pages already queued (socket-charged once).
    public static let doubleCharge = AccountingProperty(
        name: "double-charge", required: common + ["sizes", "stock_drain"]
    ) { m, expectation in
        CallSweep(m, point: "inserted", counter: "double", sign: 1).judge(expectation, figure: "double charge")
    }

    /// under-charge: the same calls, stopped once the call's consumed units are released and
    /// before a late charge: baseline minus memory.current.
    public static let underCharge = AccountingProperty(
        name: "under-charge", required: common + ["sizes", "stock_drain"]
    ) { m, expectation in
        CallSweep(m, point: "released", counter: "under", sign: -1).judge(expectation, figure: "under-charge window")
    }

    /// memory-max: a receive into a cgroup at its memory.max, socket and receiver in it. It
    /// holds when the limit holds, what is mapped stays within it, no memcg OOM is invoked,
    /// and a charge that fails says so with a skip hint rather than failing the call.
    public static let memoryMax = AccountingProperty(
        name: "memory-max",
        required: common + ["size", "mapped", "copied", "dropped", "memory_max", "baseline.memory_current", "peak.memory_peak",
                            "max_mapped", "skip_hints", "receive_enomem", "events.max", "events.oom"]
    ) { m, _ in
        let overshoot = max(0, m["peak.memory_peak"] - m["memory_max"])
        let limit = m["memory_max"] - m["baseline.memory_current"]
        let whole = m["mapped"] + m["copied"] + m["dropped"] == m["size"]
        return Measurement(
            holds: overshoot == 0 && m["max_mapped"] <= limit && m["events.oom"] == 0 && m["receive_enomem"] == 0 && whole,
            measured: "peak \(bytes(m["peak.memory_peak"])) against memory.max \(bytes(m["memory_max"])) (overshoot \(bytes(overshoot))); at most \(bytes(m["max_mapped"])) mapped at once against a limit of \(bytes(limit)); \(bytes(m["mapped"])) mapped, \(bytes(m["copied"])) copied after \(m["skip_hints"]) skip hints and \(m["receive_enomem"]) failed RECEIVEs, \(bytes(m["dropped"])) refused at FEED; memory.events max +\(m["events.max"]), oom +\(m["events.oom"])",
            condition: "memory.peak <= memory.max; what is mapped stays within the limit; no memcg OOM; no RECEIVE fails (a failed charge returns a skip hint); every byte mapped, copied or refused at FEED",
            figures: [Figure(name: "RECEIVE calls failed at memory.max", value: m["receive_enomem"], unit: "calls")])
    }

    /// nofail-overshoot: the socket's cgroup is not the receiver's, another process FEEDs,
    /// the receiver's cgroup is at its memory.max: does a charge force it past the limit?
    public static let nofailOvershoot = AccountingProperty(
        name: "nofail-overshoot",
        required: common + ["size", "mapped", "copied", "fed", "memory_max", "peak.memory_peak", "events.max", "events.oom",
                            "receive_enomem"]
    ) { m, _ in
        let overshoot = max(0, m["peak.memory_peak"] - m["memory_max"])
        return Measurement(
            holds: overshoot == 0,
            measured: "the receiver's cgroup peaked at \(bytes(m["peak.memory_peak"])) against memory.max \(bytes(m["memory_max"])) (overshoot \(bytes(overshoot))); \(bytes(m["mapped"])) mapped, \(bytes(m["copied"])) copied of \(bytes(m["fed"])) fed by another cgroup's process, \(m["receive_enomem"]) failed RECEIVEs; memory.events max +\(m["events.max"]), oom +\(m["events.oom"])",
            condition: "memory.peak <= memory.max of the receiver's cgroup (the page counter allows no excess but a forced charge)",
            figures: [Figure(name: "NOFAIL overshoot above memory.max", value: overshoot, unit: "bytes")])
    }

    public static let crossCgroup = AccountingProperty(
        name: "cross-cgroup",
        required: common + ["mapped", "a.baseline.memory_current", "a.released.memory_current",
                            "b.baseline.memory_current", "b.mapped.memory_current", "mod.recycles"]
    ) { m, expectation in
        let tol = m.tolerance(expectation.tolerance)
        let aLeft = m["a.released.memory_current"] - m["a.baseline.memory_current"]
        let bCharged = m["b.mapped.memory_current"] - m["b.baseline.memory_current"]
        return Measurement(
            holds: abs(aLeft) <= tol && bCharged >= m["mapped"] - tol && m["mod.recycles"] > 0,
            measured: "A \(signed(aLeft)) after release; B \(signed(bCharged)) for \(bytes(m["mapped"])) mapped from \(m["mod.recycles"]) recycled pages",
            condition: "A within \(bytes(tol)) (\(expectation.tolerance)) of baseline; B charged >= mapped - \(bytes(tol)); pages were recycled")
    }

    public static let vmsplicePin = AccountingProperty(
        name: "vmsplice-pin",
        required: common + ["pinned", "baseline.memory_current", "pinned.memory_current"]
    ) { m, expectation in
        let tol = m.tolerance(expectation.tolerance)
        let charged = m["pinned.memory_current"] - m["baseline.memory_current"]
        let escaped = max(0, m["pinned"] - charged)
        return Measurement(
            holds: charged >= m["pinned"] - tol,
            measured: "\(bytes(m["pinned"])) pinned in pipes after munmap, memory.current \(signed(charged)): \(bytes(escaped)) escaped",
            condition: "charged while pinned >= pinned - \(bytes(tol)) (\(expectation.tolerance))",
            figures: [Figure(name: "bytes escaped after vmsplice", value: escaped, unit: "bytes")])
    }

    public static let fork = AccountingProperty(
        name: "fork",
        required: common + ["mapped", "baseline.memory_current", "child_holds.memory_current", "released.memory_current"]
    ) { m, expectation in
        let tol = m.tolerance(expectation.tolerance)
        let held = m["child_holds.memory_current"] - m["baseline.memory_current"]
        let left = m["released.memory_current"] - m["baseline.memory_current"]
        return Measurement(
            holds: held >= m["mapped"] - tol && abs(left) <= tol,
            measured: "\(signed(held)) while only the child maps \(bytes(m["mapped"])); \(signed(left)) after it exits",
            condition: "charged until the last unmap (>= mapped - \(bytes(tol)), \(expectation.tolerance)), then back to baseline")
    }

    /// zombie: the receiver's cgroup removed while another cgroup's process still maps its
    /// pages; cgroup.stat's nr_dying_descendants of the parent, then after the last unmap.
    public static let zombie = AccountingProperty(
        name: "zombie",
        required: common + ["dying.held", "held_ms", "dying_final", "wait_ms"]
    ) { m, _ in
        Measurement(
            holds: m["dying.held"] == 0 && m["dying_final"] == 0,
            measured: "\(m["dying.held"]) dying memcgs \(m["held_ms"]) ms after rmdir while another cgroup maps the pages; \(m["dying_final"]) left \(m["wait_ms"]) ms after it unmaps",
            condition: "nr_dying_descendants back to 0 within 0.5 s of the rmdir, pages still mapped elsewhere",
            figures: [Figure(name: "zombie memcgs while mapped elsewhere", value: m["dying.held"], unit: "memcgs")],
            violation: m["dying_final"] == 0 ? nil
                : "\(m["dying_final"]) memcgs still dying \(m["wait_ms"]) ms after every page was released: a memcg is leaked")
    }

    /// unload: rmmod while a pipe pins received pages, then the pipe closed.
    public static let unload = AccountingProperty(
        name: "unload",
        required: common + ["pinned", "rmmod_errno", "baseline.memory_current", "unloaded.memory_current",
                            "released.memory_current"]
    ) { m, expectation in
        let tol = m.tolerance(expectation.tolerance)
        let charged = m["unloaded.memory_current"] - m["baseline.memory_current"]
        let left = m["released.memory_current"] - m["baseline.memory_current"]
        let escaped = max(0, m["pinned"] - charged)
        var violations: [String] = []
        if m["rmmod_errno"] != 0 { violations.append("rmmod refused with errno \(m["rmmod_errno"]) while a pipe pinned pages") }
        if abs(left) > tol { violations.append("memory.current \(signed(left)) once the pipes closed: a charge outlived every page") }
        return Measurement(
            holds: m["rmmod_errno"] == 0 && charged >= m["pinned"] - tol,
            measured: "rmmod errno \(m["rmmod_errno"]) with \(bytes(m["pinned"])) pinned: memory.current \(signed(charged)) after the unload (\(bytes(escaped)) escaped), \(signed(left)) once the pipes closed",
            condition: "the pinned pages stay charged after rmmod (>= pinned - \(bytes(tol)), \(expectation.tolerance)); back to baseline once released",
            figures: [Figure(name: "bytes escaped at unload", value: escaped, unit: "bytes")],
            violation: violations.isEmpty ? nil : violations.joined(separator: "; "))
    }
}

/// Metrics of one scenario, read by name; only used after the required ones were checked.
public struct MetricReader: Sendable {
    public var metrics: Metrics

    public subscript(name: String) -> Int64 { metrics[name] ?? 0 }

    func tolerance(_ tolerance: Tolerance) -> Int64 {
        tolerance.bytes(pageSize: self["page_size"], cpus: self["nr_cpus"])
    }

    /// `<to>.<key>` minus `<from>.<key>`.
    func delta(_ key: String, from: String, to: String) -> Int64 {
        self["\(to).\(key)"] - self["\(from).\(key)"]
    }

    /// The page tables allocated between two samples (memory.stat `pagetables`, part of
    /// `kernel` and of memory.current): a mapping's own cost, a page per 2 MiB mapped, not a
    /// charge of the pages. 0 where the samples have none (captures from before it was read).
    func pageTables(from: String, to: String) -> Int64 {
        guard let end = metrics["\(to).pagetables"], let start = metrics["\(from).pagetables"] else { return 0 }
        return end - start
    }
}

/// Which memory.stat key a design's page charge shows up in while the pages are mapped
/// (the expectations file's `stat:`): `kernel` (the kmem API), `sock` (socket memory) or
/// `none` (the page counter alone, memory.current only).
enum StatCategory {
    static func check(_ stat: String?, sock: Int64, kernel: Int64, mapped: Int64,
                      tolerance: Int64) -> (holds: Bool, condition: String?) {
        switch stat {
        case "kernel":
            return (kernel >= mapped - tolerance && abs(sock) <= tolerance,
                    "the charge shows as kernel (>= mapped - \(bytes(tolerance))), sock unchanged")
        case "sock":
            return (sock >= mapped - tolerance && abs(kernel) <= tolerance,
                    "the charge shows as sock (>= mapped - \(bytes(tolerance))), kernel unchanged")
        case "none":
            return (abs(sock) <= tolerance && abs(kernel) <= tolerance, "neither sock nor kernel moves (page counter only)")
        default:
            return (true, nil)
        }
    }
}
