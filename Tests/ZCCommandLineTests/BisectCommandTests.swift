import Foundation
import Testing
import ZCCommandLine
import ZCCore
import ZCTestSupport

@Suite("bisect: bad input")
struct BisectCommandTests {
    let designs = ["unaccounted", "v1", "v2", "pool-free", "batch", "steal"]

    func setupError(_ arguments: [String]) async throws -> ZCError? {
        let command = try BisectCommand.parse(arguments)
        return await #expect(throws: ZCError.self) {
            _ = try await command.request().setup(runner: CommandRunner(), designs: designs, defaults: nil, sizeMiB: 32)
        }
    }

    @Test("bad input is a usage error (exit 2) that says what to fix", arguments: [
        (["--property", "double-charg"], "did you mean 'double-charge'?"),
        (["--property", "release", "--variants", "v1,v3"], "unknown variant 'v3'; did you mean 'v1'?"),
        (["--property", "release", "--variants", "v1,v2,batch", "--good", "batch", "--bad", "v1"],
         "endpoints in the wrong order: --good batch comes after --bad v1"),
        (["--property", "release", "--good", "v1", "--bad", "v1"], "endpoints in the wrong order"),
        (["--property", "release", "--variants", "v1"], "at least two variants"),
        (["--property", "release", "--git", "HEAD", "--good", "v1"], "does not go with"),
        (["--property", "release", "--git", "A", "B", "--variants", "v1,v2"], "takes one name"),
        (["--property", "release", "--series", "all"], "bisect boots one kernel"),
        (["--property", "release", "--git", "HEAD"], "--git takes two revisions"),
        (["--property", "release", "--git", "A", "B", "--repository", "/nonexistent/repo"], "/nonexistent/repo does not exist"),
        (["--property", "release", "--git", "A", "B", "--repository", "/"], "is not a git repository"),
        (["--property", "release", "--repeat", "0"], "--repeat must be between 1 and 9"),
        ([], "--property is required"),
    ])
    func badInput(_ arguments: [String], message: String) async throws {
        let error = try await setupError(arguments)
        #expect(error?.code == .usage)
        #expect(error?.exitStatus == 2)
        #expect(error?.message.contains(message) == true, "\(String(describing: error?.message))")
    }

    @Test("git mode refuses endpoints in the wrong order, unknown revisions, a missing path and a dirty checkout")
    func badGitInput() async throws {
        let repo = try await ScratchRepository("gitbisect-input")
        defer { repo.remove() }
        let first = try await repo.commit("holds 0")
        let second = try await repo.commit("violated 1")
        let base = ["--property", "release", "--repository", repo.root.path]
        let cases: [([String], String)] = [
            (["--git", second, first], "endpoints in the wrong order: GOOD \(second) must be an ancestor of BAD \(first)"),
            (["--git", "nosuchrev", second], "'nosuchrev' names no commit"),
            (["--git", first, second, "--path", "drivers/net"], "drivers/net does not exist at BAD"),
        ]
        for (arguments, message) in cases {
            let error = try await setupError(base + arguments)
            #expect(error?.exitStatus == 2)
            #expect(error?.message.contains(message) == true, "\(String(describing: error?.message))")
        }
        try Data("changed\n".utf8).write(to: repo.root.appendingPathComponent("kernel/state"))
        let dirty = try await setupError(base + ["--git", first, second])
        #expect(dirty?.exitStatus == 2)
        #expect(dirty?.message.contains("has uncommitted changes") == true)
        #expect(dirty?.details == [" M kernel/state"])
    }
}
