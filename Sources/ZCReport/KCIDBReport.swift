import Foundation
import ZCAnalysis

/// The verdicts as a KCIDB I/O document, schema v5.3 (the kcidb-io package's `V5_3`), for
/// KernelCI's database: per kernel run one checkout (the kernel zcbench booted, `zcbench:
/// <kernel>`), one build (zcpool.ko and zctcp.ko built against it, same id) and one test per
/// judged case of ``VerdictCase/all(_:)``, id `zcbench:<kernel>:<path>`, origin `zcbench`,
/// `path` the case's name with dots (`pool-free.steady`, `tcp-zerocopy.mapped-charged`).
///
/// Status: pass and xfail `PASS` (an expected failure is the behaviour the expectations
/// file states, as JUnit and KTAP count it), fail and xpass `FAIL`, crashed `ERROR`,
/// skipped `SKIP`. What zcbench knows beyond that - its own outcome, the expectation and its
/// reason, the condition, the tolerance, the metrics of a matrix cell - is in `misc`, the
/// measured text in `comment`.
public enum KCIDBReport {
    public static func data(_ reports: [RunReport]) throws -> Data {
        try ReportFormat.json(document(reports))
    }

    static func document(_ reports: [RunReport]) -> Document {
        var document = Document()
        for report in reports {
            let id = "\(origin):\(report.kernel)"
            var checkout = Entry(id: id)
            checkout.tree_name = report.series.map { "debian-\(path($0))" }
            checkout.comment = "the kernel zcbench booted: \(report.kernel)"
            checkout.valid = report.moduleLoad.outcome != .crashed
            checkout.misc = ["kernel": .string(report.kernel), "accelerator": .string(report.accelerator),
                             "cpus": .integer(Int64(report.cpus)), "size_mib": .integer(Int64(report.sizeMiB)),
                             "run_directory": .string(report.runDirectory)]
            document.checkouts.append(checkout)
            var build = Entry(id: id)
            build.checkout_id = id
            build.architecture = "x86_64"
            build.comment = "zcpool.ko and zctcp.ko built by kbuild against \(report.kernel)"
            build.status = report.moduleLoad.outcome.matchesExpectation ? "PASS" : "FAIL"
            document.builds.append(build)
            for verdict in VerdictCase.all(report) {
                var test = Entry(id: "\(id):\(path(verdict.name))")
                test.build_id = id
                test.path = path(verdict.name)
                test.status = status(verdict.outcome)
                test.comment = ([verdict.measured] + verdict.details).joined(separator: "\n")
                test.duration = verdict.seconds
                var misc: [String: Value] = ["outcome": .string(verdict.outcome.rawValue), "expected": .string(verdict.expected.rawValue),
                                             "reason": .string(verdict.reason)]
                if !verdict.condition.isEmpty { misc["condition"] = .string(verdict.condition) }
                if let tolerance = verdict.tolerance, !tolerance.isEmpty { misc["tolerance"] = .string(tolerance) }
                if let metrics = verdict.metrics {
                    misc["metrics"] = .object(metrics.values.mapValues { .integer($0) })
                }
                test.misc = misc
                document.tests.append(test)
            }
        }
        return document
    }

    static let origin = "zcbench"

    /// KCIDB's status of an outcome.
    static func status(_ outcome: Outcome) -> String {
        switch outcome {
        case .pass, .xfail: "PASS"
        case .fail, .xpass: "FAIL"
        case .crashed: "ERROR"
        case .skipped: "SKIP"
        }
    }

    /// A name as a KCIDB path: `/` separates its levels as `.` does there; any other
    /// character outside [A-Za-z0-9_-] becomes `_`.
    static func path(_ name: String) -> String {
        String(name.map { $0 == "/" ? "." : ($0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "-" || $0 == "_" ? $0 : "_") })
    }

    struct Document: Encodable {
        var version = Version()
        var checkouts: [Entry] = []
        var builds: [Entry] = []
        var tests: [Entry] = []
    }

    struct Version: Encodable {
        var major = 5
        var minor = 3
    }

    /// A checkout, build or test: the fields zcbench fills, named as KCIDB names them.
    struct Entry: Encodable {
        var id: String
        var origin = KCIDBReport.origin
        var checkout_id: String?
        var build_id: String?
        var tree_name: String?
        var architecture: String?
        var path: String?
        var status: String?
        var valid: Bool?
        var duration: Double?
        var comment: String?
        var misc: [String: Value]?

        init(id: String) { self.id = id }
    }

    /// A JSON value of `misc`.
    enum Value: Encodable {
        case string(String)
        case integer(Int64)
        case object([String: Value])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .integer(let value): try container.encode(value)
            case .object(let values): try container.encode(values)
            }
        }
    }
}
