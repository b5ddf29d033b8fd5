import ZCAnalysis
import Foundation
import Logging
import ZCBuild
import ZCCore
import ZCGuest
import ZCInitramfs
import ZCKernel
import ZCQemu

/// How to boot the guest: everything but the kernel and the build products.
public struct BootOptions: Sendable, Equatable {
    public var accelerator: Accelerator = .tcg
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
    /// More `zcbench.<key>=<value>` parameters for a scenario (the fuzzer's seed, ...).
    public var guestParameters: [String: String] = [:]
    public var busybox: String = "/bin/busybox"

    public init() {}
}

/// What one boot left behind: the files, how QEMU ended, and the parsed results.
public struct GuestRun: Sendable {
    public var directory: URL
    public var consoleLog: URL
    public var resultsFile: URL
    public var exit: QemuExit
    public var console: ConsoleLog
    public var results: KTAPDocument
    /// The first panic, Oops, BUG or WARNING in the console, if any.
    public var crash: ConsoleLog.Crash?
    /// Where the wall time went (the guest-side phases; Bench adds kernel and build).
    public var phases = Phases()

    public init(directory: URL, exit: QemuExit, console: ConsoleLog, results: KTAPDocument) {
        self.directory = directory
        consoleLog = directory.appendingPathComponent("console.log")
        resultsFile = directory.appendingPathComponent("results.ktap")
        self.exit = exit
        self.console = console
        self.results = results
        crash = console.firstCrash()
    }

    /// Why this run cannot be trusted, or nil when the guest finished cleanly.
    public var failure: String? {
        if let crash { return "the guest kernel reported a \(crash.kind): \(crash.line.trimmingCharacters(in: .whitespaces))" }
        if case .timedOut = exit.reason { return "the guest did not finish within the timeout; QEMU was stopped" }
        if results.exitStatus == 137 {
            return "the guest stopped the runner at its timeout (zcbench.runner_timeout_s); results up to then are kept"
        }
        if !results.isComplete || results.exitStatus == nil { return "the guest's results end early (no result line or no exit status): it crashed or hung" }
        return nil
    }

    /// The console lines to show with ``failure``.
    public var failureExcerpt: [String] {
        if let crash { return crash.excerpt }
        let tail = console.tail(20)
        return tail.isEmpty ? ["(the console log is empty: the kernel printed nothing)"] : tail
    }
}

/// Boots a kernel with the zcbench initramfs and collects console log and KTAP results.
public struct GuestLauncher: Sendable {
    public var options: BootOptions
    public var progress: StepProgress
    public var logger: Logger

    public init(options: BootOptions, progress: StepProgress, logger: Logger) {
        self.options = options
        self.progress = progress
        self.logger = logger
    }

    /// The kernel command line for a boot running `scenarios` (or a shell when `shell`).
    public func commandLine(scenarios: [String], variants: [String] = [], shell: Bool,
                            timeout: Duration? = nil) -> KernelCommandLine {
        var parameters: [(key: String, value: String)] = [("mode", shell ? "shell" : "run")]
        if !scenarios.isEmpty { parameters.append(("scenarios", scenarios.joined(separator: ","))) }
        if !variants.isEmpty { parameters.append(("variants", variants.joined(separator: ","))) }
        parameters.append(("size_mib", "\(options.sizeMiB)"))
        parameters.append(("settle_ms", "\(options.settleMilliseconds)"))
        parameters.append(("flush_stats", options.flushStats ? "1" : "0"))
        parameters += options.guestParameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if let timeout, timeout >= .seconds(30) {
            // init stops the runner a little before the host stops QEMU, so what it
            // measured so far and its exit status still reach the results port.
            parameters.append(("runner_timeout_s", "\(timeout.components.seconds - 10)"))
        }
        return KernelCommandLine(parameters: parameters, extra: options.extraKernelArguments)
    }

