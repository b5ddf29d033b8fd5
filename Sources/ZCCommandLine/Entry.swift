import ArgumentParser
import Foundation
import Synchronization
import ZCCore

/// The signal that stopped zcbench, 0 while none has.
private let receivedSignal = Atomic<Int32>(0)

/// Runs zcbench with `arguments` and exits: parses, runs the command in a task that SIGINT
/// and SIGTERM cancel (every child process is torn down on cancellation), prints typed
/// errors as one-line causes, and maps them to exit statuses.
public enum Entry {
    public static func main(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        let command: any ParsableCommand
        switch parse(arguments) {
        case .success(let parsed): command = parsed
        case .failure(let exit):
            (exit.status == 0 ? FileHandle.standardOutput : FileHandle.standardError).write(Data((exit.message + "\n").utf8))
            Foundation.exit(exit.status)
        }
        let task = Task<Int32, Never> {
            do {
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    var syncCommand = command
                    try syncCommand.run()
                }
                return 0
            } catch let error as ZCError {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                let stoppedBy = receivedSignal.load(ordering: .relaxed)
                return stoppedBy != 0 ? 128 + stoppedBy : error.exitStatus
            } catch let error as ExitCode {
                return error.rawValue
            } catch {
                FileHandle.standardError.write(Data((ZCBenchCommand.fullMessage(for: error) + "\n").utf8))
                return ZCBenchCommand.exitCode(for: error).rawValue
            }
        }
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if task.isCancelled {
                    // A second signal: stop waiting for a graceful teardown.
                    exit(128 + number)
                }
                FileHandle.standardError.write(Data("zcbench: \(number == SIGINT ? "SIGINT" : "SIGTERM"): stopping children\n".utf8))
                receivedSignal.store(number, ordering: .relaxed)
                task.cancel()
            }
            source.resume()
            return source
        }
        let status = await task.value
        sources.forEach { $0.cancel() }
        let stoppedBy = receivedSignal.load(ordering: .relaxed)
        exit(stoppedBy != 0 && status == 0 ? 128 + stoppedBy : status)
    }

    /// How a command line that did not parse ends: its message and exit status.
    public struct ParseExit: Error, Equatable {
        public var message: String
        public var status: Int32
    }

    /// Parses `arguments` into a command. `--help` and `--version` end with their text and
    /// status 0; any other failure with one line and status 2, like every usage error.
    public static func parse(_ arguments: [String]) -> Result<any ParsableCommand, ParseExit> {
        do {
            return .success(try ZCBenchCommand.parseAsRoot(arguments))
        } catch {
            let status = ZCBenchCommand.exitCode(for: error)
            let message = ZCBenchCommand.fullMessage(for: error)
            if status == .success { return .failure(ParseExit(message: message, status: 0)) }
            let first = message.split(separator: "\n").first.map(String.init) ?? "invalid command line"
            let line = first.hasPrefix("Error: ") ? String(first.dropFirst("Error: ".count)) : first
            return .failure(ParseExit(message: "error: \(line) (see --help)", status: 2))
        }
    }
}

