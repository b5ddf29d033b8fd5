import ArgumentParser
import Foundation
import ZCAnalysis
import ZCCore
import ZCReport

/// Where results go besides the terminal: one group for every command that reports.
public struct OutputOptions: ParsableArguments {
    @Option(help: "Also write the results as JSON to this file.")
    public var json: String?

    @Option(help: "Also write JUnit XML to this file (for CI).")
    public var junit: String?

    @Option(help: "Also write markdown, ready to paste into a mailing-list reply, to this file.")
    public var markdown: String?

    @Option(help: "Also write an HTML page with SVG timelines to this file.")
    public var html: String?

    @Option(help: "Also write the verdicts as KTAP to this file (XFAIL, XPASS, ERROR and SKIP directives; for kunit.py parse and other KTAP consumers).")
    public var ktap: String?

    @Option(help: "Also write the verdicts as a KCIDB v5.3 document (KernelCI's database: checkouts, builds, tests) to this file.")
    public var kcidb: String?

    public init() {}

    /// Refuses the formats a command does not write, before it boots anything.
    func only(_ formats: [KeyPath<OutputOptions, String?>], command: String) throws {
        let all: [(KeyPath<OutputOptions, String?>, String)] = [(\.json, "--json"), (\.junit, "--junit"),
                                                               (\.markdown, "--markdown"), (\.html, "--html"), (\.ktap, "--ktap"),
                                                               (\.kcidb, "--kcidb")]
        let written = all.filter { formats.contains($0.0) }.map(\.1)
        if let refused = all.first(where: { !formats.contains($0.0) && self[keyPath: $0.0] != nil }) {
            throw ZCError(.usage, "\(command) does not write \(refused.1); it writes \(written.joined(separator: ", "))")
        }
    }

    /// Prints the table of run reports and writes every requested file.
    func emit(_ reports: [RunReport]) throws {
        printOut(TextReport.table(reports))
        try write(json, String(decoding: try JSONReport.data(reports), as: UTF8.self))
        try write(junit, JUnitReport.xml(reports))
        try write(html, HTMLReport.html(reports))
        try write(markdown, MarkdownReport.markdown(reports, command: invokedCommand()))
        try write(ktap, VerdictKTAP.document(reports))
        try write(kcidb, String(decoding: try KCIDBReport.data(reports), as: UTF8.self))
    }
}

/// Writes `text` to `path` (its directory created), if a file was asked for.
func write(_ path: String?, _ text: @autoclosure () throws -> String) throws {
    guard let path else { return }
    let url = URL(fileURLWithPath: path)
    do {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(try text().utf8).write(to: url, options: .atomic)
    } catch let error as ZCError {
        throw error
    } catch {
        throw ZCError(.io, "cannot write \(path): \(error.localizedDescription)")
    }
}

/// One line on standard output.
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// This zcbench command line as a user could paste it into a shell.
func invokedCommand() -> String {
    (["zcbench"] + CommandLine.arguments.dropFirst()).map(shellQuote).joined(separator: " ")
}
