import Foundation
import ZCGuest

/// `tcp-zerocopy`: the real kernel TCP path. A receiver in its own memory cgroup maps
/// loopback data with TCP_ZEROCOPY_RECEIVE from a MSG_ZEROCOPY sender; the cgroup is read
/// before, while the pages are mapped, and after munmap.
///
/// On stock kernels mapped pages carry no charge once the skb is consumed: the properties
/// that say they are charged are *expected to fail*. If they held, the hole was not seen
/// and the scenario fails, as it does when too little was mapped to tell.
public struct TCPZerocopyScenario: Scenario {
    public let name = "tcp-zerocopy"

    /// Below this share of the bytes mapped, the receive did not exercise zero-copy.
    public static let minimumMappedRatio = 0.80
    /// memcg charges in per-cpu batches of 64 pages (MEMCG_CHARGE_BATCH); the kernel's
    /// test_kmem.c allows exactly this much between memory.current and the truth.
    public static let chargeBatchPages: Int64 = 64

    public init() {}

    static let required = ["size", "mapped", "copied", "page_size", "nr_cpus",
                           "before.memory_current", "mapped.memory_current", "after.memory_current",
                           "before.file_mapped", "mapped.file_mapped", "after.file_mapped",
                           "before.sock", "mapped.sock", "before.kernel", "mapped.kernel"]

    public func evaluate(_ test: KTAPTest, expectations: ExpectationSet?) -> ScenarioReport {
        let metrics = Metrics(test.metrics)
        var report = ScenarioReport(scenario: name, metrics: metrics, checks: ScenarioReport.guestChecks(test))
        if test.result == .missing {
            report.problem = "the scenario did not finish (no KTAP result line)"
            return report
        }
        let missing = Self.required.filter { metrics[$0] == nil }
        guard missing.isEmpty else {
            report.problem = "the guest did not report \(missing.joined(separator: ", "))"
            return report
        }
        let m = { (key: String) in metrics[key]! }
        let size = m("size"), mapped = m("mapped"), page = m("page_size")
        let tolerance = Self.chargeBatchPages * m("nr_cpus") * page
        let charged = m("mapped.memory_current") - m("before.memory_current")
        let fileMapped = m("mapped.file_mapped") - m("before.file_mapped")
        let ratio = size > 0 ? Double(mapped) / Double(size) : 0

        report.checks.append(Check(
            property: "zerocopy-mapped", expected: .pass,
            outcome: .of(holds: ratio >= Self.minimumMappedRatio, expected: .pass),
            measured: "\(bytes(mapped)) of \(bytes(size)) mapped (\(percent(ratio)))",
            condition: "mapped >= \(percent(Self.minimumMappedRatio)) of size",
            reason: "without zero-copy mapping the accounting numbers mean nothing"))
        report.checks.append(Check(
            property: "mapped-charged", expected: .fail,
            outcome: .of(holds: charged >= mapped - tolerance, expected: .fail),
            measured: "memory.current \(signed(charged)) while \(bytes(mapped)) mapped",
            condition: "memory.current delta >= mapped - \(bytes(tolerance)) (64 pages x \(m("nr_cpus")) cpu charge batching)",
            reason: "upstream hole: once the skb is consumed, mapped pages are charged to nobody"))
        report.checks.append(Check(
            property: "file-mapped-charged", expected: .fail,
            outcome: .of(holds: fileMapped >= mapped - tolerance, expected: .fail),
            measured: "file_mapped \(signed(fileMapped)) while \(bytes(mapped)) mapped",
            condition: "file_mapped delta >= mapped - \(bytes(tolerance))",
            reason: "upstream hole: the pages carry no memcg, so rmap counts them in no cgroup"))
        return report
    }
}

/// Bytes in the unit a reader wants: "30.0 MiB", "512 KiB", "123 B".
public func bytes(_ value: Int64) -> String {
    let magnitude = Double(abs(value))
    let sign = value < 0 ? "-" : ""
    if magnitude >= 1_048_576 { return sign + String(format: "%.1f MiB", magnitude / 1_048_576) }
    if magnitude >= 1024 { return sign + String(format: "%.0f KiB", magnitude / 1024) }
    return "\(value) B"
}

public func signed(_ value: Int64) -> String { value >= 0 ? "+" + bytes(value) : bytes(value) }

public func percent(_ ratio: Double) -> String { String(format: "%.1f%%", ratio * 100) }
