import Foundation
import Testing
import ZCAnalysis
@testable import ZCRun
import ZCAnalysis
import ZCReport
@testable import ZCFuzz
import ZCBenchmark
import ZCBisect
import ZCCommandLine
import ZCGuest
import ZCKernel

extension VM {
    @Suite("fuzz")
    struct FuzzVMTests {
        @Test("a short fuzz of every variant: no crash, nothing leaked, after the run and after rmmod",
              arguments: [KernelSeries.v6_1, .v6_12])
        func short(_ series: KernelSeries) async throws {
            let fixture = try VMFixture("fuzz-\(series.rawValue)")
            let seed: UInt64 = series == .v6_1 ? 4242 : 6122
            let plan = try FuzzPlan(seconds: 10, seed: seed, variants: fixture.designs)
            let report = try await plan.run(fixture.pipeline, kernel: .series(series), options: BootOptions())
            let passed = report.passed
            defer { fixture.finish(passed: passed) }
            #expect(report.problem == nil, "\(report.problem ?? ""): \(report.consoleExcerpt.joined(separator: "\n"))")
            let fuzz = try #require(report.scenarios.first { $0.scenario == "zcpool-fuzz" })
            #expect(fuzz.metrics["seed"] == Int64(seed), "the guest fuzzes with the seed it was given")
            for variant in fixture.designs {
                let ops = try #require(fuzz.metrics["\(variant).ops"])
                #expect(ops > 10_000, "\(variant): \(ops) operations in 10 s")
                // Hostile arguments are refused, valid ones are not: both kinds ran.
                let refused = try #require(fuzz.metrics["\(variant).failed"])
                #expect(refused > 0 && refused < ops)
                #expect(try #require(fuzz.metrics["\(variant).ops.receive"]) > 0)
                #expect(try #require(fuzz.metrics["\(variant).ops.fork"]) > 0)
            }
            for check in fuzz.checks where check.outcome != .pass {
                Issue.record("\(check.property): \(check.measured)")
            }
            #expect(fuzz.checks.count == 2 * fixture.designs.count + 1)
            #expect(passed, "\(plan.summary(report, kernel: .series(series)))")
        }

        @Test("a short fuzz of the real path's designs: TCP_ZEROCOPY_RECEIVE maps pages, no crash, nothing leaked",
              arguments: [KernelSeries.v6_1, .v6_12])
        func realPath(_ series: KernelSeries) async throws {
            let fixture = try VMFixture("fuzz-tcp-\(series.rawValue)")
            let designs = try fixture.pipeline.module().tcpDesigns.map { Variant($0) }
            let plan = try FuzzPlan(seconds: 10, seed: 1414, variants: designs)
            let report = try await plan.run(fixture.pipeline, kernel: .series(series), options: BootOptions())
            let passed = report.passed
            defer { fixture.finish(passed: passed) }
            #expect(report.problem == nil, "\(report.problem ?? ""): \(report.consoleExcerpt.joined(separator: "\n"))")
            let fuzz = try #require(report.scenarios.first { $0.scenario == "zcpool-fuzz" })
            for design in designs {
                // The TCP operations ran, and some receives mapped pages that the other
                // operations then unmapped, touched, forked and vmspliced.
                for op in ["tcp-connect", "tcp-send", "tcp-zc-receive", "mmap", "vmsplice"] {
                    #expect(try #require(fuzz.metrics["\(design).ops.\(op)"]) > 0, "\(design): \(op)")
                }
                #expect(try #require(fuzz.metrics["\(design).zc_mapped"]) > 0, "\(design): no receive mapped a page")
                #expect(try #require(fuzz.metrics["\(design).failed"]) < (try #require(fuzz.metrics["\(design).ops"])))
            }
            for check in fuzz.checks where check.outcome != .pass {
                Issue.record("\(check.property): \(check.measured)")
            }
            #expect(fuzz.checks.count == 2 * designs.count + 1)
            #expect(passed, "\(plan.summary(report, kernel: .series(series)))")
        }

