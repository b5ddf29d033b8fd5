import Foundation
import Logging
import Testing
import ZCAnalysis
@testable import ZCRun
import ZCAnalysis
import ZCReport
import ZCFuzz
import ZCBenchmark
import ZCBisect
import ZCCommandLine
import ZCCore

extension VM {
    /// Every way a run can go wrong on the host's side, each provoked for real.
    @Suite("failure paths")
    struct FailureTests {
        static let isRoot = getuid() == 0

        func scenario(_ name: String) throws -> any Scenario { try #require(ScenarioCatalog.named(name)) }

        @Test("a guest kernel panic ends the run at once, CRASHED, with the panic and its trace shown and kept")
        func panic() async throws {
            let fixture = try VMFixture("panic")
            let start = ContinuousClock.now
            let report = try await fixture.pipeline.run(.series(.v6_1), scenarios: [try scenario("fault-panic")], options: BootOptions())
            defer { fixture.finish(passed: !report.passed) }
            #expect(ContinuousClock.now - start < .seconds(60), "panic=-1 and -no-reboot end QEMU at once")
            #expect(report.problem?.contains("the guest kernel reported a panic") == true, "\(report.problem ?? "no problem")")
            #expect(report.consoleExcerpt.first?.contains("Kernel panic - not syncing: sysrq triggered crash") == true)
            #expect(report.consoleExcerpt.contains { $0.contains("sysrq_handle_crash") })
            #expect(report.scenarios.first?.problem != nil)
            let console = try String(contentsOfFile: report.runDirectory + "/console.log", encoding: .utf8)
            #expect(console.contains("Kernel panic"))
            #expect(!report.passed)
        }

        @Test("a runner that never returns: QEMU is stopped at the timeout and the last console lines are shown")
        func hang() async throws {
            let fixture = try VMFixture("hang")
            var options = BootOptions()
            options.timeout = .seconds(12)
            let start = ContinuousClock.now
            let report = try await fixture.pipeline.run(.series(.v6_1), scenarios: [try scenario("fault-hang")], options: options)
            defer { fixture.finish(passed: !report.passed) }
            #expect(ContinuousClock.now - start < .seconds(40))
            #expect(report.problem?.contains("did not finish within the timeout; QEMU was stopped") == true)
            #expect(report.consoleExcerpt.contains { $0.contains("zcbench-init: loaded") }, "\(report.consoleExcerpt)")
            #expect(report.moduleLoad.outcome == .pass, "what ran before the hang is kept")
        }

        @Test("with a timeout of 30 s or more, the guest stops the runner first and its results arrive")
        func runnerTimeout() async throws {
            let fixture = try VMFixture("runner-timeout")
            var options = BootOptions()
            options.timeout = .seconds(30)
            let report = try await fixture.pipeline.run(.series(.v6_1), scenarios: [try scenario("fault-hang")], options: options)
            defer { fixture.finish(passed: !report.passed) }
            #expect(report.problem?.contains("the guest stopped the runner at its timeout") == true, "\(report.problem ?? "")")
            #expect(report.guestExitStatus == 137)
            #expect(report.moduleLoad.outcome == .pass)
        }

        @Test("SIGINT while scenarios run: exit 130, no QEMU left, the results so far kept", arguments: [SIGINT, SIGTERM])
        func interruptedRun(_ signal: Int32) async throws {
            let out = try zcbenchScratch("interrupt-run-\(signal)")
            let (process, output) = try launchZcbench(["run", "--scenario", "fault-hang", "--timeout", "120"], out: out)
            let results = { () -> String in
                let runs = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path)) ?? []
                return runs.compactMap { try? String(contentsOfFile: out.path + "/runs/\($0)/results.ktap", encoding: .utf8) }
                    .joined()
            }
            let deadline = ContinuousClock.now + .seconds(120)
            while !results().contains("ok 1 module-load"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 128 + signal, "\(text)")
            let qemu = try await CommandRunner().run(Command("pgrep", ["-f", "qemu-system-x86_64.*\(out.path)"]))
            #expect(qemu.status != 0, "QEMU outlived zcbench")
            #expect(results().contains("ok 1 module-load"), "the results so far are kept")
            #expect(text.contains("console log and partial results kept in"))
            try? FileManager.default.removeItem(at: out)
        }

        @Test("two zcbench runs at once: each its own run directory, both verdicts right")
        func concurrentRuns() async throws {
            let out = try zcbenchScratch("concurrent")
            let arguments = ["run", "--variants", "pool-free", "--property", "release"]
            let runs = try [launchZcbench(arguments, out: out), launchZcbench(arguments, out: out)]
            for (process, _) in runs { process.waitUntilExit() }
            for (process, output) in runs {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(process.terminationStatus == 0, "\(text)")
            }
            let directories = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("runs").path)
            #expect(directories.count == 2, "\(directories)")
            try? FileManager.default.removeItem(at: out)
        }

        @Test("the kernel cache is locked: a second zcbench waits, says so, and goes on once the lock is free")
        func cacheLock() async throws {
            let out = try zcbenchScratch("cache-lock")
            let cache = try Paths.fromEnvironment().cache
            let lock = try FileLock(cache.appendingPathComponent("kernels/.lock"))
            let (process, output) = try launchZcbench(["kernel", "fetch", "--series", "6.1"], out: out)
            try await Task.sleep(for: .seconds(3))
            #expect(process.isRunning, "it waits for the lock")
            lock.unlock()
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(text.contains("waiting for \(cache.path)/kernels/.lock: another zcbench holds it"), "\(text)")
            try? FileManager.default.removeItem(at: out)
        }

        @Test("an unwritable cache is one clear line and exit 1")
        func unwritableCache() async throws {
            let out = try zcbenchScratch("unwritable-cache")
            // A file where the cache directory should be: not even root can create it.
            let (process, output) = try launchZcbench(["kernel", "fetch", "--series", "6.1"], out: out,
                                               environment: ["XDG_CACHE_HOME": "/etc/hostname"])
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 1, "\(text)")
            #expect(text.hasPrefix("error: cannot create /etc/hostname/zcbench"), "\(text)")
            #expect(!text.contains("Fatal error"))
            try? FileManager.default.removeItem(at: out)
        }

        @Test("a full disk under the run directory is a clear I/O error, not a crash",
              .enabled(if: FailureTests.isRoot, "mounting the small tmpfs that fills up needs root"))
        func fullDisk() async throws {
            let base = try VMFixture("full-disk")
            let full = base.scratch.appendingPathComponent("full")
            try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
            let runner = CommandRunner()
            let mounted = try await runner.run(Command("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", full.path]))
            try #require(mounted.status == 0, "\(mounted.output)")
            let paths = Paths(cache: base.pipeline.paths.cache, repository: base.pipeline.paths.repository,
                              output: base.pipeline.paths.output, runs: full)
            let pipeline = Pipeline(paths: paths, progress: StepProgress(enabled: false), logger: Logger(label: "zcbench.vmtest"))
            let error = await #expect(throws: ZCError.self) {
                _ = try await pipeline.run(.series(.v6_1), scenarios: [TCPZerocopyScenario()], options: BootOptions())
            }
            #expect(error?.code == .io)
            #expect(error?.message.contains("cannot write the initramfs") == true, "\(String(describing: error))")
            #expect(error?.message.contains("enough space") == true, "\(String(describing: error))")
            _ = try await runner.run(Command("umount", [full.path]))
            base.finish(passed: error?.code == .io)
        }
    }
}
