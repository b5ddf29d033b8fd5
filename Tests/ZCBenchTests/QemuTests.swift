import Foundation
import Testing
import ZCCore
import Logging
import ZCBench
import ZCQemu

@Suite("QEMU command line")
struct QemuTests {
    func config(_ accelerator: Accelerator = .tcg, console: QemuConfig.Console = .file("/r/console.log"),
                firmware: String? = nil) -> QemuConfig {
        QemuConfig(accelerator: accelerator, memoryMiB: 1024, cpus: 1, kernel: "/k/vmlinuz", initrd: "/r/initramfs.cpio",
                   commandLine: KernelCommandLine(parameters: [("mode", "run"), ("scenarios", "tcp-zerocopy")]),
                   firmware: firmware, console: console, resultsFile: "/r/results.ktap")
    }

    @Test("a run boots with no default devices, no NIC, no reboot, console and results on two serial ports")
    func runArguments() {
        #expect(config().arguments == [
            "-nodefaults", "-no-reboot", "-display", "none", "-no-user-config",
            "-accel", "tcg", "-m", "1024", "-smp", "1",
            "-kernel", "/k/vmlinuz", "-initrd", "/r/initramfs.cpio",
            "-append", "console=ttyS0 rdinit=/init panic=-1 oops=panic ibt=off loglevel=7 cryptomgr.notests tsc=reliable no_timer_check zcbench.mode=run zcbench.scenarios=tcp-zerocopy",
            "-chardev", "file,id=console,path=/r/console.log", "-serial", "chardev:console",
            "-chardev", "file,id=results,path=/r/results.ktap", "-serial", "chardev:results",
        ])
    }

    @Test("the accelerator is TCG unless KVM is asked for", arguments: [
        (Accelerator.tcg, ["-accel", "tcg"]),
        (Accelerator.kvm, ["-accel", "kvm", "-cpu", "host"]),
    ])
    func accelerator(_ accelerator: Accelerator, expected: [String]) {
        let args = config(accelerator).arguments
        let index = try! #require(args.firstIndex(of: "-accel"))
        #expect(Array(args[index..<(index + expected.count)]) == expected)
    }

    @Test("no network device ever", arguments: [Accelerator.tcg, .kvm])
    func noNetwork(_ accelerator: Accelerator) {
        let args = config(accelerator).arguments
        for flag in ["-net", "-netdev", "-nic", "-device"] { #expect(!args.contains(flag)) }
    }

    @Test("firmware only when chosen")
    func firmware() {
        #expect(!config().arguments.contains("-bios"))
        let args = config(firmware: "/usr/share/qemu/qboot.rom").arguments
        #expect(args[args.firstIndex(of: "-bios")! + 1] == "/usr/share/qemu/qboot.rom")
    }

    @Test("the shell puts the console on this terminal with the monitor muxed in")
    func shellConsole() {
        let args = config(console: .terminal).arguments
        #expect(args.contains("stdio,id=console,mux=on,signal=off"))
        #expect(args.contains("chardev=console,mode=readline"))
    }

    @Test("kernel command line keeps the safety parameters first")
    func commandLine() {
        let line = KernelCommandLine(parameters: [("size_mib", "64")], extra: ["nokaslr"]).description
        #expect(line == "console=ttyS0 rdinit=/init panic=-1 oops=panic ibt=off loglevel=7 cryptomgr.notests tsc=reliable no_timer_check zcbench.size_mib=64 nokaslr")
    }

    @Test("the guest's runner stops 10 s before the host's timeout, for timeouts of 30 s and more")
    func runnerTimeout() {
        let launcher = GuestLauncher(options: BootOptions(), progress: StepProgress(enabled: false), logger: Logger(label: "t"))
        #expect(launcher.commandLine(scenarios: ["x"], shell: false, timeout: .seconds(780)).description
            .hasSuffix("zcbench.runner_timeout_s=770"))
        #expect(!launcher.commandLine(scenarios: ["x"], shell: false, timeout: .seconds(8)).description
            .contains("runner_timeout_s"))
    }

    @Test("a missing QEMU binary is a clear error, not a crash")
    func missingQemu() async throws {
        var config = config()
        config.binary = "qemu-system-zcbench-missing"
        let error = await #expect(throws: ZCError.self) { try await QemuProcess(config: config).run() }
        #expect(error?.code == .missingDependency)
        #expect(error?.message.contains("apt-get install qemu-system-x86") == true)
    }
}

@Suite("console log")
struct ConsoleLogTests {
    @Test("a clean 6.12 guest console has no crash marker")
    func clean() throws {
        #expect(ConsoleLog(try fixture("guest-6.12.117-console.log")).firstCrash() == nil)
    }

    @Test("a real kernel panic is found, with the lines after it")
    func panic() throws {
        let crash = try #require(ConsoleLog(try fixture("guest-6.1.0-56-panic-no-init.console.log")).firstCrash())
        #expect(crash.kind == "panic")
        #expect(crash.line.contains("Kernel panic - not syncing: VFS: Unable to mount root fs"))
        #expect(crash.excerpt.first == crash.line)
        #expect(crash.excerpt.contains { $0.contains("panic+0x") })
    }

    @Test("each marker is recognised", arguments: [
        ("[    1.0] WARNING: CPU: 0 PID: 1 at mm/page_alloc.c:1 foo+0x1/0x2", "WARNING"),
        ("[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000", "BUG"),
        ("[    1.0] Oops: 0000 [#1] PREEMPT SMP NOPTI", "Oops"),
        ("[    1.0] BUG: Bad page state in process zcrunner  pfn:0x1234", "BUG"),
        ("[    1.0] general protection fault, probably for non-canonical address", "general protection fault"),
    ])
    func markers(_ line: String, kind: String) {
        #expect(ConsoleLog("boot\n\(line)\nmore\n").firstCrash()?.kind == kind)
    }

    @Test("the tail skips empty lines and carriage returns")
    func tail() {
        #expect(ConsoleLog("a\r\nb\r\n\r\nc\r\n").tail(2) == ["b", "c"])
    }
}
