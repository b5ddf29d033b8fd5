import Foundation
import Testing
import ZCAnalysis
import ZCCore
import ZCReport

extension VM {
    @Suite("shards: a two-kernel check split in two and merged; its KCIDB document valid to kcidb-io")
    struct ShardVMTests {
        /// Every judged outcome of `reports`, by kernel and case.
        static func outcomes(_ reports: [RunReport]) -> [String: Outcome] {
            var outcomes: [String: Outcome] = [:]
            for report in reports {
                for verdict in VerdictCase.all(report) { outcomes["\(report.kernel) \(verdict.name)"] = verdict.outcome }
            }
            return outcomes
        }

        @Test("check --series all --shard 1/2 and 2/2, merged by report --merge, equal the unsharded check cell by cell; the unsharded --kcidb passes kcidb-io's validator")
        func mergedEqualsWhole() async throws {
            let scratch = try zcbenchScratch("shards")
            let binary = VM.CLITests.binary
            func file(_ name: String) -> String { scratch.appendingPathComponent(name).path }
            var results: [String: CommandResult] = [:]
            for (name, arguments) in [("1", ["--shard", "1/2"]), ("2", ["--shard", "2/2"]), ("whole", ["--kcidb", file("kcidb.json")])] {
                results[name] = try await CommandRunner().run(Command(binary, ["check", "--series", "all"] + arguments
                                                                          + ["--json", file("\(name).json")]))
            }
            let merge = try await CommandRunner().run(Command(binary, ["report", "--merge", file("2.json"), file("1.json"),
                                                                       "--json", file("merged.json"), "--ktap", file("merged.ktap")]))
            #expect(merge.status == results["whole"]?.status, "\(merge.output)")
            func runs(_ name: String) throws -> [RunReport] {
                try JSONReport.runs(try Data(contentsOf: URL(fileURLWithPath: file(name))), file: name)
            }
            let parts = try runs("1.json") + runs("2.json")
            #expect(parts.map { $0.shard?.description } == ["1/2", "1/2", "2/2", "2/2"])
            // Each part ran part of each kernel's work, none all of it.
            #expect(parts.allSatisfy { !$0.matrices.isEmpty })
            #expect(parts.filter { !$0.scenarios.isEmpty }.count == 2)
            let merged = Self.outcomes(try runs("merged.json")), whole = Self.outcomes(try runs("whole.json"))
            #expect(merged.count == whole.count && merged.count > 100)
            for key in Set(merged.keys).union(whole.keys).sorted() where merged[key] != whole[key] {
                Issue.record("\(key): merged \(merged[key]?.label ?? "missing"), unsharded \(whole[key]?.label ?? "missing")")
            }
            #expect(try runs("merged.json").first?.matrix?.variants == runs("whole.json").first?.matrix?.variants)
            let ktap = try String(contentsOfFile: file("merged.ktap"), encoding: .utf8)
            #expect(ktap.hasPrefix("KTAP version 1\n") && ktap.contains("\n1..2\n"))

            let script = URL(fileURLWithPath: binary).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/kcidb-validate").path
            let validation = try await CommandRunner().run(Command(script, [file("kcidb.json")]))
            #expect(validation.status == 0, "\(validation.output)")
            #expect(validation.output.contains("valid KCIDB v5.3: 2 checkouts, 2 builds, \(whole.count) tests"), "\(validation.output)")
        }
    }
}
