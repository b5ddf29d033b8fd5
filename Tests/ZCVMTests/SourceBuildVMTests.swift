import Foundation
import Testing
import ZCAnalysis
import ZCGuest
import ZCFuzz
import ZCKernel
@testable import ZCRun

extension VM {
    @Suite("kernels from source")
    struct SourceBuildVMTests {
        /// A fresh machine builds them (linux-source-6.1 and -6.12, 5 to 6 min each on 2 cores);
        /// later runs find them built.
        @Test("a debug kernel from Debian's source: built once, its KASAN and lockdep on, zcpool and the livepatch built against it, and check holds there with no report of either",
              arguments: [KernelSeries.v6_1, .v6_12])
        func debugKernel(_ series: KernelSeries) async throws {
            let fixture = try VMFixture("kernel-build-debug-\(series.rawValue)")
            let builder = fixture.pipeline.sourceBuilder
            let request = SourceBuildRequest(series: series, debug: true)
            let build = try await builder.build(request)
            #expect(build.debug && build.release.hasPrefix("\(series.rawValue).") && build.source == "linux-source-\(series.rawValue)")
            #expect(build.name.hasPrefix("\(series.rawValue)-debug-"))
            // Asked again: recorded, not built again.
            #expect(try await builder.build(request) == build)

            let module = try fixture.pipeline.module()
            let plan = RunPlan(scenarios: ScenarioCatalog.check, variants: module.variants.map { Variant($0) },
                               properties: AccountingProperty.all, expectations: try fixture.pipeline.expectations(nil),
                               designs: module.tcpDesigns.map { Variant($0) }, realProperties: AccountingProperty.realPath)
            let report = try await fixture.pipeline.run(.build(build.name), plan: plan, options: BootOptions())
            defer { fixture.finish(passed: report.passed) }
            #expect(report.problem == nil, "\(report.problem ?? ""): \(report.consoleExcerpt.joined(separator: "\n"))")
            #expect(report.kernel == build.release)
            let console = try String(contentsOfFile: report.runDirectory + "/console.log", encoding: .utf8)
            #expect(console.contains("kasan: KernelAddressSanitizer initialized"))
            #expect(console.contains("Lock dependency validator"))
            #expect(ConsoleLog(console).firstCrash() == nil)
            #expect(try #require(report.realPath).cells.count == module.tcpDesigns.count * AccountingProperty.realPath.count)
            for cell in (report.matrix?.cells ?? []) + (report.realPath?.cells ?? []) where !cell.outcome.matchesExpectation {
                Issue.record("\(cell.variant)/\(cell.property): \(cell.outcome.label): \(cell.measured)")
            }
            #expect(report.passed)
        }

        /// What `make fuzz` does at length, briefly: every design of both paths, on the
        /// debug kernel's KASAN and lockdep, on 2 vCPUs.
        @Test("a short fuzz of every design on the debug 6.1 kernel with 2 vCPUs: operations ran on each, no KASAN or lockdep report, nothing leaked")
        func fuzzDebugKernel() async throws {
            let fixture = try VMFixture("kernel-build-fuzz")
            let build = try await fixture.pipeline.sourceBuilder.build(SourceBuildRequest(series: .v6_1, debug: true))
            let module = try fixture.pipeline.module()
            let designs = (module.variants + module.tcpDesigns).map { Variant($0) }
            let plan = try FuzzPlan(seconds: 4, seed: 2026, variants: designs)
            var options = BootOptions()
            options.cpus = 2
            let report = try await plan.run(fixture.pipeline, kernel: .build(build.name), options: options)
            defer { fixture.finish(passed: report.passed) }
            #expect(report.problem == nil, "\(report.problem ?? ""): \(report.consoleExcerpt.joined(separator: "\n"))")
            #expect(report.cpus == 2)
            let fuzz = try #require(report.scenarios.first { $0.scenario == "zcpool-fuzz" })
            for design in designs {
                #expect(try #require(fuzz.metrics["\(design).ops"]) > 0, "\(design): no operation ran")
            }
            let console = try String(contentsOfFile: report.runDirectory + "/console.log", encoding: .utf8)
            #expect(console.contains("kasan: KernelAddressSanitizer initialized"))
            #expect(ConsoleLog(console).firstCrash() == nil)
            #expect(fuzz.checks.count == 2 * designs.count + 1)
            #expect(report.passed, "\(plan.summary(report, kernel: .build(build.name)))")
        }

