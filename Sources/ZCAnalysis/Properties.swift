/// What one accounting property measured in one (variant, scenario) run.
public struct Measurement: Sendable, Equatable {
    public var holds: Bool
    /// The numbers, in words ("+32.0 MiB charged for 32.0 MiB mapped").
    public var measured: String
    /// The condition, with its tolerance spelled out.
    public var condition: String
    /// The figure this property contributes to the review, if any.
    public var figure: Figure?
}

/// A number that answers a review question, with its unit.
public struct Figure: Sendable, Equatable, Codable {
    public var name: String
    public var value: Int64
    public var unit: String
}

/// An accounting property: a scenario's metrics judged against a bound. Each reads only
/// metrics of its own scenario (docs/matrix-protocol.md) and states where its tolerance
/// comes from.
public struct AccountingProperty: Sendable {
    public var name: String
    /// Metrics the guest must report; a missing one makes the cell crashed, never passed.
    public var required: [String]
    public var judge: @Sendable (_ m: MetricReader, _ tolerance: Tolerance) -> Measurement

    /// The properties of the matrix, in column order. Each is measured by the guest
    /// scenario of the same name.
    public static let all: [AccountingProperty] = [
        steady, release, doubleCharge, underCharge, memoryMax, crossCgroup, vmsplicePin, fork, zombie, isolation, unload,
    ]

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) -> AccountingProperty? { all.first { $0.name == name } }

    static let common = ["page_size", "nr_cpus"]

    public static let steady = AccountingProperty(
        name: "steady",
        required: common + ["mapped", "baseline.memory_current", "mapped.memory_current", "baseline.file_mapped", "mapped.file_mapped"]
    ) { m, tolerance in
        let tol = m.tolerance(tolerance)
        let charged = m["mapped.memory_current"] - m["baseline.memory_current"]
        let fileMapped = m["mapped.file_mapped"] - m["baseline.file_mapped"]
        let mapped = m["mapped"]
        return Measurement(
            holds: charged >= mapped - tol && abs(fileMapped - mapped) <= m["page_size"],
            measured: "memory.current \(signed(charged)), file_mapped \(signed(fileMapped)) for \(bytes(mapped)) mapped",
            condition: "memory.current delta >= mapped - \(bytes(tol)) (\(tolerance)); file_mapped = mapped +/- 1 page",
            figure: nil)
    }

    public static let release = AccountingProperty(
        name: "release",
        required: common + ["baseline.memory_current", "released.memory_current", "baseline.file_mapped", "released.file_mapped",
                            "pool.baseline_free", "pool.released_free", "pool.outstanding"]
    ) { m, tolerance in
        let tol = m.tolerance(tolerance)
        let left = m["released.memory_current"] - m["baseline.memory_current"]
        let fileMapped = m["released.file_mapped"] - m["baseline.file_mapped"]
        let pool = m["pool.released_free"] - m["pool.baseline_free"]
        return Measurement(
            holds: abs(left) <= tol && abs(fileMapped) <= m["page_size"] && m["pool.outstanding"] == 0 && pool >= 0,
            measured: "after munmap + RECLAIM: memory.current \(signed(left)), file_mapped \(signed(fileMapped)), pool free \(pool >= 0 ? "+" : "")\(pool) pages, \(m["pool.outstanding"]) pages outstanding",
            condition: "memory.current within \(bytes(tol)) (\(tolerance)) of baseline, file_mapped within 1 page, pool back, nothing outstanding",
            figure: nil)
    }

    public static let doubleCharge = AccountingProperty(
        name: "double-charge",
        required: common + ["mod.double_peak", "peak_excess"]
    ) { m, tolerance in
        let page = m["page_size"]
        let bound = tolerance.pages(pageSize: page, cpus: m["nr_cpus"])
        let peak = m["mod.double_peak"]
        // Cross-check: what memory.current showed above mapped + queued can exceed the
        // module's count only by memcg's per-cpu charge batch.
        let batch = Tolerance.batch.bytes(pageSize: page, cpus: m["nr_cpus"])
        let consistent = m["peak_excess"] <= peak * page + batch
        return Measurement(
            holds: peak <= bound && consistent,
            measured: "peak \(peak) pages charged twice (module); memory.current peaked \(signed(m["peak_excess"])) above mapped + queued\(consistent ? "" : " - INCONSISTENT with the module's count")",
            condition: "double charge <= \(bound) pages (\(tolerance)); memory.current excess <= module peak + \(bytes(batch)) (batch)",
            figure: Figure(name: "double charge per batch", value: peak, unit: "pages"))
    }

    public static let underCharge = AccountingProperty(
        name: "under-charge",
        required: common + ["mod.under_peak", "min_margin"]
    ) { m, tolerance in
        let page = m["page_size"]
        let bound = tolerance.pages(pageSize: page, cpus: m["nr_cpus"])
        let peak = m["mod.under_peak"]
        let batch = Tolerance.batch.bytes(pageSize: page, cpus: m["nr_cpus"])
        let consistent = m["min_margin"] >= -(peak * page + batch)
        return Measurement(
            holds: peak <= bound && consistent,
            measured: "peak \(peak) pages mapped and charged to nobody (module); memory.current minus mapped fell to \(signed(m["min_margin"]))\(consistent ? "" : " - INCONSISTENT with the module's count")",
            condition: "under-charge <= \(bound) pages (\(tolerance)); memory.current - mapped >= -(module peak + \(bytes(batch)))",
            figure: Figure(name: "under-charge window", value: peak, unit: "pages"))
    }

    public static let memoryMax = AccountingProperty(
        name: "memory-max",
        required: common + ["size", "mapped", "copied", "memory_max", "peak.memory_peak", "skip_hints", "events.max"]
    ) { m, _ in
        let overshoot = max(0, m["peak.memory_peak"] - m["memory_max"])
        let partial = m["mapped"] < m["size"] && m["skip_hints"] > 0 && m["mapped"] + m["copied"] == m["size"]
        return Measurement(
            holds: overshoot == 0 && partial && m["events.max"] > 0,
            measured: "peak \(bytes(m["peak.memory_peak"])) against memory.max \(bytes(m["memory_max"])) (overshoot \(bytes(overshoot))); \(bytes(m["mapped"])) mapped, \(bytes(m["copied"])) copied after \(m["skip_hints"]) skip hints; memory.events max +\(m["events.max"])",
            condition: "memory.peak <= memory.max (the page counter allows no excess but a forced charge); a partial receive with skip hints; max events counted",
            figure: Figure(name: "NOFAIL overshoot above memory.max", value: overshoot, unit: "bytes"))
    }

    public static let crossCgroup = AccountingProperty(
        name: "cross-cgroup",
        required: common + ["mapped", "a.baseline.memory_current", "a.released.memory_current",
                            "b.baseline.memory_current", "b.mapped.memory_current", "mod.recycles"]
    ) { m, tolerance in
        let tol = m.tolerance(tolerance)
        let aLeft = m["a.released.memory_current"] - m["a.baseline.memory_current"]
        let bCharged = m["b.mapped.memory_current"] - m["b.baseline.memory_current"]
        return Measurement(
            holds: abs(aLeft) <= tol && bCharged >= m["mapped"] - tol && m["mod.recycles"] > 0,
            measured: "A \(signed(aLeft)) after release; B \(signed(bCharged)) for \(bytes(m["mapped"])) mapped from \(m["mod.recycles"]) recycled pages",
            condition: "A within \(bytes(tol)) (\(tolerance)) of baseline; B charged >= mapped - \(bytes(tol)); pages were recycled",
            figure: nil)
    }

    public static let vmsplicePin = AccountingProperty(
        name: "vmsplice-pin",
        required: common + ["pinned", "baseline.memory_current", "pinned.memory_current"]
    ) { m, tolerance in
        let tol = m.tolerance(tolerance)
        let charged = m["pinned.memory_current"] - m["baseline.memory_current"]
        let escaped = max(0, m["pinned"] - charged)
        return Measurement(
            holds: charged >= m["pinned"] - tol,
            measured: "\(bytes(m["pinned"])) pinned in pipes after munmap, memory.current \(signed(charged)): \(bytes(escaped)) escaped",
            condition: "charged while pinned >= pinned - \(bytes(tol)) (\(tolerance))",
            figure: Figure(name: "bytes escaped after vmsplice", value: escaped, unit: "bytes"))
    }

    public static let fork = AccountingProperty(
        name: "fork",
        required: common + ["mapped", "baseline.memory_current", "child_holds.memory_current", "released.memory_current"]
    ) { m, tolerance in
        let tol = m.tolerance(tolerance)
        let held = m["child_holds.memory_current"] - m["baseline.memory_current"]
        let left = m["released.memory_current"] - m["baseline.memory_current"]
        return Measurement(
            holds: held >= m["mapped"] - tol && abs(left) <= tol,
            measured: "\(signed(held)) while only the child maps \(bytes(m["mapped"])); \(signed(left)) after it exits",
            condition: "charged until the last unmap (>= mapped - \(bytes(tol)), \(tolerance)), then back to baseline",
            figure: nil)
    }

    public static let zombie = AccountingProperty(
        name: "zombie",
        required: common + ["dying_final", "wait_ms"]
    ) { m, _ in
        Measurement(
            holds: m["dying_final"] == 0,
            measured: "\(m["dying_final"]) dying memcgs left after \(m["wait_ms"]) ms",
            condition: "nr_dying_descendants back to 0 within 10 s",
            figure: Figure(name: "zombie memcgs left", value: m["dying_final"], unit: "memcgs"))
    }

    public static let isolation = AccountingProperty(
        name: "isolation",
        required: common + ["pages_checked", "foreign_pages"]
    ) { m, _ in
        Measurement(
            holds: m["pages_checked"] > 0 && m["foreign_pages"] == 0,
            measured: "\(m["foreign_pages"]) of \(m["pages_checked"]) recycled pages showed another queue's bytes",
            condition: "no page shows a previous consumer's payload",
            figure: nil)
    }

    public static let unload = AccountingProperty(
        name: "unload",
        required: common + ["rmmod_errno", "baseline.memory_current", "unloaded.memory_current"]
    ) { m, tolerance in
        let tol = m.tolerance(tolerance)
        let left = m["unloaded.memory_current"] - m["baseline.memory_current"]
        return Measurement(
            holds: m["rmmod_errno"] == 0 && abs(left) <= tol,
            measured: "rmmod errno \(m["rmmod_errno"]); memory.current \(signed(left)) after unload",
            condition: "rmmod succeeds and leaves no charge (within \(bytes(tol)), \(tolerance))",
            figure: nil)
    }
}

/// Metrics of one scenario, read by name; only used after the required ones were checked.
public struct MetricReader: Sendable {
    public var metrics: Metrics

    public subscript(name: String) -> Int64 { metrics[name] ?? 0 }

    func tolerance(_ tolerance: Tolerance) -> Int64 {
        tolerance.bytes(pageSize: self["page_size"], cpus: self["nr_cpus"])
    }
}