    /// Writes the initramfs for `products` into `directory`.
    public func writeInitramfs(products: BuildProducts, to url: URL) throws {
        let layout = InitramfsLayout(initPath: products.initProgram, busyboxPath: options.busybox,
                                     zcrunnerPath: products.runner, modulePath: products.module)
        do {
            let bytes = try layout.build { path in [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
            try Data(bytes).write(to: url, options: .atomic)
        } catch let error as InitramfsError {
            throw ZCError(.io, error.description)
        } catch {
            throw ZCError(.io, "cannot write the initramfs \(url.path): \(error.localizedDescription)")
        }
    }

    func config(kernel: KernelTarget, initrd: URL, console: QemuConfig.Console, results: URL?,
                scenarios: [String], variants: [String] = [], shell: Bool, timeout: Duration? = nil) -> QemuConfig {
        QemuConfig(accelerator: options.accelerator, memoryMiB: options.memoryMiB, cpus: options.cpus,
                   kernel: options.directBoot ? kernel.vmlinux ?? kernel.vmlinuz : kernel.vmlinuz, initrd: initrd.path,
                   commandLine: commandLine(scenarios: scenarios, variants: variants, shell: shell, timeout: timeout),
                   firmware: options.firmware, console: console, resultsFile: results?.path)
    }

    /// Boots once, runs `scenarios` in the guest and returns what it reported.
    /// The run directory keeps console.log and results.ktap.
    public func run(kernel: KernelTarget, products: BuildProducts, scenarios: [String], variants: [String] = [],
                    timeout: Duration, in directory: URL) async throws -> GuestRun {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ZCError(.io, "cannot create the run directory \(directory.path): \(error.localizedDescription)")
        }
        let initrd = directory.appendingPathComponent("initramfs.cpio")
        let initramfsStart = ContinuousClock.now
        try writeInitramfs(products: products, to: initrd)
        var phases = Phases()
        phases.initramfs = (ContinuousClock.now - initramfsStart).seconds
        let consoleLog = directory.appendingPathComponent("console.log")
        let resultsFile = directory.appendingPathComponent("results.ktap")
        let qemu = QemuProcess(config: config(kernel: kernel, initrd: initrd, console: .file(consoleLog.path),
                                              results: resultsFile, scenarios: scenarios, variants: variants, shell: false,
                                              timeout: timeout),
                               timeout: timeout, logger: logger)
        try? Data(qemu.config.command.description.utf8).write(to: directory.appendingPathComponent("qemu.cmdline"))
        let exit: QemuExit
        let watcher = ResultsWatcher(file: resultsFile)
        let watching = Task { await watcher.watch() }
        do {
            exit = try await progress.step("booting \(kernel.release) (\(options.accelerator.rawValue)) for \(scenarios.joined(separator: ", "))") {
                try await qemu.run()
            }
            watching.cancel()
        } catch var error as ZCError {
            watching.cancel()
            error.details.append("console log and partial results kept in \(directory.path)")
            throw error
        }
        let (started, finished) = await watching.value
        phases.boot = started?.seconds
        if let started, let finished { phases.scenarios = (finished - started).seconds }
        if let finished { phases.teardown = (exit.wallTime - finished).seconds }
        try? FileManager.default.removeItem(at: initrd)
        let console = ConsoleLog((try? String(contentsOf: consoleLog, encoding: .utf8)) ?? "")
        let ktap = (try? String(contentsOf: resultsFile, encoding: .utf8)) ?? ""
        if case .exited(let status) = exit.reason, status != 0, console.text.isEmpty {
            throw ZCError(.commandFailed, "QEMU exited with status \(status) before the guest printed anything",
                          details: exit.qemuOutput.split(separator: "\n").suffix(10).map(String.init))
        }
        phases.kernelToInit = console.kernelTimeToInit
        var run = GuestRun(directory: directory, exit: exit, console: console, results: KTAPDocument(parsing: ktap))
        run.phases = phases
        return run
    }

    /// Boots with the module loaded and an interactive shell on this terminal.
    public func shell(kernel: KernelTarget, products: BuildProducts, in directory: URL) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let initrd = directory.appendingPathComponent("initramfs.cpio")
        try writeInitramfs(products: products, to: initrd)
        var qemu = QemuProcess(config: config(kernel: kernel, initrd: initrd, console: .terminal, results: nil,
                                              scenarios: [], shell: true),
                               timeout: .seconds(365 * 24 * 3600), logger: logger)
        qemu.grace = .seconds(2)
        progress.note("zcbench shell: \(kernel.release); exit the shell (or press Ctrl-A X) to power off")
        _ = try await qemu.run()
        try? FileManager.default.removeItem(at: initrd)
    }
}

/// Wall time of each phase of a run, in seconds; nil for a phase that did not happen.
public struct Phases: Sendable, Codable, Equatable {
    /// Finding (or fetching) the kernel.
    public var kernel: Double?
    /// kbuild and the guest programs (near zero when nothing changed).
    public var build: Double?
    /// Writing the initramfs.
    public var initramfs: Double?
    /// QEMU start until the runner's first result byte (firmware, kernel boot, init, module load).
    public var boot: Double?
    /// Of that, the kernel's own clock when /init started (init's `started at uptime` line).
    public var kernelToInit: Double?
    /// The runner's first result byte until its exit line.
    public var scenarios: Double?
    /// The exit line until QEMU is gone (power-off).
    public var teardown: Double?

    public init() {}

    /// "kernel 0.3 s, build 0.1 s, ..." for the phases that happened.
    public var summary: String {
        [("kernel", kernel), ("build", build), ("initramfs", initramfs), ("boot", boot), ("scenarios", scenarios),
         ("teardown", teardown)]
            .compactMap { name, value in value.map { String(format: "%@ %.1f s", name, $0) } }
            .joined(separator: ", ")
    }
}

/// Watches the results file while QEMU runs, noting when the runner first wrote and when
/// the exit line arrived (wall time since the watch began).
struct ResultsWatcher: Sendable {
    var file: URL
    var interval: Duration = .milliseconds(20)

    func watch() async -> (started: Duration?, finished: Duration?) {
        let start = ContinuousClock.now
        var started: Duration?
        var finished: Duration?
        while !Task.isCancelled && finished == nil {
            if let data = try? Data(contentsOf: file), !data.isEmpty {
                if started == nil { started = ContinuousClock.now - start }
                if data.range(of: Data("# zcbench-exit".utf8)) != nil { finished = ContinuousClock.now - start }
            }
            try? await Task.sleep(for: interval)
        }
        return (started, finished)
    }
}
