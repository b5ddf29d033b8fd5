import Foundation
import Testing
import ZCCore

/// The zcbench binary itself, end to end: its errors and its signals.
extension VM {
    @Suite("the zcbench command")
    struct CLITests {
        static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/zcbench").path

        func zcbench(_ arguments: [String]) async throws -> CommandResult {
            try await CommandRunner().run(Command(Self.binary, arguments))
        }

        @Test("bad input: one line, the right exit status", arguments: [
            (["run", "--scenario", "tcp-zerocpy"], "did you mean 'tcp-zerocopy'?"),
            (["kernel", "fetch", "--series", "6.3"], "unknown kernel series '6.3'"),
            (["run", "--scenario", "tcp-zerocopy", "--accel", "hvf"], "unknown accelerator 'hvf'"),
            (["run", "--scenario", "tcp-zerocopy", "--kernel", "/nonexistent"], "--kernel and --headers go together"),
            (["check", "--series", "7"], "unknown kernel series '7'"),
            (["check", "--property", "vmsplice"], "did you mean 'vmsplice-pin'?"),
            (["bisect", "--property", "double-charg"], "did you mean 'double-charge'?"),
            (["bisect", "--property", "release", "--variants", "v2,v1", "--good", "v1", "--bad", "v2"], "endpoints in the wrong order"),
            (["bisect", "--property", "release", "--git", "HEAD~1", "HEAD", "--repository", "/"], "is not a git repository"),
        ])
        func badInput(_ arguments: [String], message: String) async throws {
            let result = try await zcbench(arguments)
            #expect(result.status == 2)
            #expect(result.output.contains(message), "\(result.output)")
            #expect(!result.output.contains("Fatal error"))
        }

        @Test("doctor finds everything make test provisioned")
        func doctor() async throws {
            let result = try await zcbench(["doctor"])
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains("MISSING"))
        }
    }

    @Suite("signals")
    struct SignalTests {
        @Test("SIGINT or SIGTERM during a boot leaves no QEMU behind and keeps the console log",
              arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
        func interrupted(_ signal: Int32, status: Int32) async throws {
            let scratch = try zcbenchScratch("signal-\(signal)")
            let (process, output) = try launchZcbench(["run", "--scenario", "tcp-zerocopy"], out: scratch)
            // Wait until QEMU runs with this scratch directory and the guest has printed, then
            // signal zcbench.
            let qemuRunning = { () async throws -> Bool in
                try await CommandRunner().run(Command("pgrep", ["-f", "qemu-system-x86_64.*\(scratch.path)"])).status == 0
            }
            let consolePrinted = { () -> Bool in
                let runs = scratch.appendingPathComponent("runs")
                let logs = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
                return logs.contains { (try? FileManager.default.attributesOfItem(atPath: runs.path + "/\($0)/console.log")[.size] as? Int) ?? 0 > 0 }
            }
            let deadline = ContinuousClock.now + .seconds(120)
            while !consolePrinted(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try await qemuRunning(), "QEMU is not running")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == status, "\(text)")
            #expect(try await !qemuRunning(), "QEMU outlived zcbench")
            #expect(text.contains("console log and partial results kept in"))
            let runs = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("runs").path)
            #expect(runs.count == 1)
            #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("runs/\(runs[0])/console.log").path))
            try? FileManager.default.removeItem(at: scratch)
        }
    }
}
