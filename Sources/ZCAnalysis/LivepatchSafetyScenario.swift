import ZCGuest

/// `livepatch-safety`: loads of the zctcp livepatch that must be refused, each leaving the
/// kernel unpatched and saying why (vm/tcp/safety.c): built for another kernel (build ID),
/// the stock kernel's own design, and the ENDBR check of IBT forced on. Then a plain load
/// must patch and be removed. The guest's cases say each load was refused and nothing left
/// loaded; these checks add the errno and the livepatch's own words.
public struct LivepatchSafetyScenario: Scenario {
    public let name = "livepatch-safety"

    static let enoexec: Int64 = 8
    static let einval: Int64 = 22

    /// Each refusal: its case, the errno it must fail with, what its lines must say.
    static let refusals: [(name: String, errno: Int64, says: String, reason: String)] = [
        ("build-id", enoexec, "refusing to load: built for the kernel with build ID 000",
         "a livepatch copies one kernel's function: on any other kernel it would replace code it was not checked against"),
        ("stock", einval, "tcp-unaccounted is the stock kernel",
         "the stock kernel's design is the kernel without the patch"),
        ("ibt-check", enoexec, "has no ENDBR and IBT is on",
         "a call through a pointer into a function without ENDBR traps when IBT is on: refuse rather than oops"),
    ]

    public init() {}

    public func evaluate(_ test: KTAPTest, expectations: ExpectationSet?) -> ScenarioReport {
        var report = GuestChecksScenario(name: name).evaluate(test, expectations: expectations)
        guard report.problem == nil else { return report }
        let lines = ([test] + test.subtests).flatMap(\.diagnostics).filter { $0.hasPrefix("kernel: ") }
        for refusal in Self.refusals {
            guard let errno = report.metrics["\(refusal.name).load_errno"], let count = report.metrics["\(refusal.name).lines"] else {
                report.problem = "the guest did not report \(refusal.name).load_errno and \(refusal.name).lines"
                return report
            }
            let said = lines.first { $0.contains(refusal.says) }
            report.checks.append(Check(
                property: "\(refusal.name)-says-why", expected: .pass,
                outcome: .of(holds: errno == refusal.errno && count > 0 && said != nil, expected: .pass),
                measured: "errno \(errno); \(said.map { "\"\($0.dropFirst(8))\"" } ?? "no line saying why")",
                condition: "the load fails with errno \(refusal.errno) and the livepatch says \"\(refusal.says)...\"",
                reason: refusal.reason))
        }
        return report
    }
}
