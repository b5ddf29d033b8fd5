import Foundation
import Testing
import ZCTestSupport
import ZCAnalysis
@testable import ZCFuzz
import ZCReport
import ZCRun
import ZCCore
import ZCGuest
import ZCKernel

@Suite("fuzz plan")
struct FuzzTests {
    /// The module's faults, from the checkout's uapi header.
    let faults = ModuleInterface(header: (try? TestSupport.repositoryFile("kernel/uapi/zcpool.h")) ?? "")?.faults ?? []

    /// The `zcbench.*` words of a boot of `plan` with default boot options.
    func words(_ plan: FuzzPlan) -> [String] {
        plan.runPlan.guestParameters(options: BootOptions(), timeout: plan.runPlan.defaultTimeout()).words
    }

    @Test("the guest gets the seed, the time and the variants; the timeout grows with them")
    func options() throws {
        let plan = try FuzzPlan(seconds: 20, seed: 99, variants: ["v1", "steal"])
        #expect(plan.runPlan.defaultTimeout() == .seconds(90 + 20 * 2 * 3 / 2 + GuestProtocol.Fuzz.minimizeSeconds))
        #expect(words(plan).joined(separator: " ").contains(
            "zcbench.flush_stats=1 zcbench.fuzz_seconds=20 zcbench.fuzz_seed=99 zcbench.fuzz_variants=v1,steal zcbench.runner_timeout_s="))
        #expect(plan.runPlan.guestScenarios == ["zcpool-fuzz"])
        #expect(!words(try FuzzPlan(seconds: 1, seed: nil, variants: ["v1"])).contains { $0.hasPrefix("zcbench.fuzz_seed=") })
    }

    @Test("bad input is a usage error", arguments: [(0, UInt64(1)), (3601, 1), (10, 0), (10, UInt64.max)])
    func badInput(_ seconds: Int, seed: UInt64) {
        let error = #expect(throws: ZCError.self) { try FuzzPlan(seconds: seconds, seed: seed, variants: ["pool-free"]) }
        #expect(error?.exitStatus == 2)
    }

    @Test("an injected fault and a replay go to the guest; a replay needs no fuzzing time")
    func faultAndReplay() throws {
        let fault = try FuzzPlan(seconds: 5, seed: 7, variants: ["pool-free"], fault: "orphan-leak", faults: faults)
        #expect(words(fault).contains("zcbench.fault=orphan-leak"))
        #expect(!words(fault).contains { $0.hasPrefix("zcbench.fuzz_repro=") })
        #expect(fault.runPlan.defaultTimeout() == .seconds(90 + 5 * 3 / 2 + GuestProtocol.Fuzz.minimizeSeconds))
        let replay = try FuzzPlan(seconds: 10, seed: nil, variants: ["steal", "v1"],
                                  repro: try FuzzPlan.states("e50ca3b1cb4d5245,4603c7e0813bfde6"))
        #expect(replay.repro == [0xe50c_a3b1_cb4d_5245, 0x4603_c7e0_813b_fde6])
        #expect(words(replay).contains("zcbench.fuzz_repro=e50ca3b1cb4d5245,4603c7e0813bfde6"))
        #expect(replay.runPlan.defaultTimeout() == .seconds(90 + 10 * 2))
    }

    @Test("a bad fault or replay is a usage error that says what is wrong",
          arguments: [("orphan-leek", "", "did you mean 'orphan-leak'?"),
                      ("", "12,zz", "'zz' is not a generator state"),
                      ("", "12,,13", "'' is not a generator state"),
                      ("", "0", "'0' is not a generator state"),
                      ("", Array(repeating: "1f", count: 49).joined(separator: ","), "at most 48 operations, not 49")])
    func badFaultOrReplay(_ fault: String, repro: String, message: String) {
        let error = #expect(throws: ZCError.self) {
            try FuzzPlan(seconds: 10, seed: nil, variants: ["pool-free"], fault: fault.isEmpty ? nil : fault, faults: faults,
                         repro: repro.isEmpty ? [] : try FuzzPlan.states(repro))
        }
        #expect(error?.exitStatus == 2)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "no error")")
    }

    @Test("a replay with a seed is refused: the states name the operations")
    func replayWithSeed() {
        let error = #expect(throws: ZCError.self) {
            try FuzzPlan(seconds: 10, seed: 4, variants: ["pool-free"], repro: [0x1f])
        }
        #expect(error?.description.contains("--seed does not apply") == true)
    }
}