        /// The race the debug 6.12 kernel found on 4 vCPUs (fuzz seed 2026, 60 s per design):
        /// a queue's unit release read whether a page was out after letting go of the pool
        /// lock, and gave back to the free list a page a recycling pass had already given
        /// back and a FEED had taken again; KASAN saw the FEED's list_del_init() write into
        /// a stale stack frame (kernel/rx.c, zcpool_unit_release()). The fault slow-release
        /// holds that window open 2 ms per release: with the old code this fuzz crashed
        /// within its first second (the same KASAN report), with the fix it runs clean.
        @Test("fuzzing pool-free on the debug 6.12 kernel with 4 vCPUs and the unit-release window held open (fault slow-release): no KASAN report")
        func unitReleaseRace() async throws {
            let fixture = try VMFixture("kernel-build-race")
            let build = try await fixture.pipeline.sourceBuilder.build(SourceBuildRequest(series: .v6_12, debug: true))
            let plan = try FuzzPlan(seconds: 20, seed: 2026, variants: ["pool-free"], fault: "slow-release",
                                    faults: fixture.faults)
            var options = BootOptions()
            options.cpus = 4
            let report = try await plan.run(fixture.pipeline, kernel: .build(build.name), options: options)
            defer { fixture.finish(passed: report.passed) }
            #expect(report.problem == nil, "\(report.problem ?? ""): \(report.consoleExcerpt.joined(separator: "\n"))")
            let fuzz = try #require(report.scenarios.first { $0.scenario == "zcpool-fuzz" })
            #expect(try #require(fuzz.metrics["pool-free.ops"]) > 10_000)
            let console = try String(contentsOfFile: report.runDirectory + "/console.log", encoding: .utf8)
            #expect(console.contains("fault slow-release injected"))
            #expect(report.passed, "\(plan.summary(report, kernel: .build(build.name)))")
        }

