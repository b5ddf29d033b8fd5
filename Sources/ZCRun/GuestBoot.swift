import ZCAnalysis
import Foundation
import Logging
import ZCBuild
import ZCCore
import ZCGuest
import ZCInitramfs
import ZCKernel
import ZCQemu

/// What one boot left behind: the files, how QEMU ended, what the guest said, and where the
/// time went (the guest-side phases; the pipeline adds kernel and build).
public struct GuestRun: Sendable {
    public var directory: URL
    public var exit: QemuExit
    public var output: GuestOutput
    public var phases = Phases()

    public init(directory: URL, exit: QemuExit, output: GuestOutput) {
        self.directory = directory
        self.exit = exit
        self.output = output
    }

    public var consoleLog: URL { directory.appendingPathComponent("console.log") }
    public var resultsFile: URL { directory.appendingPathComponent("results.ktap") }
}

/// Boots a kernel with the zcbench initramfs and collects console log and KTAP results.
public struct GuestBoot: Sendable {
    public var options: BootOptions
    public var progress: StepProgress
    public var logger: Logger

    public init(options: BootOptions, progress: StepProgress, logger: Logger) {
        self.options = options
        self.progress = progress
        self.logger = logger
    }

    /// The kernel command line for a boot with `parameters`.
    public func commandLine(_ parameters: GuestParameters) -> KernelCommandLine {
        KernelCommandLine(parameters: parameters.words, extra: options.extraKernelArguments)
    }

    /// Writes the initramfs for `products`, with `extraFiles`, to `url`.
    public func writeInitramfs(products: BuildProducts, to url: URL, extraFiles: [InitramfsLayout.ExtraFile] = []) throws {
        let layout = InitramfsLayout(initPath: products.initProgram, busyboxPath: options.busybox,
                                     zcrunnerPath: products.runner, modulePath: products.module,
                                     livepatchPath: products.livepatch, extraFiles: extraFiles)
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
                parameters: GuestParameters, program: URL? = nil) -> QemuConfig {
        var config = QemuConfig(accelerator: options.accelerator, memoryMiB: options.memoryMiB, cpus: options.cpus,
                                kernel: options.directBoot ? kernel.vmlinux ?? kernel.vmlinuz : kernel.vmlinuz,
                                initrd: initrd.path, commandLine: commandLine(parameters), firmware: options.firmware,
                                console: console, resultsFile: results?.path)
        config.programFile = program?.path
        config.icountShift = options.icountShift
        return config
    }

