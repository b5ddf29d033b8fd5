import Foundation
import ZCCore

/// What was bisected: enough to resume a bisection from its log alone.
public struct BisectSetup: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable { case variants, git }

    public var mode: Mode
    public var property: String
    /// Variants mode: the ordered list. Git mode: empty.
    public var variants: [String]
    /// Variants mode: variant names. Git mode: full commit ids.
    public var good: String
    public var bad: String
    /// Git mode: the variant the module is loaded with.
    public var variant: String?
    /// Git mode: the repository and the module's directory in it.
    public var repository: String?
    public var path: String?
    public var series: String
    public var repeats: Int
    public var sizeMiB: Int

    public init(mode: Mode, property: String, variants: [String] = [], good: String, bad: String, variant: String? = nil,
                repository: String? = nil, path: String? = nil, series: String, repeats: Int, sizeMiB: Int) {
        self.mode = mode
        self.property = property
        self.variants = variants
        self.good = good
        self.bad = bad
        self.variant = variant
        self.repository = repository
        self.path = path
        self.series = series
        self.repeats = repeats
        self.sizeMiB = sizeMiB
    }

    /// The fields that differ from `other`, as "name: this vs other".
    public func differences(from other: BisectSetup) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { out.append("\(name): \(a) in the log, \(b) asked for") }
        }
        compare("mode", mode.rawValue, other.mode.rawValue)
        compare("property", property, other.property)
        compare("variants", variants.joined(separator: ","), other.variants.joined(separator: ","))
        compare("good", good, other.good)
        compare("bad", bad, other.bad)
        compare("variant", variant ?? "-", other.variant ?? "-")
        compare("repository", repository ?? "-", other.repository ?? "-")
        compare("path", path ?? "-", other.path ?? "-")
        compare("series", series, other.series)
        compare("repeat", repeats, other.repeats)
        compare("size-mib", sizeMiB, other.sizeMiB)
        return out
    }
}

/// The bisection's log: JSON lines, the setup first, then one line per run as it finishes,
/// so an interrupted bisection loses at most the run in flight. `--replay` reads it back:
/// recorded runs are reused, and new runs are appended to the same file.
public final class BisectLog: @unchecked Sendable {
    public static let schema = "zcbench/bisect-log/v1"

    struct Line: Codable {
        var schema: String?
        var setup: BisectSetup?
        var run: StepRun?
    }

    public let url: URL
    public let setup: BisectSetup
    public private(set) var runs: [StepRun]

    private init(url: URL, setup: BisectSetup, runs: [StepRun]) {
        self.url = url
        self.setup = setup
        self.runs = runs
    }

    /// Starts a new log at `url`.
    public static func create(_ url: URL, setup: BisectSetup) throws -> BisectLog {
        let log = BisectLog(url: url, setup: setup, runs: [])
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        } catch {
            throw ZCError(.io, "cannot create the bisect log \(url.path): \(error.localizedDescription)")
        }
        try log.append(Line(schema: schema, setup: setup))
        return log
    }

    /// Reads the log at `url`; a line that does not parse is an error naming its number.
    public static func open(_ url: URL) throws -> BisectLog {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ZCError(.usage, "cannot read the bisect log \(url.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        var setup: BisectSetup?
        var runs: [StepRun] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let parsed = try? decoder.decode(Line.self, from: Data(line.utf8)) else {
                throw ZCError(.usage, "\(url.path):\(index + 1): not a zcbench bisect log line")
            }
            if let lineSetup = parsed.setup {
                guard index == 0, parsed.schema == schema else {
                    throw ZCError(.usage, "\(url.path):\(index + 1): expected the \(schema) header on the first line only")
                }
                setup = lineSetup
            } else if let run = parsed.run {
                runs.append(run)
            }
        }
        guard let setup else { throw ZCError(.usage, "\(url.path): no \(schema) header: not a zcbench bisect log") }
        return BisectLog(url: url, setup: setup, runs: runs)
    }

    /// The recorded runs of `candidate`, by attempt.
    public func runs(of candidate: String) -> [StepRun] {
        runs.filter { $0.candidate == candidate }.sorted { $0.attempt < $1.attempt }
    }

    /// Records `run`, on disk first.
    public func record(_ run: StepRun) throws {
        try append(Line(run: run))
        runs.append(run)
    }

    private func append(_ line: Line) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: try encoder.encode(line) + Data("\n".utf8))
        } catch {
            throw ZCError(.io, "cannot append to the bisect log \(url.path): \(error.localizedDescription)")
        }
    }
}
