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

        @Test("an injected use-after-free (fault orphan-uaf) is a crash with KASAN's lines on the debug kernel, and passes unseen on Debian's")
        func useAfterFree() async throws {
            let fixture = try VMFixture("kernel-build-uaf")
            let build = try await fixture.pipeline.sourceBuilder.build(SourceBuildRequest(series: .v6_1, debug: true))
            let plan = try FuzzPlan(seconds: 5, seed: 77, variants: ["pool-free"], fault: "orphan-uaf", faults: fixture.faults)
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
