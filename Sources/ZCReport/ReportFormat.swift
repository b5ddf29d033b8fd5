import Foundation
import ZCAnalysis

/// Wording and escaping shared by the table, JUnit, markdown and HTML reports, so that all
/// of them name outcomes and figures the same way.
public enum ReportFormat {
    /// The label of a matrix cell: what matches its expectation in lower case, what does
    /// not in capitals.
    static func label(_ outcome: Outcome) -> String {
        switch outcome {
        case .pass: "pass"
        case .fail: "FAIL"
        case .xfail: "xfail"
        case .xpass: "XPASS"
        case .crashed: "CRASHED"
        case .skipped: "skip"
        }
    }

    static let widestLabel = "CRASHED".count

    /// One line of a fixed-width table: columns padded to `widths`, two spaces apart, no
    /// trailing blanks.
    static func row(_ columns: [String], widths: [Int]) -> String {
        var line = zip(columns, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
        while line.last == " " { line.removeLast() }
        return line
    }

    /// The properties that contribute a figure, in column order, with the figure's name.
    static func figureColumns(_ matrix: MatrixReport) -> [(property: String, name: String)] {
        matrix.properties.flatMap { property in
            let figures = matrix.variants.lazy.map { matrix[$0, property]?.figures ?? [] }.first { !$0.isEmpty } ?? []
            return figures.map { (property, $0.name) }
        }
    }

    /// A figure's value with its unit: exact ("4182016 bytes (4.0 MiB)") for a reply that
    /// quotes numbers, short ("4.0 MiB") for a terminal. A cell without a measurement says so.
    static func figureText(_ cell: MatrixCell?, _ name: String, exact: Bool) -> String {
        guard let cell, let figure = cell.figures.first(where: { $0.name == name }) else {
            return "- (\(label(cell?.outcome ?? .crashed)))"
        }
        return figureText(figure, exact: exact)
    }

    static func figureText(_ figure: Figure, exact: Bool) -> String {
        guard figure.unit == "bytes" else { return "\(figure.value) \(figure.unit)" }
        if !exact { return bytes(figure.value) }
        let plain = "\(figure.value) bytes"
        return abs(figure.value) >= 1024 ? "\(plain) (\(bytes(figure.value)))" : plain
    }

    /// "6.1.0-56-amd64 (series 6.1), tcg, 1 vCPU, 4 MiB per receive"
    static func kernelTitle(_ report: RunReport) -> String {
        "\(report.kernel)\(report.series.map { " (series \($0))" } ?? ""), \(report.accelerator), "
            + "\(report.cpus) vCPU, \(report.sizeMiB) MiB per receive"
    }

    /// "every expectation holds", or what does not.
    static func verdict(_ report: RunReport) -> String {
        if report.passed { return "every expectation holds" }
        var reasons: [String] = []
        if report.problem != nil { reasons.append("the run crashed") }
        if !report.moduleLoad.outcome.matchesExpectation { reasons.append("the module did not load") }
        let scenarios = report.scenarios.filter { !$0.passed }.map(\.scenario)
        if !scenarios.isEmpty { reasons.append("\(scenarios.joined(separator: ", ")) did not pass") }
        for matrix in report.matrices {
            let differ = matrix.cells.filter { !$0.outcome.matchesExpectation }.count
            if differ > 0 {
                reasons.append("\(differ) of \(matrix.cells.count) cells of the \(matrix.path.title) differ from their expectation")
            }
        }
        return "EXPECTATIONS NOT MET" + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")")
    }

    /// Breaks `text` at spaces into lines of at most `width` characters (a longer word stays
    /// whole); the first line starts with `first`, the others with `rest`.
    static func wrap(_ text: String, width: Int = 100, first: String = "", rest: String = "") -> [String] {
        var lines: [String] = []
        var line = first
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = rest
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines
    }

    /// Text safe in XML and HTML element content and in double- or single-quoted attribute
    /// values. Characters XML 1.0 cannot carry (controls other than tab, LF and CR, U+FFFE,
    /// U+FFFF) become U+FFFD; in attributes tab, LF and CR become character references so
    /// attribute normalisation keeps them.
    public static func escape(_ text: String, attribute: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r":
                if attribute { out += "&#\(scalar.value);" } else { out.unicodeScalars.append(scalar) }
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// The JSON zcbench writes: indented, keys sorted, slashes as they are.
    public static func json(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Text safe in a markdown table cell: pipes escaped, line breaks folded.
    public static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
