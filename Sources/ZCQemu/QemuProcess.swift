import Foundation
import Logging
import Subprocess
import ZCCore
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// How a QEMU run ended.
public struct QemuExit: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// QEMU exited by itself (guest power-off, reboot or panic) with this status.
        case exited(Int32)
        /// The wall-clock timeout expired and zcbench stopped QEMU.
        case timedOut
    }

    public var reason: Reason
    public var wallTime: Duration
    /// What QEMU itself printed on stdout and stderr (not the guest).
    public var qemuOutput: String

    public init(reason: Reason, wallTime: Duration, qemuOutput: String) {
        self.reason = reason
        self.wallTime = wallTime
        self.qemuOutput = qemuOutput
    }
}

/// The owner of one QEMU process: starts it in its own session, waits for it against a
/// wall-clock deadline, and tears it down (SIGTERM, then SIGKILL after `grace`) on timeout
/// or when the calling task is cancelled (SIGINT, SIGTERM). QEMU never outlives `run`.
public struct QemuProcess: Sendable {
    public var config: QemuConfig
    public var timeout: Duration
    public var grace: Duration
    public var logger: Logger

    public init(config: QemuConfig, timeout: Duration = .seconds(120), grace: Duration = .seconds(2),
                logger: Logger = Logger(label: "zcbench.qemu")) {
        self.config = config
        self.timeout = timeout
        self.grace = grace
        self.logger = logger
    }

    /// Boots the guest and returns when QEMU is gone.
    public func run() async throws -> QemuExit {
        guard let binary = findExecutable(config.binary) else {
            throw ZCError(.missingDependency, "\(config.binary) not found; install it with: apt-get install qemu-system-x86")
        }
        logger.debug("starting \(config.command)")
        var options = PlatformOptions()
        options.createSession = config.console != .terminal
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: false, allowedDurationToNextStep: grace)]
        let configuration = Configuration(executable: .path(FilePath(binary)),
                                          arguments: Arguments(config.arguments),
                                          platformOptions: options)
        let interactive = config.console == .terminal
        let start = ContinuousClock.now
        let timeout = self.timeout

        enum Event: Sendable { case finished(Int32, String), deadline }
        let event: Event
        do {
          event = try await withThrowingTaskGroup(of: Event.self) { group in
            group.addTask {
                let status: TerminationStatus
                let output: String
                if interactive {
                    let result = try await Subprocess.run(
                        configuration,
                        input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false),
                        output: .currentStandardOutput, error: .currentStandardError)
                    status = result.terminationStatus
                    output = ""
                } else {
                    let result = try await Subprocess.run(configuration, output: .string(limit: 1 << 20),
                                                          error: .combinedWithOutput)
                    status = result.terminationStatus
                    output = result.standardOutput
                }
                switch status {
                case .exited(let code): return .finished(code, output)
                case .signaled(let signal): return .finished(128 + signal, output)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .deadline
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { return .deadline }
            return first
          }
        } catch {
            if Task.isCancelled { throw ZCError(.interrupted, "interrupted: QEMU was stopped") }
            throw ZCError(.commandFailed, "could not run \(binary): \(error)")
        }
        let wall = ContinuousClock.now - start
        if Task.isCancelled {
            throw ZCError(.interrupted, "interrupted: QEMU was stopped")
        }
        switch event {
        case .finished(let status, let output):
            return QemuExit(reason: .exited(status), wallTime: wall, qemuOutput: output)
        case .deadline:
            return QemuExit(reason: .timedOut, wallTime: wall, qemuOutput: "")
        }
    }
}
