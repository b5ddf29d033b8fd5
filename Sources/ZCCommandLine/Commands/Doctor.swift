import ArgumentParser
import ZCReport
import ZCRun

public struct DoctorCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Show what is missing on this host, and the command that installs it.")

    @Flag(help: "Print JSON instead of a table.")
    public var json = false

    public init() {}

    public func run() async throws {
        let pipeline = try makePipeline()
        let requirements = await Doctor(paths: pipeline.paths, runner: pipeline.runner).requirements()
        if json {
            printOut(String(decoding: try ReportFormat.json(requirements), as: UTF8.self))
        } else {
            for requirement in requirements {
                let mark = requirement.present ? "ok     " : "MISSING"
                let fix = requirement.present ? "" : "  -> \(requirement.fix)"
                printOut("\(mark) \(requirement.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(requirement.detail)\(fix)")
            }
        }
        if requirements.contains(where: { !$0.present }) { throw ExitCode(1) }
    }
}
