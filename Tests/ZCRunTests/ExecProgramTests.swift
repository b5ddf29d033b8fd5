import Foundation
import Testing
import ZCAnalysis
import ZCCore
import ZCGuest
import ZCTestSupport
@testable import ZCRun

/// `zcbench exec`'s checks of a program before any boot, on the host's real files, and how
/// the guest's figures become the exit status and the summary.
@Suite("exec: what the guest can run, and what came back")
struct ExecProgramTests {
    func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("zc-exec-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func file(_ directory: URL, _ name: String, _ text: String, mode: Int = 0o755) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        return url.path
    }

    func refusal(_ program: ExecProgram) -> String {
        do {
            try program.validate()
            return "accepted"
        } catch let error as ZCError {
            return error.code == .usage ? error.message : "not a usage error: \(error)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a static ELF (busybox-static's) and a /bin/sh script are taken; a dynamic ELF, a python script, text and a non-executable are refused, saying why")
    func programs() throws {
        let directory = try scratch("programs")
        #expect(refusal(ExecProgram(program: "/bin/busybox")) == "accepted")
        #expect(refusal(ExecProgram(program: try file(directory, "ok.sh", "#!/bin/sh\necho hi\n"))) == "accepted")
        #expect(refusal(ExecProgram(program: try file(directory, "bb.sh", "#!/bin/busybox sh\necho hi\n"))) == "accepted")
        #expect(refusal(ExecProgram(program: "/bin/ls")).contains("/bin/ls is dynamically linked"))
        #expect(refusal(ExecProgram(program: try file(directory, "s.py", "#!/usr/bin/python3\n")))
                .contains("is a script for /usr/bin/python3, which the guest has not"))
        #expect(refusal(ExecProgram(program: try file(directory, "text", "hello\n"))).contains("neither an ELF program nor a #! script"))
        #expect(refusal(ExecProgram(program: try file(directory, "plain.sh", "#!/bin/sh\n", mode: 0o644))).contains("is not executable"))
        #expect(refusal(ExecProgram(program: directory.appendingPathComponent("none").path)).contains("does not exist"))
        #expect(refusal(ExecProgram(program: "/bin/busybox", files: [directory.path])).contains("is a directory"))
        #expect(refusal(ExecProgram(program: "/bin/busybox", files: [try file(directory, "busybox", "x")]))
                .contains("two files named busybox"))
        // An ELF for another machine (EM_AARCH64) is not the guest's.
        var header = [UInt8](repeating: 0, count: 64)
        header[0...5] = [0x7F, 0x45, 0x4C, 0x46, 2, 1]
        header[18] = 183
        #expect(throws: ZCError.self) { try ExecProgram.check(head: header, path: "arm64") }
    }

    @Test("argv goes to the guest as NUL-terminated strings; the program and its files under /exec")
    func initramfs() throws {
        let directory = try scratch("initramfs")
        let data = try file(directory, "data.txt", "x", mode: 0o644)
        let program = ExecProgram(program: "/bin/busybox", arguments: ["sh", "-c", "echo  two  spaces"], files: [data])
        let argv = directory.appendingPathComponent("argv")
        let files = try program.initramfsFiles(argvFile: argv)
        #expect(files.map(\.archivePath) == ["exec/busybox", "exec/data.txt", "etc/zcbench-exec.argv"])
        #expect(files.map(\.mode) == [0o755, 0o644, 0o644])
        #expect(try Data(contentsOf: argv) == Data("/exec/busybox\0sh\0-c\0echo  two  spaces\0".utf8))
    }

    @Test("the guest's figures: exit status, or 128 + signal; memory.current, the peak, and what memory.stat changed")
    func result() throws {
        let metrics = Metrics(["before.memory_current": 0, "before.stat.anon": 0, "before.stat.pgfault": 0,
                               "after.memory_current": 4096, "after.stat.anon": 0, "after.stat.pgfault": 545,
                               "after.memory_peak": 9_437_184, "exit_status": 7])
        let result = try #require(ExecResult(metrics: metrics))
        #expect(result.processStatus == 7)
        #expect(result.summary == ["memory.current 0 -> 4096 (+4096), memory.peak 9437184", "memory.stat pgfault 0 -> 545"])
        var killed = metrics.values
        killed["exit_status"] = nil
        killed["signal"] = 9
        #expect(ExecResult(metrics: Metrics(killed))?.processStatus == 137)
        killed["signal"] = nil
        #expect(ExecResult(metrics: Metrics(killed)) == nil, "no way it ended: no result")
    }
}

@Suite("the live progress line")
struct ResultsProgressTests {
    @Test("from the results so far: tests done of the plan, and the one running")
    func progress() throws {
        let sample = try fixture("matrix-sample.ktap")
        let cut = String(sample[..<sample.range(of: "    # Subtest: pool-free/release")!.upperBound])
        let state = ResultsProgress(results: cut)
        let document = KTAPDocument(parsing: sample)
        #expect(state.total == document.plan)
        #expect(state.running == "pool-free/release")
        #expect(state.done == document.tests.firstIndex { $0.name == "pool-free/release" })
        #expect(state.description == "test \(state.done + 1) of \(document.plan!): pool-free/release")
        let whole = ResultsProgress(results: sample)
        #expect(whole.running == nil && whole.done == document.tests.count)
        #expect(ResultsProgress(results: "").description == "the guest is booting")
        #expect(ResultsProgress(results: "KTAP version 1\n1..3\n").description == "test 1 of 3")
        #expect(ResultsProgress(results: "KTAP version 1\n1..3\nok 1 a\n    # Subtest: b\nok 2 b # SKIP no\n").running == nil)
    }
}
