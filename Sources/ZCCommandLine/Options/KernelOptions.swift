import ArgumentParser
import ZCCore
import ZCKernel
import ZCRun

/// The kernel a command boots: a Debian series (6.1, 6.12, or all of them), or a kernel the
/// user built (`--kernel` with `--headers`).
public struct KernelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Debian kernel series: 6.1 (default), 6.12 or all.", valueName: "6.1|6.12|all"))
    public var series: String?

    @Option(help: "A kernel image you built (bzImage); needs --headers.")
    public var kernel: String?

    @Option(help: "The kbuild tree for --kernel (with include/config/kernel.release).")
    public var headers: String?

    @Option(name: .customLong("kernel-build"),
            help: ArgumentHelp("A kernel `zcbench kernel build` built, by the name it printed.", valueName: "name"))
    public var kernelBuild: String?

    public init() {}

    /// The series asked for: one, or every one for `all`.
    func seriesList() throws -> [KernelSeries] {
        let series = series ?? KernelSeries.v6_1.rawValue
        return series == "all" ? KernelSeries.allCases : [try KernelSeries.parse(series)]
    }

    /// Every kernel asked for, in order.
    public func choices() throws -> [KernelChoice] {
        if let kernelBuild {
            guard series == nil, kernel == nil, headers == nil else {
                throw ZCError(.usage, "--kernel-build names one kernel: leave --series, --kernel and --headers out")
            }
            return [.build(kernelBuild)]
        }
        switch (kernel, headers) {
        case (let kernel?, let headers?):
            guard series == nil else {
                throw ZCError(.usage, "--kernel and --headers name one kernel: leave --series out")
            }
            return [.custom(bzImage: kernel, headers: headers)]
        case (nil, nil): return try seriesList().map(KernelChoice.series)
        default: throw ZCError(.usage, "--kernel and --headers go together")
        }
    }

    /// The one kernel a command that boots once takes.
    func single(_ command: String) throws -> KernelChoice {
        let list = try choices()
        guard list.count == 1 else {
            throw ZCError(.usage, "\(command) boots one kernel: --series 6.1 or 6.12, not all")
        }
        return list[0]
    }

    /// The Debian series of a command that boots Debian's kernels only.
    func debianSeries(_ command: String) throws -> [KernelSeries] {
        guard kernel == nil, headers == nil, kernelBuild == nil else {
            throw ZCError(.usage, "\(command) boots Debian's kernels: --series, not --kernel/--headers/--kernel-build")
        }
        return try seriesList()
    }

    /// The one Debian series of a command that boots one Debian kernel.
    func oneDebianSeries(_ command: String) throws -> KernelSeries {
        let list = try debianSeries(command)
        guard list.count == 1 else {
            throw ZCError(.usage, "\(command) boots one kernel: --series 6.1 or 6.12, not all")
        }
        return list[0]
    }
}
