import Foundation
import ZCQemu

/// How to boot the guest: everything but the kernel and the build products.
public struct BootOptions: Sendable, Equatable {
    public var accelerator: Accelerator = .tcg
    /// Guest time counted in executed instructions, 2^shift ns each (QEMU `-icount`), or
    /// nil for the host's clock.
    public var icountShift: Int?

    /// The accelerator as reports name it: `tcg`, `kvm`, or `tcg icount shift=N` (then the
    /// guest's times count instructions, not host time).
    public var acceleratorName: String {
        guard let icountShift, accelerator == .tcg else { return accelerator.rawValue }
        return "tcg icount shift=\(icountShift)"
    }
    public var cpus: Int = 1
    public var memoryMiB: Int = 1024
    /// Wall-clock limit of one boot; nil: ``RunPlan/defaultTimeout`` of what it runs.
    public var timeout: Duration?
    /// Receive size for the scenarios that take one.
    public var sizeMiB: Int = 32
    /// Wait before each cgroup sample in the guest.
    public var settleMilliseconds: Int = 0
    /// Flush memcg's rstat through zcpool before each cgroup sample (else memory.stat
    /// lags until the periodic flush, about every 2 s).
    public var flushStats = true
    /// Firmware image; qboot (faster than SeaBIOS) when QEMU ships it.
    public var firmware: String? = FileManager.default.fileExists(atPath: "/usr/share/qemu/qboot.rom")
        ? "/usr/share/qemu/qboot.rom" : nil
    /// Boot the uncompressed vmlinux through its PVH entry when the cache has one (fast),
    /// or always the bzImage.
    public var directBoot = true
    /// Kernel parameters appended verbatim (`--append`).
    public var extraKernelArguments: [String] = []
    public var busybox: String = "/bin/busybox"

    public init() {}
}
