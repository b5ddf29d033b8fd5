import Foundation
import Testing
import ZCCore

@Suite("commands")
struct CommandTests {
    @Test("a command prints as a user could paste it", arguments: [
        (Command("make", ["-C", "/usr/src/x", "M=/a b"]), "make -C /usr/src/x 'M=/a b'"),
        (Command("bash", ["-c", "echo 'hi'"]), "bash -c 'echo '\\''hi'\\'''"),
        (Command("apt-get", ["install"], environment: ["DEBIAN_FRONTEND": "noninteractive"]), "DEBIAN_FRONTEND=noninteractive apt-get install"),
        (Command("x", [""]), "x ''"),
    ])
    func description(_ command: Command, expected: String) {
        #expect(command.description == expected)
    }

    @Test("elevation goes through sudo only when not root")
    func elevated() {
        let command = Command("apt-get", ["install", "-y", "kmod"], environment: ["DEBIAN_FRONTEND": "noninteractive"])
        #expect(command.elevated(alreadyRoot: true) == command)
        #expect(command.elevated(alreadyRoot: false).description == "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y kmod")
    }

    @Test("a command's status and interleaved output are returned")
    func run() async throws {
        let result = try await CommandRunner().run(Command("sh", ["-c", "echo out; echo err >&2; exit 3"]))
        #expect(result.status == 3)
        #expect(result.output.contains("out") && result.output.contains("err"))
    }

    @Test("a failing checked command names itself, its status and its output tail")
    func checked() async throws {
        let error = await #expect(throws: ZCError.self) {
            try await CommandRunner().checked(Command("sh", ["-c", "echo first; echo last-words; exit 7"]))
        }
        #expect(error?.message.contains("exited with status 7") == true)
        #expect(error?.message.contains("sh -c") == true)
        #expect(error?.details == ["first", "last-words"])
    }

    @Test("a program that does not exist is an error, not a crash")
    func missing() async {
        let error = await #expect(throws: ZCError.self) { try await CommandRunner().run(Command("zcbench-no-such-tool")) }
        #expect(error?.code == .missingDependency)
    }

    @Test("a cancelled command is torn down and reported as interrupted")
    func cancelled() async throws {
        let start = ContinuousClock.now
        let task = Task { try await CommandRunner(grace: .milliseconds(200)).run(Command("sleep", ["30"])) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        // Torn down, not waited for: well short of sleep's 30 s even on a loaded host.
        #expect(ContinuousClock.now - start < .seconds(25))
        #expect(throws: ZCError.self) { try result.get() }
    }

    @Test("paths follow XDG_CACHE_HOME, else HOME")
    func paths() throws {
        let repo = FileManager.default.temporaryDirectory.appendingPathComponent("zc-paths-\(getpid())")
        defer { try? FileManager.default.removeItem(at: repo) }
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("kernel"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("vm/sub"), withIntermediateDirectories: true)
        try Data().write(to: repo.appendingPathComponent("kernel/Kbuild"))
        try Data().write(to: repo.appendingPathComponent("vm/Makefile"))
        let xdg = try Paths.fromEnvironment(["XDG_CACHE_HOME": "/x/cache", "HOME": "/h"], workingDirectory: repo.path + "/vm/sub")
        #expect(xdg.cache.path == "/x/cache/zcbench")
        #expect(xdg.repository.standardizedFileURL.path == repo.standardizedFileURL.path)
        #expect(xdg.output.lastPathComponent == "out")
        let home = try Paths.fromEnvironment(["HOME": "/h"], workingDirectory: repo.path)
        #expect(home.cache.path == "/h/.cache/zcbench")
        #expect(throws: ZCError.self) { try Paths.fromEnvironment(["HOME": "/h"], workingDirectory: "/") }
    }
}
