import ArgumentParser
import ZCCore
import ZCQemu
import ZCRun

/// Options that shape the boot.
public struct BootArguments: ParsableArguments {
    @Option(help: "Accelerator: tcg (default) or kvm (opt-in; stock kernels need a full KVM).")
    public var accel: String = Accelerator.tcg.rawValue

    @Option(help: "TCG only: count guest time in executed instructions, 2^N ns each (QEMU -icount shift=N,sleep=off), so the guest's timings repeat whatever the host's load; 0 to 10.")
    public var icount: Int?

    @Option(help: "Boot path: pvh (the uncompressed vmlinux through its PVH entry, fast) or bzimage (firmware + in-guest decompression).")
    public var boot: String = "pvh"

    @Option(help: "Firmware: qboot (default where QEMU ships it) or seabios.")
    public var firmware: String = "qboot"

    @Option(help: "Guest vCPUs (default 1, which keeps memcg's per-cpu batching tolerance smallest; fuzz: 2, so that the module's locking runs in parallel).")
    public var cpus: Int?

    @Option(help: "Guest memory in MiB.")
    public var memory: Int = 1024

    @Option(help: "Wall-clock timeout for one boot, in seconds; QEMU is stopped after it (default: from what the boot runs).")
    public var timeout: Int?

    @Option(name: .customLong("size-mib"), help: "Receive size in MiB for scenarios that take one.")
    public var sizeMiB: Int = 32

    @Option(name: .customLong("settle-ms"), help: "Wait before each cgroup sample in the guest, in ms (default 0).")
    public var settleMilliseconds: Int = 0

    @Flag(inversion: .prefixedNo, help: "Flush memcg's stats through zcpool before each cgroup sample, so memory.stat is exact at once; without it, memory.stat lags until memcg's periodic flush (about 2 s: pair --no-flush-stats with --settle-ms 2500).")
    public var flushStats = true

    @Option(name: .customLong("append"), help: "Kernel parameters to add, space-separated (after zcbench's own).")
    public var append: String?

    public init() {}

    /// The boot options, with `defaultCPUs` vCPUs unless --cpus says otherwise.
    public func options(defaultCPUs: Int = 1) throws -> BootOptions {
        let cpus = cpus ?? defaultCPUs
        guard let accelerator = Accelerator(rawValue: accel) else {
            throw ZCError(.usage, "unknown accelerator '\(accel)'; valid: \(Accelerator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let icount {
            guard accelerator == .tcg else { throw ZCError(.usage, "--icount needs --accel tcg: it counts the instructions TCG executes") }
            guard (0...10).contains(icount) else { throw ZCError(.usage, "--icount must be between 0 and 10") }
        }
        guard cpus >= 1, cpus <= 64 else { throw ZCError(.usage, "--cpus must be between 1 and 64") }
        guard ["pvh", "bzimage"].contains(boot) else { throw ZCError(.usage, "unknown boot path '\(boot)'; valid: pvh, bzimage") }
        guard ["qboot", "seabios"].contains(firmware) else {
            throw ZCError(.usage, "unknown firmware '\(firmware)'; valid: qboot, seabios")
        }
        guard memory >= 256 else { throw ZCError(.usage, "--memory must be at least 256 MiB") }
        if let timeout, timeout < 1 { throw ZCError(.usage, "--timeout must be at least 1 second") }
        guard sizeMiB >= 1, sizeMiB * 2 < memory else {
            throw ZCError(.usage, "--size-mib must be at least 1 and under half of --memory (\(memory) MiB)")
        }
        guard settleMilliseconds >= 0 else { throw ZCError(.usage, "--settle-ms must not be negative") }
        var options = BootOptions()
        options.accelerator = accelerator
        options.icountShift = icount
        options.cpus = cpus
        options.memoryMiB = memory
        options.timeout = timeout.map { .seconds($0) }
        options.sizeMiB = sizeMiB
        options.settleMilliseconds = settleMilliseconds
        options.flushStats = flushStats
        options.directBoot = boot == "pvh"
        options.extraKernelArguments = append.map { $0.split(separator: " ").map(String.init) } ?? []
        if firmware == "seabios" { options.firmware = nil }
        return options
    }
}
