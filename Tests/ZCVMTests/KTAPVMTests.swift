import Foundation
import Testing
import ZCAnalysis
import ZCCore
import ZCKernel
import ZCReport
@testable import ZCRun

extension VM {
    @Suite("verdict KTAP read by the kernel's own parser")
    struct KTAPVMTests {
        /// `kunit.py parse`'s summary: "Ran N tests: passed: P, failed: F, ..." (zeros left out).
        static func counts(_ output: String) -> [String: Int]? {
            guard let line = output.split(separator: "\n").last(where: { $0.contains("Ran ") && $0.contains(" tests") }),
                  let ran = line.range(of: "Ran ") else { return nil }
            var counts: [String: Int] = [:]
            let rest = line[ran.upperBound...]
            counts["total"] = Int(rest.prefix { $0.isNumber })
            for part in rest.split(separator: ":", maxSplits: 1).dropFirst().first?.split(separator: ",") ?? [] {
                let pair = part.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, let n = Int(pair[1]) { counts[pair[0]] = n }
            }
            return counts
        }

        @Test("kunit.py (Debian's linux-source-6.1) counts what zcbench judged: pass and xfail passed, fail, xpass and crashed failed, skip skipped; its exit status says failed")
        func kunitParse() async throws {
            let fixture = try VMFixture("verdict-ktap")
            let source = try await fixture.pipeline.sourceBuilder.source(.v6_1)
            let kunit = source.appendingPathComponent("tools/testing/kunit/kunit.py")
            // A run with passes, an expected failure and failures (the module's counters lie),
            // and one that crashes (a panic in the guest).
            var lying = RunPlan(scenarios: [], variants: ["unaccounted", "pool-free"], properties: [.steady, .doubleCharge],
                                expectations: try fixture.pipeline.expectations(nil))
            lying.fault = "counters-lie"
            let measured = try await fixture.pipeline.run(.series(.v6_1), plan: lying, options: BootOptions())
            let crashed = try await fixture.pipeline.run(.series(.v6_1), scenarios: [ScenarioCatalog.named("fault-panic")!],
                                                         options: BootOptions())
            let reports = [measured, crashed]
            let outcomes = reports.flatMap(VerdictCase.all).map(\.outcome)
            for outcome in [Outcome.pass, .xfail, .fail, .crashed] {
                #expect(outcomes.contains(outcome), "no \(outcome) case: \(outcomes)")
            }
            let file = fixture.scratch.appendingPathComponent("verdicts.ktap")
            try VerdictKTAP.document(reports).write(to: file, atomically: true, encoding: .utf8)

            let result = try await CommandRunner().run(Command("python3", [kunit.path, "parse", file.path]))
            defer { fixture.finish(passed: result.status == 1) }
            let counts = try #require(Self.counts(result.output), "\(result.output)")
            let zcbench = [
                "total": outcomes.count,
                "passed": outcomes.filter { $0 == .pass || $0 == .xfail }.count,
                "failed": outcomes.filter { $0 == .fail || $0 == .xpass || $0 == .crashed }.count,
                "skipped": outcomes.filter { $0 == .skipped }.count,
            ].filter { $0.value > 0 || $0.key == "total" }
            #expect(counts == zcbench, "kunit.py: \(counts), zcbench: \(zcbench)\n\(result.output)")
            #expect(result.status == 1, "kunit.py parse exits 0 on failures:\n\(result.output)")
            // The same file without the failing run: all passed, exit 0.
            try VerdictKTAP.document([measured].map { report in
                var clean = report
                clean.matrix?.cells.removeAll { !$0.outcome.matchesExpectation }
                return clean
            }).write(to: file, atomically: true, encoding: .utf8)
            let clean = try await CommandRunner().run(Command("python3", [kunit.path, "parse", file.path]))
            #expect(clean.status == 0, "\(clean.output)")
            #expect(Self.counts(clean.output)?["failed"] == nil, "\(clean.output)")
        }
    }
}