/// The one run report of a captured `--json` file.
func run(_ name: String) throws -> RunReport {
    struct Document: Decodable { var runs: [RunReport] }
    return try #require(try JSONDecoder().decode(Document.self, from: Data(try fixture(name).utf8)).runs.first)
}

@Suite("fuzz failure report")
struct FuzzFailureTests {
    let faults = ["orphan-leak", "orphan-oops"]

    @Test("a failed case keeps the guest's words: the checks, the minimizer and its sequence, not the metrics")
    func notes() throws {
        let document = KTAPDocument(parsing: try fixture("guest-6.1.0-56-fuzz-orphan-leak.ktap"))
        let test = try #require(document.tests.first { $0.name == "zcpool-fuzz" })
        let report = GuestChecksScenario(name: "zcpool-fuzz").evaluate(test, expectations: nil)
        #expect(report.checks.filter { $0.outcome != .pass }.map(\.property) == ["pool-free-baseline", "steal-baseline", "unload"])
        let notes = try #require(report.notes)
        #expect(notes.first == "pool-free: pool out = 29, expected 0 (leaked pages)")
        #expect(notes.contains("repro pool-free: RECEIVE(fd 5, address map1+0x5000, length 0x1000, flags 0), mapped 0x1000"))
        #expect(notes.contains { $0.hasPrefix("steal: the sequence above reproduces it: pool out ") })
        #expect(notes.last == "after rmmod: /sys/fs/cgroup/zc-zcpool-fuzz memory.current 2416640")
        #expect(!notes.contains { $0.hasPrefix("metric ") })
        // A passing scenario has no notes.
        let passing = KTAPDocument(parsing: try fixture("guest-6.1.0-56-tcp-zerocopy.ktap"))
        #expect(GuestChecksScenario(name: "tcp-zerocopy").evaluate(try #require(passing.tests.last), expectations: nil).notes == nil)
    }

