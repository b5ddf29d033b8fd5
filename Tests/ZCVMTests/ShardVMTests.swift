import Foundation
import Testing
import ZCAnalysis
import ZCCore
import ZCReport

extension VM {
    @Suite("shards: a check split in two and merged; a two-kernel check's KCIDB document valid to kcidb-io")
    struct ShardVMTests {
        /// Every judged outcome of `reports`, by kernel and case.
        static func outcomes(_ reports: [RunReport]) -> [String: Outcome] {
            var outcomes: [String: Outcome] = [:]
            for report in reports {
                for verdict in VerdictCase.all(report) { outcomes["\(report.kernel) \(verdict.name)"] = verdict.outcome }
            }
            return outcomes
        }

        @Test("check --shard 1/2 and 2/2 on 6.1, merged by report --merge, equal the unsharded check cell by cell; a two-kernel check's --kcidb passes kcidb-io's validator")
        func mergedEqualsWhole() async throws {
            let scratch = try zcbenchScratch("shards")
            let binary = VM.CLITests.binary
            func file(_ name: String) -> String { scratch.appendingPathComponent(name).path }
            var results: [String: CommandResult] = [:]
            for (name, arguments) in [("1", ["--shard", "1/2"]), ("2", ["--shard", "2/2"]),
                                      ("whole", ["--series", "all", "--kcidb", file("kcidb.json")])] {
                results[name] = try await CommandRunner().run(Command(binary, ["check"] + arguments + ["--json", file("\(name).json")]))
            }
            let merge = try await CommandRunner().run(Command(binary, ["report", "--merge", file("2.json"), file("1.json"),
                                                                       "--json", file("merged.json"), "--ktap", file("merged.ktap")]))
            #expect(merge.status == 0, "\(merge.output)")
            func runs(_ name: String) throws -> [RunReport] {
                try JSONReport.runs(try Data(contentsOf: URL(fileURLWithPath: file(name))), file: name)
            }
            let parts = try runs("1.json") + runs("2.json")
            #expect(parts.map { $0.shard?.description } == ["1/2", "2/2"])
            // Each part ran part of the work, none all of it.
            #expect(parts.allSatisfy { !$0.matrices.isEmpty })
            #expect(parts.filter { !$0.scenarios.isEmpty }.count == 1)
            let wholeRuns = try runs("whole.json")
            #expect(wholeRuns.map(\.series) == ["6.1", "6.12"])
            let merged = Self.outcomes(try runs("merged.json")), whole = Self.outcomes(wholeRuns.filter { $0.series == "6.1" })
            #expect(merged.count == whole.count && merged.count > 100)
            for key in Set(merged.keys).union(whole.keys).sorted() where merged[key] != whole[key] {
                Issue.record("\(key): merged \(merged[key]?.label ?? "missing"), unsharded \(whole[key]?.label ?? "missing")")
            }
            #expect(try runs("merged.json").first?.matrix?.variants == wholeRuns.first?.matrix?.variants)
            let ktap = try String(contentsOfFile: file("merged.ktap"), encoding: .utf8)
            #expect(ktap.hasPrefix("KTAP version 1\n") && ktap.contains("\n1..1\n"))

            let script = URL(fileURLWithPath: binary).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/kcidb-validate").path
            let validation = try await CommandRunner().run(Command(script, [file("kcidb.json")]))
            #expect(validation.status == 0, "\(validation.output)")
            let cases = wholeRuns.map { VerdictCase.all($0).count }.reduce(0, +)
            #expect(validation.output.contains("valid KCIDB v5.3: 2 checkouts, 2 builds, \(cases) tests"), "\(validation.output)")
        }
    }
}