        @Test("an injected leak is caught and minimized; the printed replay reproduces it with the fault, not without")
        func injectedLeak() async throws {
            let fixture = try VMFixture("fuzz-orphan-leak")
            var ok = false
            defer { fixture.finish(passed: ok) }
            let plan = try FuzzPlan(seconds: 3, seed: 77, variants: ["pool-free"], fault: "orphan-leak", faults: fixture.faults)
            let report = try await plan.run(fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            let summary = plan.summary(report, kernel: .series(.v6_1))
            #expect(report.problem == nil, "\(report.problem ?? "")")
            #expect(!report.passed, "the injected leak went unnoticed: \(summary)")
            let fuzz = try #require(report.scenarios.first { $0.scenario == "zcpool-fuzz" })
            #expect(fuzz.checks.first { $0.property == "pool-free-run" }?.outcome == .pass)
            #expect(fuzz.checks.first { $0.property == "pool-free-baseline" }?.outcome == .fail)
            let notes = fuzz.notes ?? []
            let reproducer = try #require(FuzzPlan.reproducers(report).first, "no sequence printed: \(notes)")
            #expect(reproducer.variant == "pool-free")
            // Leaking a page takes at least open, FEED, mmap and RECEIVE (measured: exactly those 4);
            // up to 8 leaves room for a minimization cut short by a slow host.
            #expect((4...8).contains(reproducer.states.count), "\(notes)")
            #expect(fuzz.metrics["pool-free.repro_ops"] == Int64(reproducer.states.count))
            for op in ["open(", "FEED(", "mmap(", "RECEIVE("] {
                #expect(notes.contains { $0.hasPrefix("repro pool-free: ") && $0.contains(op) }, "\(op) missing from \(notes)")
            }
            #expect(summary.contains("--repro \(reproducer.states.map { String($0, radix: 16) }.joined(separator: ","))"))

            // The printed sequence, replayed alone in a fresh boot: the same leak, a page or more.
            let replay = try FuzzPlan(seconds: 1, seed: nil, variants: ["pool-free"], fault: "orphan-leak", faults: fixture.faults,
                                      repro: reproducer.states)
            let again = try await replay.run(fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            let againNotes = again.scenarios.first?.notes ?? []
            #expect(!again.passed)
            #expect(againNotes.contains { $0.hasPrefix("pool-free: the sequence above reproduces it: pool out 0 -> ") }, "\(againNotes)")
            // Without the fault the same operations leave nothing behind.
            let clean = try await FuzzPlan(seconds: 1, seed: nil, variants: ["pool-free"], repro: reproducer.states)
                .run(fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            let cleanPassed = clean.passed
            #expect(cleanPassed, "\(TextReport.table([clean]))")
            ok = !report.passed && !again.passed && cleanPassed
        }

        @Test("an injected kernel crash is narrowed down by booting again: one thread's shortest crashing prefix")
        func injectedCrash() async throws {
            let fixture = try VMFixture("fuzz-orphan-oops")
            var ok = false
            defer { fixture.finish(passed: ok) }
            let plan = try FuzzPlan(seconds: 3, seed: 77, variants: ["pool-free"], fault: "orphan-oops", faults: fixture.faults)
            let report = try await plan.run(fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            #expect(report.kernelCrash?.contains("kernel BUG at zcpool/recycle.c") == true, "\(report.kernelCrash ?? "no crash")")
            #expect(plan.crashedVariant(report) == "pool-free")
            let result = try await plan.minimizeCrash(report, pipeline: fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            guard case .found(let crash) = result else {
                Issue.record("\(plan.crashSummary(result, kernel: .series(.v6_1)))")
                return
            }
            #expect(crash.shortest, "\(plan.crashSummary(result, kernel: .series(.v6_1)))")
            #expect(crash.crash.contains("kernel BUG at zcpool/recycle.c"))
            #expect(crash.boots <= FuzzPlan.maxCrashBoots)
            // The last operations before the crash are printed, up to 16.
            #expect(crash.trace.count == min(crash.operations, GuestProtocol.Fuzz.traceOperations), "\(crash.trace)")
            // The command it prints crashes the kernel; one operation fewer does not, and
            // leaves everything clean.
            let again = try await plan.alone(crash.thread, variant: "pool-free", operations: crash.operations)
                .run(fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            #expect(again.kernelCrash?.contains("kernel BUG at zcpool/recycle.c") == true)
            let fewer = try await plan.alone(crash.thread, variant: "pool-free", operations: crash.operations - 1)
                .run(fixture.pipeline, kernel: .series(.v6_1), options: BootOptions())
            let fewerPassed = fewer.passed
            #expect(fewer.kernelCrash == nil)
            #expect(fewerPassed, "\(TextReport.table([fewer]))")
            ok = crash.shortest && again.kernelCrash != nil && fewerPassed
        }
    }
}
