import ZCGuest

/// `module-ibt-check`: zcpool loaded with `ibt_check=1`, which checks, as when IBT is on,
/// that every function the module calls through a pointer starts with ENDBR (QEMU's TCG
/// has no CET, so the guest cannot turn IBT on; the parameter forces the check). On
/// Debian's kernels the unexported memcg functions have no ENDBR (6.1 is built without
/// IBT, 6.12 seals them), so the module must refuse to load, naming them, and must load
/// without the check.
public struct IBTCheckScenario: Scenario {
    public let name = "module-ibt-check"

    /// ENOEXEC: the module's "refusing to load".
    static let refusal: Int64 = 8

    public init() {}

    public func evaluate(_ test: KTAPTest, expectations: ExpectationSet?) -> ScenarioReport {
        var report = GuestChecksScenario(name: name).evaluate(test, expectations: expectations)
        guard report.problem == nil else { return report }
        let m = report.metrics
        guard let forced = m["forced.load_errno"], let refused = m["forced.refused_symbols"],
              let plain = m["plain.load_errno"] else {
            report.problem = "the guest did not report forced.load_errno, forced.refused_symbols and plain.load_errno"
            return report
        }
        let marker = "refusing to load: "
        let named = ([test] + test.subtests).flatMap(\.diagnostics).compactMap { line -> String? in
            guard line.hasPrefix("kernel: "), let range = line.range(of: marker) else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        report.checks.append(Check(
            property: "refuses-without-endbr", expected: .pass,
            outcome: .of(holds: forced == Self.refusal && refused > 0 && named.count == refused, expected: .pass),
            measured: "load with ibt_check=1: errno \(forced); \(refused) functions named: \(named.joined(separator: ", "))",
            condition: "the load fails with ENOEXEC and the module names each function without ENDBR",
            reason: "a call through a pointer into a function without ENDBR traps when IBT is on: refuse rather than oops"))
        report.checks.append(Check(
            property: "loads-without-check", expected: .pass, outcome: .of(holds: plain == 0, expected: .pass),
            measured: "load without it: errno \(plain)", condition: "the module loads when IBT is off and the check is not forced",
            reason: "the bench boots with ibt=off"))
        return report
    }
}