        /// The patch and the livepatch side by side on the same debug config of the same
        /// source: each real-path property judged on the kernel patched with tcp-kmem (no
        /// livepatch) and on the stock build under the livepatch's tcp-kmem.
        @Test("a kernel patched with tcp-kmem (patches/tcp-kmem.patch) gets the livepatch's verdict on every real-path property; double-charge, which needs the livepatch's pause point, is skipped")
        func patchedKernel() async throws {
            let fixture = try VMFixture("kernel-build-patched")
            let builder = fixture.pipeline.sourceBuilder
            let patch = fixture.pipeline.paths.repository.appendingPathComponent("patches/tcp-kmem.patch").path
            let patched = try await builder.build(SourceBuildRequest(series: .v6_1, debug: true, patches: [patch],
                                                                      design: "tcp-kmem"))
            let stock = try await builder.build(SourceBuildRequest(series: .v6_1, debug: true))
            #expect(patched.design == "tcp-kmem" && patched.name != stock.name)
            #expect(patched.patches.map { URL(fileURLWithPath: $0).lastPathComponent } == ["tcp-kmem.patch"])
            #expect(patched.release == stock.release)
            // On the patched kernel the stock kernel's design is gone; tcp-kmem runs as the kernel's.
            let onPatched = try fixture.pipeline.module(on: [.build(patched.name)])
            #expect(onPatched.tcpDesigns.first == "tcp-kmem" && !onPatched.tcpDesigns.contains("tcp-unaccounted"))

            let plan = RunPlan(scenarios: [], expectations: try fixture.pipeline.expectations(nil), designs: ["tcp-kmem"],
                               realProperties: AccountingProperty.realPath)
            var options = BootOptions()
            options.cpus = 2
            let inKernel = try await fixture.pipeline.run(.build(patched.name), plan: plan, options: options)
            let livepatch = try await fixture.pipeline.run(.build(stock.name), plan: plan, options: options)
            let kernelCells = try #require(inKernel.realPath), livepatchCells = try #require(livepatch.realPath)
            defer { fixture.finish(passed: inKernel.passed && livepatch.passed) }
            #expect(inKernel.problem == nil && livepatch.problem == nil, "\(inKernel.problem ?? "") \(livepatch.problem ?? "")")
            #expect(kernelCells.builtIn == "tcp-kmem" && livepatchCells.builtIn == nil)
            for property in AccountingProperty.realPathNames {
                let mine = try #require(kernelCells["tcp-kmem", property]), theirs = try #require(livepatchCells["tcp-kmem", property])
                #expect(theirs.outcome.matchesExpectation && theirs.outcome != .skipped, "livepatch \(property): \(theirs.measured)")
                if property == "double-charge" {
                    #expect(mine.outcome == .skipped, "\(property): \(mine.outcome.label) \(mine.measured)")
                    continue
                }
                #expect(mine.outcome == theirs.outcome,
                        "\(property): patched kernel \(mine.outcome.label) (\(mine.measured)), livepatch \(theirs.outcome.label) (\(theirs.measured))")
                // The patched kernel ran without the livepatch, the stock build under it.
                if let patchedMetric = mine.metrics["patched"] { #expect(patchedMetric == 0, "\(property)") }
                if let patchedMetric = theirs.metrics["patched"] { #expect(patchedMetric == 1, "\(property)") }
            }
            // steady: the patched kernel's charge is the mapped bytes, as `kernel` in memory.stat.
            let steady = try #require(kernelCells["tcp-kmem", "steady"])
            #expect(steady.outcome == .pass, "\(steady.measured)")
            let console = try String(contentsOfFile: inKernel.runDirectory + "/console.log", encoding: .utf8)
            #expect(ConsoleLog(console).firstCrash() == nil)
            #expect(!console.contains("livepatch: enabling patch"), "the patched kernel ran under the livepatch")
        }

        @Test("an injected use-after-free (fault orphan-uaf) is a crash with KASAN's lines on the debug kernel, and passes unseen on Debian's")
        func useAfterFree() async throws {
            let fixture = try VMFixture("kernel-build-uaf")
            let build = try await fixture.pipeline.sourceBuilder.build(SourceBuildRequest(series: .v6_1, debug: true))
            // The fault fires when the fuzz happens to recycle a page after its queue's
            // release: 5 s on the debug kernel once saw none, so 20 s.
            let plan = try FuzzPlan(seconds: 20, seed: 77, variants: ["pool-free"], fault: "orphan-uaf", faults: fixture.faults)
            var options = BootOptions()
            options.cpus = 2
            let debug = try await plan.run(fixture.pipeline, kernel: .build(build.name), options: options)
            let debian = try await plan.run(fixture.pipeline, kernel: .series(.v6_1), options: options)
            defer { fixture.finish(passed: !debug.passed && debian.passed) }
            #expect(!debug.passed)
            #expect(debug.problem?.contains("the guest kernel reported a KASAN: ") == true, "\(debug.problem ?? "no problem")")
            #expect(debug.problem?.contains("use-after-free in zcpool_pool_recycle") == true, "\(debug.problem ?? "")")
            #expect(debug.consoleExcerpt.contains { $0.contains("Read of size 8") }, "\(debug.consoleExcerpt.joined(separator: "\n"))")
            // Debian's kernel runs the same bug (the fault reads the freed queue: its console
            // says so) and sees nothing.
            #expect(debian.passed, "\(plan.summary(debian, kernel: .series(.v6_1)))")
            let console = try String(contentsOfFile: debian.runDirectory + "/console.log", encoding: .utf8)
            #expect(console.contains("fault orphan-uaf: page"))
        }
    }
}
