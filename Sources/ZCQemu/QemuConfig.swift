import ZCCore

/// How QEMU executes guest code.
public enum Accelerator: String, Sendable, CaseIterable {
    /// Software emulation: works everywhere, the default.
    case tcg
    /// Hardware virtualization, opt-in: this project's CI /dev/kvm cannot boot stock kernels.
    case kvm
}

/// The kernel command line zcbench boots with: fixed safety parameters plus the guest's
/// `zcbench.*` parameters (ZCGuest's `GuestParameters`, docs/guest-protocol.md).
public struct KernelCommandLine: Sendable, Equatable, CustomStringConvertible {
    /// Parameters every boot gets: console on the first serial port, a panic or Oops ends
    /// the run at once (QEMU exits through -no-reboot), IBT off because indirect calls into
    /// sealed functions BUG() on Debian 6.12, every message but debug on the console (so a
    /// WARNING and what led to it are in console.log). Then three that only save boot time
    /// under TCG (about 0.8 s, `zcbench bench`): no crypto self-tests at registration, and
    /// no TSC watchdog or timer check, which wait for a virtual CPU's clocks to settle.
    public static let base = ["console=ttyS0", "rdinit=/init", "panic=-1", "oops=panic", "ibt=off", "loglevel=7",
                              "cryptomgr.notests", "tsc=reliable", "no_timer_check"]

    /// The guest's `zcbench.<key>=<value>` words, in order.
    public var parameters: [String]
    /// Anything the user adds verbatim.
    public var extra: [String]

    public init(parameters: [String] = [], extra: [String] = []) {
        self.parameters = parameters
        self.extra = extra
    }

    public var description: String {
        (Self.base + parameters + extra).joined(separator: " ")
    }
}

/// Everything one QEMU boot needs, turned into an argument list by ``arguments``.
public struct QemuConfig: Sendable, Equatable {
    public var binary: String
    public var accelerator: Accelerator
    public var memoryMiB: Int
    public var cpus: Int
    public var kernel: String
    public var initrd: String
    public var commandLine: KernelCommandLine
    /// Firmware image (`-bios`), nil for QEMU's default SeaBIOS.
    public var firmware: String?
    /// Where ttyS0 (the console) goes: a log file, or the terminal for `zcbench shell`.
    public var console: Console
    /// Where ttyS1 (KTAP results) goes; nil for none.
    public var resultsFile: String?
    /// Where ttyS2 (`zcbench exec`: the program's output) goes; nil for none.
    public var programFile: String?
    /// TCG only: count guest time in executed instructions (`-icount shift=N,sleep=off`),
    /// each instruction 2^N ns of guest time, so guest clocks no longer follow the host's;
    /// and a fixed date in the guest's RTC, which otherwise seeds the guest's randomness with
    /// the host's time (measured: with it, two runs of zcpool-cost gave the same figures).
    public var icountShift: Int?

    public enum Console: Sendable, Equatable {
        case file(String)
        case terminal
    }

    public init(binary: String = "qemu-system-x86_64", accelerator: Accelerator = .tcg, memoryMiB: Int = 1024,
                cpus: Int = 1, kernel: String, initrd: String, commandLine: KernelCommandLine,
                firmware: String? = nil, console: Console, resultsFile: String?) {
        self.binary = binary
        self.accelerator = accelerator
        self.memoryMiB = memoryMiB
        self.cpus = cpus
        self.kernel = kernel
        self.initrd = initrd
        self.commandLine = commandLine
        self.firmware = firmware
        self.console = console
        self.resultsFile = resultsFile
    }

    /// The argument list: no default devices and no network device, no reboot (a guest
    /// reboot or panic ends QEMU), no display, ttyS0 and ttyS1 as configured.
    public var arguments: [String] {
        var args = ["-nodefaults", "-no-reboot", "-display", "none", "-no-user-config"]
        switch accelerator {
        case .tcg: args += ["-accel", "tcg"]
        case .kvm: args += ["-accel", "kvm", "-cpu", "host"]
        }
        if let icountShift, accelerator == .tcg {
            // sleep=off: an idle guest's clock jumps to the next timer instead of waiting
            // for the host's; align=off (the default): never slowed to the host's time. The
            // RTC's date is fixed and follows the virtual clock.
            args += ["-icount", "shift=\(icountShift),sleep=off", "-rtc", "base=2026-01-01T00:00:00,clock=vm"]
        }
        args += ["-m", "\(memoryMiB)", "-smp", "\(cpus)"]
        if let firmware { args += ["-bios", firmware] }
        args += ["-kernel", kernel, "-initrd", initrd, "-append", commandLine.description]
        switch console {
        case .file(let path):
            args += ["-chardev", "file,id=console,path=\(path)", "-serial", "chardev:console"]
        case .terminal:
            args += ["-chardev", "stdio,id=console,mux=on,signal=off", "-serial", "chardev:console",
                     "-mon", "chardev=console,mode=readline"]
        }
        if let resultsFile {
            args += ["-chardev", "file,id=results,path=\(resultsFile)", "-serial", "chardev:results"]
            if let programFile {
                args += ["-chardev", "file,id=program,path=\(programFile)", "-serial", "chardev:program"]
            }
        }
        return args
    }

    public var command: Command { Command(binary, arguments) }
}
