import Foundation
import ZCAnalysis
import ZCReport

/// A bisection for people (terminal, markdown) and for programs (JSON).
public enum BisectReporter {
    public static func table(_ report: BisectReport) -> String {
        let setup = report.setup
        var out = ["zcbench bisect: property \(setup.property), \(subject(setup)) on \(report.kernel), \(setup.repeats) run\(setup.repeats == 1 ? "" : "s") per step"]
        out.append("  endpoints confirmed: good \(name(setup.good)) (\(report.goodState.rawValue)), bad \(name(setup.bad)) (\(report.badState.rawValue))")
        // The candidate column fits the longest name (a commit is shown by 12 digits).
        let candidate = max(14, report.steps.map { name($0.candidate).count }.max() ?? 0)
        let widths = [3, candidate, 8, 11, 6]
        out.append("  " + ["#", "candidate", "verdict", "state", "agree"].enumerated()
            .map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: " ") + " measured")
        for (index, step) in report.steps.enumerated() {
            let verdict = step.verdict(good: report.goodState).rawValue
            let agree = "\(step.runs.filter { $0.state == step.state }.count)/\(step.runs.count)"
            out.append("  " + [String(index + 1), name(step.candidate), verdict, step.state.rawValue, agree]
                .enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: " ") + " " + (step.representative?.measured ?? ""))
        }
        out += conclusion(report).map { "  \($0)" }
        out.append("  log: \(report.log) (resume or re-judge with --replay)")
        return out.joined(separator: "\n")
    }

    /// The lines that state the result: culprit, the numbers on both sides, confidence.
    static func conclusion(_ report: BisectReport) -> [String] {
        var out: [String] = []
        let flip = "\(report.goodState.rawValue) -> \(report.badState.rawValue)"
        if let culprit = report.conclusion.culprit {
            out.append("first bad: \(report.culpritLine ?? culprit) (the property flips \(flip))")
            for (label, candidate) in [("at the culprit", culprit), ("at the last good", report.conclusion.lastGood)] {
                guard let candidate, let step = report.step(candidate), let run = step.representative else { continue }
                let figure = run.figure.map { " [\($0.name): \($0.value) \($0.unit)]" } ?? ""
                out.append("  \(label) \(name(candidate)): \(run.measured)\(figure)")
            }
            if let distance = report.lastGoodDistance, distance > 1 {
                out.append("  the last good commit is \(distance) commits back: the ones between were skipped or do not touch \(report.setup.path ?? "the module")")
            }
            if let stat = report.diffStat, !stat.isEmpty {
                out += stat.split(separator: "\n").map { "  | \($0)" }
            }
            if report.noOp {
                out.append("WARNING: the culprit and the last good commit built byte-identical zcpool.ko: a no-op culprit; the flip is noise (try --repeat)")
            }
        } else {
            out.append("no single culprit: skipped candidates leave the first bad one among \(report.conclusion.possibleCulprits.map(name).joined(separator: ", "))")
        }
        let skipped = report.steps.filter { $0.verdict(good: report.goodState) == .skip }
        for step in skipped {
            out.append("skipped \(name(step.candidate)): \(step.representative?.measured ?? "no runs")")
        }
        let flaky = report.steps.filter(\.flaky).map { name($0.candidate) }
        out.append("confidence: \(percent(report.conclusion.confidence))\(flaky.isEmpty ? "" : " (runs disagreed at \(flaky.joined(separator: ", ")))")")
        return out
    }

    public static func markdown(_ report: BisectReport, command: String) -> String {
        let setup = report.setup
        var out = ["### zcbench bisect: \(setup.property), \(subject(setup))", "",
                   "Kernel \(report.kernel), \(setup.repeats) run\(setup.repeats == 1 ? "" : "s") per step, \(setup.sizeMiB) MiB received. Reproduce with:",
                   "", "    \(command)", "",
                   "| # | candidate | verdict | state | runs agreeing | measured |", "|---|---|---|---|---|---|"]
        for (index, step) in report.steps.enumerated() {
            let agree = "\(step.runs.filter { $0.state == step.state }.count)/\(step.runs.count)"
            out.append("| \(index + 1) | `\(name(step.candidate))` | \(step.verdict(good: report.goodState).rawValue) | \(step.state.rawValue) | \(agree) | \(cell(step.representative?.measured ?? "")) |")
        }
        out.append("")
        let lines = conclusion(report)
        out += lines.filter { !$0.hasPrefix("  | ") }.map { "- \($0.trimmingCharacters(in: .whitespaces))" }
        let stat = lines.filter { $0.hasPrefix("  | ") }
        if !stat.isEmpty {
            out += ["", "```"] + stat.map { String($0.dropFirst(4)) } + ["```"]
        }
        return out.joined(separator: "\n") + "\n"
    }

    public static func json(_ report: BisectReport) throws -> Data {
        try ReportFormat.json(report)
    }

    static func subject(_ setup: BisectSetup) -> String {
        switch setup.mode {
        case .variants: "variants \(setup.variants.joined(separator: ","))"
        case .git: "\(setup.path ?? "") of \(setup.repository ?? "") \(name(setup.good))..\(name(setup.bad)), variant \(setup.variant ?? "")"
        }
    }

    /// Commit ids abbreviated to 12 digits; variant names as they are.
    static func name(_ candidate: String) -> String {
        candidate.count == 40 && candidate.allSatisfy(\.isHexDigit) ? String(candidate.prefix(12)) : candidate
    }

    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }

    static func cell(_ text: String) -> String { ReportFormat.markdownCell(text) }
}
