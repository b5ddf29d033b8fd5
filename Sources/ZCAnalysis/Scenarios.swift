import ZCGuest

/// The metrics a scenario reported, with typed access and a clear error for a missing one.
public struct Metrics: Sendable, Equatable, Codable {
    public var values: [String: Int64]

    public init(_ values: [String: Int64]) { self.values = values }

    public subscript(name: String) -> Int64? { values[name] }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: Int64].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}

/// The result of one scenario on one kernel: its guest checks, its properties against
/// expectations, and the raw metrics every figure comes from.
public struct ScenarioReport: Sendable, Codable, Equatable {
    public var scenario: String
    public var metrics: Metrics
    /// Each guest-side check (KTAP case) and each property, as outcomes.
    public var checks: [Check]
    /// Set when the scenario produced no usable result (crash, missing metrics).
    public var problem: String?
    /// What the guest printed about its cases that failed (their KTAP diagnostics, metrics
    /// left out), in order; nil when none failed.
    public var notes: [String]?

    public init(scenario: String, metrics: Metrics, checks: [Check], problem: String? = nil, notes: [String]? = nil) {
        self.scenario = scenario
        self.metrics = metrics
        self.checks = checks
        self.problem = problem
        self.notes = notes
    }

    /// True when every check matches its expectation and nothing went wrong.
    public var passed: Bool { problem == nil && !checks.isEmpty && checks.allSatisfy { $0.outcome.matchesExpectation } }
}

/// A scenario the host knows how to judge.
public protocol Scenario: Sendable {
    var name: String { get }
    /// What the guest result of this scenario means, judged against the expectations (the
    /// designs' expectations file, for a scenario that runs every design).
    func evaluate(_ test: KTAPTest, expectations: ExpectationSet?) -> ScenarioReport
}

/// Every scenario, by name.
public enum ScenarioCatalog {
    public static let all: [any Scenario] = [
        TCPZerocopyScenario(),
        GuestChecksScenario(name: "zcpool-device"),
        DesignsScenario(),
        // The data-path cost of each variant, for `zcbench bench`; its cases only say
        // that every timed round mapped and recycled everything.
        GuestChecksScenario(name: "zcpool-cost"),
        // The same on the real path, each zctcp design in TCP_ZEROCOPY_RECEIVE (vm/tcp/cost.c);
        // its cases say that every round arrived intact and a patched design charged every
        // page it mapped.
        GuestChecksScenario(name: "tcp-cost"),
        // Random operations from several processes and threads, then the baselines
        // (vm/fuzz/); `zcbench fuzz` sets its seed, length and variants.
        GuestChecksScenario(name: "zcpool-fuzz"),
        // The module's refusal to call into functions without ENDBR (vm/ibt_check.c).
        IBTCheckScenario(),
        // What the zctcp livepatch refuses to patch (vm/tcp/safety.c).
        LivepatchSafetyScenario(),
        // Fail on purpose (vm/faults.c): a kernel panic, a runner that never returns. They
        // test zcbench's own handling of a crashed or hung guest.
        GuestChecksScenario(name: "fault-panic"),
        GuestChecksScenario(name: "fault-hang"),
        // The user's own program in a cgroup of its own, for `zcbench exec` (vm/exec.c): its
        // cases say it started and exited by itself.
        GuestChecksScenario(name: "exec"),
    ]

    /// What `zcbench check` runs once per kernel, besides the matrix: all but the benchmark,
    /// the fuzzer, the faults and `exec`.
    public static var check: [any Scenario] {
        all.filter { !["zcpool-cost", "tcp-cost", "zcpool-fuzz", "module-ibt-check", "fault-panic", "fault-hang", "exec"]
            .contains($0.name) }
    }

    public static func named(_ name: String) -> (any Scenario)? { all.first { $0.name == name } }

    public static var names: [String] { all.map(\.name) }
}

extension ScenarioReport {
    /// The checks for the guest's own KTAP cases: each must be `ok`.
    static func guestChecks(_ test: KTAPTest) -> [Check] {
        test.subtests.map { subtest in
            var holds = subtest.result == .ok
            if case .skip = subtest.directive { holds = false }
            let outcome: Outcome = subtest.result == .missing ? .crashed : Outcome.of(holds: holds, expected: .pass)
            // A case whose result line never came has no name: its number stands for it.
            return Check(property: subtest.name.isEmpty ? "case \(subtest.number)" : subtest.name,
                         expected: .pass, outcome: outcome,
                         measured: subtest.result == .ok ? "ok" : (subtest.result == .missing ? "no result" : "not ok"),
                         condition: Check.guestCondition, reason: "the workload itself must succeed")
        }
    }

    /// The diagnostics of the guest's cases that did not pass, without their metrics:
    /// why they failed, in the guest's words. nil when every case passed.
    static func failureNotes(_ test: KTAPTest) -> [String]? {
        let failed = test.subtests.filter { subtest in
            if case .skip = subtest.directive { return true }
            return subtest.result != .ok
        }
        let notes = failed.flatMap(\.diagnostics).filter { !$0.hasPrefix("metric ") }
        return notes.isEmpty ? nil : notes
    }
}

/// A scenario judged by its guest checks alone: every KTAP case must be `ok` (a SKIP
/// counts as a failure: nothing is silently skipped). Its metrics are kept for reports.
public struct GuestChecksScenario: Scenario {
    public let name: String

    public init(name: String) { self.name = name }

    public func evaluate(_ test: KTAPTest, expectations: ExpectationSet?) -> ScenarioReport {
        var report = ScenarioReport(scenario: name, metrics: Metrics(test.metrics), checks: ScenarioReport.guestChecks(test),
                                    notes: ScenarioReport.failureNotes(test))
        if test.result == .missing {
            report.problem = "the scenario did not finish (no KTAP result line)"
        } else if report.checks.isEmpty {
            report.problem = "the scenario reported no checks"
        }
        return report
    }
}
