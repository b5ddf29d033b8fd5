import Foundation
import Testing
import ZCCore

extension VM {
    @Suite("zcbench exec: your own program in the guest")
    struct ExecVMTests {
        /// A program the test writes and links statically: it allocates and touches 8 MiB,
        /// prints its arguments and a --put file, writes to stderr, and exits 7.
        static let source = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            int main(int argc, char **argv)
            {
            	char line[64] = "", *p = malloc(8 << 20);
            	FILE *f = fopen("data.txt", "r");
            	memset(p, 1, 8 << 20);
            	if (f && fgets(line, sizeof(line), f))
            		fclose(f);
            	printf("argc=%d argv1=%s argv2=%s data=%s", argc, argv[1], argv[2], line);
            	fprintf(stderr, "on stderr\\n");
            	return 7;
            }
            """

        @Test("a static program: its output, its exit status as zcbench's, its cgroup's figures in --json; a script too; a crash is 125 with the console kept")
        func program() async throws {
            let scratch = try zcbenchScratch("exec")
            let source = scratch.appendingPathComponent("prog.c"), program = scratch.appendingPathComponent("prog")
            let data = scratch.appendingPathComponent("data.txt"), json = scratch.appendingPathComponent("exec.json")
            try Self.source.write(to: source, atomically: true, encoding: .utf8)
            try "from the host\n".write(to: data, atomically: true, encoding: .utf8)
            let cc = try await CommandRunner().run(Command("gcc", ["-static", "-O2", "-o", program.path, source.path]))
            #expect(cc.status == 0, "\(cc.output)")

            let binary = VM.CLITests.binary
            let run = try await CommandRunner().run(Command(binary, ["exec", "--put", data.path, "--variant", "pool-free",
                                                                     "--json", json.path, "--", program.path, "one", "two words"]))
            #expect(run.status == 7, "\(run.output)")
            #expect(run.output.contains("argc=3 argv1=one argv2=two words data=from the host\n"), "\(run.output)")
            #expect(run.output.contains("on stderr\n"))
            #expect(run.output.contains("zcbench exec: \(program.path) exited with status 7 on 6.1."), "\(run.output)")
            #expect(run.output.contains("zcpool variant pool-free"))
            let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
            #expect(document["schema"] as? String == "zcbench/exec/v1")
            let result = try #require(document["result"] as? [String: Any])
            #expect(result["exitStatus"] as? Int == 7)
            let before = try #require(result["before"] as? [String: Any]), after = try #require(result["after"] as? [String: Any])
            // The cgroup was empty before, and the program's 8 MiB came and went: it faulted
            // them in (pgfault), the peak saw them, and they were freed at exit.
            #expect(before["memoryCurrent"] as? Int == 0)
            let stat = try #require(after["stat"] as? [String: Int])
            #expect((stat["pgfault"] ?? 0) > 0, "\(stat)")
            #expect((result["peak"] as? Int ?? 0) >= 8 << 20, "\(result)")
            #expect((after["memoryCurrent"] as? Int ?? .max) < 8 << 20)

            let script = scratch.appendingPathComponent("script.sh")
            try "#!/bin/sh\necho \"args: $*\"\nexit 3\n".write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
            let shell = try await CommandRunner().run(Command(binary, ["exec", "--", script.path, "a", "b"]))
            #expect(shell.status == 3 && shell.output.contains("args: a b\n"), "\(shell.output)")

            let crash = scratch.appendingPathComponent("crash.sh")
            try "#!/bin/sh\necho c > /proc/sysrq-trigger\n".write(to: crash, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: crash.path)
            let crashed = try await CommandRunner().run(Command(binary, ["exec", "--", crash.path]))
            #expect(crashed.status == 125, "\(crashed.output)")
            #expect(crashed.output.contains("no exit status from \(crash.path): the guest kernel reported a panic"), "\(crashed.output)")
            #expect(crashed.output.contains("console log in "))
        }
    }
}
