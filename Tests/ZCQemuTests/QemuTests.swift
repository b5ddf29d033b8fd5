import Foundation
import Testing
import ZCTestSupport
import ZCCore
import ZCQemu

@Suite("QEMU command line")
struct QemuTests {
    func config(_ accelerator: Accelerator = .tcg, console: QemuConfig.Console = .file("/r/console.log"),
                firmware: String? = nil) -> QemuConfig {
        QemuConfig(accelerator: accelerator, memoryMiB: 1024, cpus: 1, kernel: "/k/vmlinuz", initrd: "/r/initramfs.cpio",
                   commandLine: KernelCommandLine(parameters: ["zcbench.mode=run", "zcbench.scenarios=tcp-zerocopy"]),
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

    @Test("-icount with TCG: guest time in instructions, idle time skipped, the RTC's date fixed; never with KVM")
    func icount() {
        var tcg = config()
        #expect(!tcg.arguments.contains("-icount"))
        tcg.icountShift = 0
        let args = tcg.arguments
        let index = try! #require(args.firstIndex(of: "-icount"))
        #expect(Array(args[index..<(index + 4)]) == ["-icount", "shift=0,sleep=off", "-rtc", "base=2026-01-01T00:00:00,clock=vm"])
        var kvm = config(.kvm)
        kvm.icountShift = 0
        #expect(!kvm.arguments.contains("-icount"))
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
        let line = KernelCommandLine(parameters: ["zcbench.size_mib=64"], extra: ["nokaslr"]).description
        #expect(line == "console=ttyS0 rdinit=/init panic=-1 oops=panic ibt=off loglevel=7 cryptomgr.notests tsc=reliable no_timer_check zcbench.size_mib=64 nokaslr")
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