    /// Boots once with `parameters` and returns what the guest reported. The run directory
    /// keeps console.log, results.ktap and qemu.cmdline, and with `exec` program.out, the
    /// program's output, which `exec.stream` gets as it arrives.
    public func run(kernel: KernelTarget, products: BuildProducts, parameters: GuestParameters,
                    timeout: Duration, in directory: URL, exec: ExecAttachment? = nil) async throws -> GuestRun {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ZCError(.io, "cannot create the run directory \(directory.path): \(error.localizedDescription)")
        }
        let initrd = directory.appendingPathComponent("initramfs.cpio")
        let initramfsStart = ContinuousClock.now
        try writeInitramfs(products: products, to: initrd, extraFiles: exec?.files ?? [])
        var phases = Phases()
        phases.initramfs = (ContinuousClock.now - initramfsStart).seconds
        let consoleLog = directory.appendingPathComponent("console.log")
        let resultsFile = directory.appendingPathComponent("results.ktap")
        let programFile = exec.map { _ in directory.appendingPathComponent("program.out") }
        let qemu = QemuProcess(config: config(kernel: kernel, initrd: initrd, console: .file(consoleLog.path),
                                              results: resultsFile, parameters: parameters, program: programFile),
                               timeout: timeout, logger: logger)
        let streaming = Task {
            guard let exec, let programFile else { return }
            await OutputStreamer(file: programFile, sink: exec.stream).stream()
        }
        defer { streaming.cancel() }
        try? Data(qemu.config.command.description.utf8).write(to: directory.appendingPathComponent("qemu.cmdline"))
        let exit: QemuExit
        let progress = self.progress
        // The live line reads the results twice a second: only where it is shown.
        var watcher = ResultsWatcher(file: resultsFile)
        if progress.enabled {
            watcher.onProgress = { state, elapsed in
                progress.live(String(format: "    %@, %.0f s", state.description, elapsed.seconds))
            }
        }
        let watching = Task { await watcher.watch() }
        do {
            exit = try await progress.step("booting \(kernel.release) (\(options.acceleratorName)) for \(parameters.scenarios.joined(separator: ", "))") {
                let exit = try await qemu.run()
                // The live line goes before the step's own last line.
                watching.cancel()
                _ = await watching.value
                progress.endLive()
                return exit
            }
        } catch var error as ZCError {
            watching.cancel()
            progress.endLive()
            error.details.append("console log and partial results kept in \(directory.path)")
            throw error
        }
        let (started, finished) = await watching.value
        streaming.cancel()
        await streaming.value
        phases.boot = started?.seconds
        if let started, let finished { phases.scenarios = (finished - started).seconds }
        if let finished { phases.teardown = max(0, (exit.wallTime - finished).seconds) }
        try? FileManager.default.removeItem(at: initrd)
        let console = ConsoleLog((try? String(contentsOf: consoleLog, encoding: .utf8)) ?? "")
        let ktap = (try? String(contentsOf: resultsFile, encoding: .utf8)) ?? ""
        if case .exited(let status) = exit.reason, status != 0, console.text.isEmpty {
            throw ZCError(.commandFailed, "QEMU exited with status \(status) before the guest printed anything",
                          details: exit.qemuOutput.split(separator: "\n").suffix(10).map(String.init))
        }
        phases.kernelToInit = console.kernelTimeToInit
        var run = GuestRun(directory: directory, exit: exit,
                           output: GuestOutput(results: KTAPDocument(parsing: ktap), console: console,
                                               timedOut: exit.reason == .timedOut))
        run.phases = phases
        return run
    }

    /// Boots with the module loaded and an interactive shell on this terminal.
    public func shell(kernel: KernelTarget, products: BuildProducts, in directory: URL) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let initrd = directory.appendingPathComponent("initramfs.cpio")
        try writeInitramfs(products: products, to: initrd)
        var parameters = GuestParameters()
        parameters.mode = .shell
        parameters.sizeMiB = options.sizeMiB
        parameters.settleMilliseconds = options.settleMilliseconds
        parameters.flushStats = options.flushStats
        var qemu = QemuProcess(config: config(kernel: kernel, initrd: initrd, console: .terminal, results: nil,
                                              parameters: parameters),
                               timeout: .seconds(365 * 24 * 3600), logger: logger)
        qemu.grace = .seconds(2)
        progress.note("zcbench shell: \(kernel.release); exit the shell (or press Ctrl-A X) to power off")
        _ = try await qemu.run()
        try? FileManager.default.removeItem(at: initrd)
    }
}

/// What `zcbench exec` adds to a boot: the program's files in the initramfs, and where its
/// output goes as it arrives.
public struct ExecAttachment: Sendable {
    public var files: [InitramfsLayout.ExtraFile]
    public var stream: @Sendable (Data) -> Void

    public init(files: [InitramfsLayout.ExtraFile], stream: @escaping @Sendable (Data) -> Void) {
        self.files = files
        self.stream = stream
    }
}

/// Passes on what a file QEMU writes (the program port) gains, while QEMU runs and once
/// more after, so that nothing written before power-off is lost.
struct OutputStreamer: Sendable {
    var file: URL
    var sink: @Sendable (Data) -> Void
    var interval: Duration = .milliseconds(50)

    func stream() async {
        var offset: UInt64 = 0
        func look() {
            guard let handle = try? FileHandle(forReadingFrom: file) else { return }
            defer { try? handle.close() }
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else { return }
            offset += UInt64(data.count)
            sink(data)
        }
        while !Task.isCancelled {
            look()
            try? await Task.sleep(for: interval)
        }
        look()
    }
}
