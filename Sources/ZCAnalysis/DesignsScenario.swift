import ZCGuest

/// `zcpool-variants`: a large receive (64 MiB at least) through every design of the module,
/// each in a cgroup of its own (vm/zcpool_variants.c). The guest checks what holds for every
/// design (all received and verified, back to baseline, the pool's counters back) and
/// reports the numbers; the host judges what depends on the design, against its
/// expectations in the expectations file:
///
/// - charged while mapped: `steady` expected to pass means the design charges mapped pages,
///   so the module's page charges and memory.current must equal the mapped bytes (within
///   the charge batch plus the page tables the mapping needed); otherwise neither grows;
/// - file_mapped while mapped: the same, within the charge batch.
///
/// The charge windows are the matrix's (double-charge, under-charge), read from the cgroup
/// inside a receive call; the module's own peaks, which this receive reports too, judge
/// nothing here.
public struct DesignsScenario: Scenario {
    public let name = "zcpool-variants"

    public init() {}

    /// The suffix of each design's case, in the order they are reported.
    static let guestCases = ["receive", "baseline", "pool-baseline"]

    public func evaluate(_ test: KTAPTest, expectations: ExpectationSet?) -> ScenarioReport {
        var report = GuestChecksScenario(name: name).evaluate(test, expectations: expectations)
        guard report.problem == nil else { return report }
        guard let expectations else {
            report.problem = "no expectations file to judge the designs against"
            return report
        }
        // The designs the guest ran, in its order: each has a `<design>-receive` case.
        let designs = test.subtests.compactMap { subtest -> String? in
            subtest.name.hasSuffix("-receive") ? String(subtest.name.dropLast("-receive".count)) : nil
        }
        var checks: [Check] = []
        for design in designs {
            let own = report.checks.filter { check in Self.guestCases.contains { check.property == "\(design)-\($0)" } }
            let judged = Self.judge(design, MetricReader(metrics: report.metrics), expectations)
            checks += Array(own.prefix(1)) + judged + Array(own.dropFirst())
        }
        report.checks = checks + report.checks.filter { check in !checks.contains(check) }
        return report
    }

    /// The design's two judged checks from its metrics.
    static func judge(_ design: String, _ m: MetricReader, _ expectations: ExpectationSet) -> [Check] {
        let v = { (name: String) in m["\(design).\(name)"] }
        let missing = ["received", "tolerance", "before.memory_current", "mapped.memory_current",
                       "before.file_mapped", "mapped.file_mapped", "before.pagetables", "mapped.pagetables",
                       "module.mapped.charged"]
            .map { "\(design).\($0)" }.filter { m.metrics[$0] == nil } + ["size", "page_size", "nr_cpus"].filter { m.metrics[$0] == nil }
        let unexpected = ["steady"].filter { expectations[design, $0] == nil }
        if !missing.isEmpty || !unexpected.isEmpty {
            let why = missing.isEmpty
                ? "no expectation for \(unexpected.map { "\(design)/\($0)" }.joined(separator: ", ")) in \(expectations.file)"
                : "the guest did not report \(missing.joined(separator: ", "))"
            return ["charged-while-mapped", "file-mapped-while-mapped"].map {
                Check(property: "\(design)-\($0)", expected: .pass, outcome: .crashed, measured: why,
                      condition: "", reason: "the design as the expectations file says")
            }
        }
        let steady = expectations[design, "steady"]!
        let charges = steady.expected == .pass
        let received = v("received"), pages = m["size"] / max(1, m["page_size"]), tolerance = v("tolerance")
        let want = charges ? received : 0
        let pagetables = max(0, v("mapped.pagetables") - v("before.pagetables"))
        let slack = tolerance + pagetables
        let current = v("mapped.memory_current") - v("before.memory_current")
        let fileMapped = v("mapped.file_mapped") - v("before.file_mapped")
        let charged = v("module.mapped.charged")
        let says = "\(expectations.file): \(design)/steady expects \(steady.expected.rawValue)"

        return [
            Check(property: "\(design)-charged-while-mapped", expected: .pass,
                  outcome: .of(holds: charged == (charges ? pages : 0) && abs(current - want) <= slack, expected: .pass),
                  measured: "module charged \(charged) of \(pages) pages; memory.current \(signed(current)) while \(bytes(received)) mapped",
                  condition: "\(charges ? "charged" : "not charged") while mapped: module charges = \(charges ? pages : 0) pages, memory.current delta = \(bytes(want)) +/- \(bytes(slack)) (batch + page tables)",
                  reason: says),
            Check(property: "\(design)-file-mapped-while-mapped", expected: .pass,
                  outcome: .of(holds: abs(fileMapped - want) <= tolerance, expected: .pass),
                  measured: "file_mapped \(signed(fileMapped)) while \(bytes(received)) mapped",
                  condition: "file_mapped delta = \(bytes(want)) +/- \(bytes(tolerance)) (batch)",
                  reason: says),
        ]
    }
}