    @Test("the summary gives the command that replays each variant's shortest sequence")
    func summary() throws {
        let report = try run("fuzz-orphan-leak.json")
        let reproducers = FuzzPlan.reproducers(report)
        #expect(reproducers.map(\.variant) == ["pool-free", "steal"])
        #expect(reproducers.map(\.states.count) == [4, 4])
        let plan = try FuzzPlan(seconds: 3, seed: 77, variants: ["pool-free", "steal"], fault: "orphan-leak", faults: faults)
        let lines = plan.summary(report, kernel: .series(.v6_1)).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[1] == "repeat every thread's operation sequence with: zcbench fuzz --series 6.1 --seconds 3 --seed 77 --variants pool-free,steal --inject-fault orphan-leak")
        #expect(lines[2] == "replay the shortest sequence found for pool-free with: zcbench fuzz --series 6.1 --variants pool-free --inject-fault orphan-leak --repro e50ca3b1cb4d5245,388f25d207e60985,3945be8ef8766843,4603c7e0813bfde6")
        // The table shows the notes under the checks.
        #expect(TextReport.table([report]).contains("    | repro steal: map4 = mmap(length 0x10000000000, PROT_READ, MAP_SHARED, fd 5, offset 0)"))
    }

    @Test("a kernel crash while fuzzing names the variant it crashed in; a leak, a replay or a pass does not")
    func crashedVariant() throws {
        let oops = try run("fuzz-orphan-oops.json")
        #expect(oops.kernelCrash == "[    3.621926] kernel BUG at zcpool/pool.c:216!")
        let plan = try FuzzPlan(seconds: 3, seed: 77, variants: ["unaccounted", "pool-free"], fault: "orphan-oops", faults: faults)
        #expect(plan.crashedVariant(oops) == "unaccounted")
        let replay = try FuzzPlan(seconds: 3, seed: nil, variants: ["unaccounted"], repro: [0x1f])
        #expect(replay.crashedVariant(oops) == nil, "a replay is not narrowed down again")
        let leak = try run("fuzz-orphan-leak.json")
        #expect(try FuzzPlan(seconds: 3, seed: 77, variants: ["pool-free", "steal"]).crashedVariant(leak) == nil)
    }

    @Test("a narrowed-down crash prints the prefix, its last operations, the crash and the command that repeats it")
    func crashSummary() throws {
        let plan = try FuzzPlan(seconds: 3, seed: 77, variants: ["pool-free"], fault: "orphan-oops", faults: faults)
        let crash = FuzzCrash(variant: "pool-free", seed: 77, thread: try FuzzThread(parsing: "0.1"), operations: 10550,
                              shortest: true, crash: "[    4.440752] kernel BUG at zcpool/pool.c:216!",
                              trace: ["repro pool-free: open(O_RDWR) -> fd 12 (slot 1)"], boots: 17)
        #expect(plan.crashSummary(.found(crash), kernel: .series(.v6_1)) == """
            the kernel crashes with the first 10550 operations of process 0 thread 1 alone, and not with fewer (17 boots); the last of them:
              repro pool-free: open(O_RDWR) -> fd 12 (slot 1)
              then: [    4.440752] kernel BUG at zcpool/pool.c:216!
            repeat it with: zcbench fuzz --series 6.1 --seconds 3 --seed 77 --variants pool-free --inject-fault orphan-oops --thread 0.1 --ops 10550
            """)
        #expect(plan.crashSummary(.unresolved(reason: "no thread crashes the kernel alone in 3 s", boots: 4), kernel: .series(.v6_1))
                == "the crash was not narrowed down to one thread (4 boots): no thread crashes the kernel alone in 3 s")
    }

    @Test("one thread alone goes to the guest as P.K with its operation count", arguments: ["0.0", "1.1"])
    func thread(_ text: String) throws {
        let plan = try FuzzPlan(seconds: 3, seed: 5, variants: ["v1"], thread: try FuzzThread(parsing: text), operations: 40)
        let words = plan.runPlan.guestParameters(options: BootOptions(), timeout: .seconds(60)).words
        #expect(words.contains("zcbench.fuzz_thread=\(text)"))
        #expect(words.contains("zcbench.fuzz_ops=40"))
        #expect(words.contains("zcbench.fuzz_trace_from=24"))
    }

    @Test("a bad thread or operation count is a usage error",
          arguments: ["2.0", "0.2", "1", "a.b", "0.0.0", "-1.0"])
    func badThread(_ text: String) {
        let error = #expect(throws: ZCError.self) { try FuzzThread(parsing: text) }
        #expect(error?.description.contains("expected PROCESS.THREAD, from 0.0 to 1.1") == true)
    }

    @Test("--thread needs --seed and no --repro; --ops needs --thread and at least 1")
    func threadCombinations() throws {
        let thread = try FuzzThread(parsing: "1.0")
        for make in [{ try FuzzPlan(seconds: 3, seed: nil, variants: ["v1"], thread: thread) },
                     { try FuzzPlan(seconds: 3, seed: nil, variants: ["v1"], repro: [1], thread: thread) },
                     { try FuzzPlan(seconds: 3, seed: 9, variants: ["v1"], operations: 5) },
                     { try FuzzPlan(seconds: 3, seed: 9, variants: ["v1"], thread: thread, operations: 0) }] {
            let error = #expect(throws: ZCError.self) { _ = try make() }
            #expect(error?.exitStatus == 2)
        }
    }
}
