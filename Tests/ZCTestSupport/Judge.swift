import Foundation
import ZCAnalysis
import ZCGuest

/// A run judged from captured guest output, as `zcbench run` would judge it.
public func judge(ktap: String, console: String = "", timedOut: Bool = false,
                  scenarios: [any Scenario] = [TCPZerocopyScenario()]) -> RunReport {
    let output = GuestOutput(results: KTAPDocument(parsing: ktap), console: ConsoleLog(console), timedOut: timedOut)
    let context = RunContext(kernel: "6.1.0-56-amd64", series: "6.1", accelerator: "tcg", cpus: 1, sizeMiB: 32,
                             runDirectory: "/tmp/zc-run", wallSeconds: 15, phases: Phases())
    return RunReport(judging: output, selection: Selection(scenarios: scenarios), context: context)
}

/// Replaces the value of one `# metric` line of a captured result.
public func withMetric(_ ktap: String, _ name: String, _ value: Int64) -> String {
    ktap.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.contains("# metric \(name)=") ? "    # metric \(name)=\(value)" : String(line)
    }.joined(separator: "\n")
}
