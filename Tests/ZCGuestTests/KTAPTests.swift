import Foundation
import Testing
import ZCTestSupport
import ZCGuest

/// The example from docs/guest-protocol.md with the elided lines filled in.
private let guestExample = """
    KTAP version 1
    1..2
    # zcpool version 0.1.0
    ok 1 module-load
        KTAP version 1
        # Subtest: tcp-zerocopy
        1..3
        # metric size=33554432
        # metric mapped=31457280
        ok 1 transfer
        # metric before.memory_current=-4096
        ok 2 payload-verified
        ok 3 charge-released
    ok 2 tcp-zerocopy
    # zcbench-exit 0

    """

@Suite("KTAP")
struct KTAPTests {
    @Test("ktap.rst example output: nesting, SKIP, diagnostics")
    func ktapRstExample() throws {
        let document = KTAPDocument(parsing: try fixture("ktap-rst-example.ktap"))
        let expected = KTAPDocument.expected(
            version: "KTAP version 1", plan: 1,
            tests: [
                KTAPTest(
                    number: 1, name: "main_test", result: .notOk, plan: 3,
                    subtests: [
                        KTAPTest(
                            number: 1, name: "example_test_1", result: .ok, plan: 1,
                            subtests: [
                                KTAPTest(
                                    number: 1, name: "test_1", result: .ok,
                                    diagnostics: ["test_1: initializing test_1"])
                            ]),
                        KTAPTest(
                            number: 2, name: "example_test_2", result: .ok, plan: 2,
                            subtests: [
                                KTAPTest(number: 1, name: "test_1", result: .ok, directive: .skip("test_1 skipped")),
                                KTAPTest(number: 2, name: "test_2", result: .ok),
                            ]),
                        KTAPTest(
                            number: 3, name: "example_test_3", result: .notOk, plan: 3,
                            subtests: [
                                KTAPTest(number: 1, name: "test_1", result: .ok),
                                KTAPTest(number: 2, name: "test_2", result: .notOk, diagnostics: ["test_2: FAIL"]),
                                KTAPTest(number: 3, name: "test_3", result: .ok, directive: .skip("test_3 skipped")),
                            ]),
                    ])
            ])
        #expect(document == expected)
        #expect(document.isComplete)
    }

    @Test("KUnit output: TAP 14 header, # Subtest, \"ok N - name\", SKIP")
    func kunitSkipTests() throws {
        let document = KTAPDocument(parsing: try fixture("kunit-test_skip_tests.log"))
        #expect(document.version == "TAP version 14")
        #expect(document.plan == 2)
        #expect(document.tests.map(\.name) == ["string-stream-test", "example"])
        #expect(document.tests[0].subtests.map(\.name) == [
            "string_stream_test_empty_on_creation", "string_stream_test_analt_empty_after_add",
            "string_stream_test_get_string",
        ])
        let example = document.tests[1]
        #expect(example.plan == 2)
        #expect(example.subtests[0] == KTAPTest(
            number: 1, name: "example_simple_test", result: .ok, diagnostics: ["example_simple_test: initializing"]))
        #expect(example.subtests[1] == KTAPTest(
            number: 2, name: "example_skip_test", result: .ok, directive: .skip("this test should be skipped"),
            diagnostics: ["example_skip_test: initializing"]))
        #expect(document.isComplete)
        #expect(document.unknownLines.isEmpty && document.diagnostics.isEmpty)
    }

    @Test("KUnit crash log: garbage kept, unfinished subtest is .missing")
    func kunitCrash() throws {
        let document = KTAPDocument(parsing: try fixture("kunit-test_is_test_passed-crash.log"))
        #expect(document.unknownLines == ["printk: console [tty0] enabled", "printk: console [mc-1] enabled"])
        #expect(document.tests.count == 2)

        let sysctl = document.tests[0]
        #expect(sysctl.name == "sysctl_test" && sysctl.result == .ok && sysctl.plan == 8)
        #expect(sysctl.subtests.count == 8 && sysctl.isComplete)
        #expect(sysctl.unknownLines == ["kunit sysctl_test: all tests passed"])

        // "yest ok 2 - example" is garbage, so the started subtest never got its result line.
        let example = document.tests[1]
        #expect(example.number == 2 && example.name == "example" && example.result == .missing)
        #expect(example.plan == 2)
        #expect(example.unknownLines == [
            "kunit example: one or more tests failed", "yest ok 2 - example", "List of all partitions:",
        ])
        #expect(example.subtests.map(\.number) == [1, 2])
        #expect(example.subtests.map(\.result) == [.missing, .ok])
        let mock = example.subtests[1]
        #expect(mock.name == "example_mock_test")
        #expect(mock.unknownLines.contains("Call Trace:"))
        #expect(mock.unknownLines.contains("\tyest ok 1 - example_simple_test"))
        #expect(mock.diagnostics.contains("example_simple_test: kunit test case crashed!"))
        #expect(!document.isComplete)
    }

    @Test("CRLF from a serial port parses like LF", arguments: [
        "ktap-rst-example.ktap", "kunit-test_skip_tests.log", "kunit-test_is_test_passed-crash.log",
    ])
    func crlf(fixtureName: String) throws {
        let text = try fixture(fixtureName)
        #expect(KTAPDocument(parsing: text.replacingOccurrences(of: "\n", with: "\r\n")) == KTAPDocument(parsing: text))
    }

    @Test("guest protocol example: metrics, diagnostics, exit status", arguments: ["\n", "\r\n"])
    func guestProtocolExample(lineEnd: String) {
        let document = KTAPDocument(parsing: guestExample.replacingOccurrences(of: "\n", with: lineEnd))
        #expect(document.isComplete)
        #expect(document.exitStatus == 0)
        #expect(document.tests[0] == KTAPTest(
            number: 1, name: "module-load", result: .ok, diagnostics: ["zcpool version 0.1.0"]))
        let scenario = document.tests[1]
        #expect(scenario.name == "tcp-zerocopy" && scenario.result == .ok && scenario.plan == 3)
        #expect(scenario.metrics == [
            "size": 33_554_432, "mapped": 31_457_280, "before.memory_current": -4096,
        ])
        #expect(scenario.subtests[0].diagnostics == ["metric size=33554432", "metric mapped=31457280"])
        #expect(scenario.subtests[0].metrics == ["size": 33_554_432, "mapped": 31_457_280])
        #expect(document.diagnostics.isEmpty && document.unknownLines.isEmpty)
    }

    @Test("guest crash inside a scenario: started subtest and unreported cases are .missing")
    func guestCrashInScenario() {
        let text = guestExample.components(separatedBy: "\n").prefix(10).joined(separator: "\n") + """

            [   12.345678] BUG: kernel NULL pointer dereference, address: 0000000000000008
            [   12.345999] Kernel panic - not syncing: Fatal exception

            """
        let document = KTAPDocument(parsing: text)
        #expect(!document.isComplete)
        #expect(document.exitStatus == nil)
        #expect(document.tests.map(\.result) == [.ok, .missing])
        let scenario = document.tests[1]
        #expect(scenario.number == 2 && scenario.name == "tcp-zerocopy" && scenario.plan == 3)
        #expect(scenario.subtests.map(\.number) == [1, 2, 3])
        #expect(scenario.subtests.map(\.result) == [.ok, .missing, .missing])
        #expect(scenario.subtests[1].unknownLines.count == 2)
        #expect(scenario.subtests[1].unknownLines[0].contains("BUG: kernel NULL pointer dereference"))
        #expect(scenario.metrics["mapped"] == 31_457_280)
    }

    @Test("fewer top-level results than the plan: the rest are .missing, the first takes the output")
    func topLevelShortfall() {
        let document = KTAPDocument(parsing: "KTAP version 1\n1..3\nok 1 module-load\nsome console noise\n")
        #expect(document.tests.map(\.number) == [1, 2, 3])
        #expect(document.tests.map(\.result) == [.ok, .missing, .missing])
        #expect(document.tests[1].unknownLines == ["some console noise"])
        #expect(!document.isComplete)
    }

    @Test("no output at all is not complete", arguments: ["", "\n", "garbage only\n", "KTAP version 1\n"])
    func emptyIsIncomplete(text: String) {
        let document = KTAPDocument(parsing: text)
        #expect(document.tests.isEmpty)
        #expect(!document.isComplete)
    }

    struct ResultLineCase: Sendable, CustomTestStringConvertible {
        let line: String
        let expected: KTAPTest
        var testDescription: String { line }
    }

    @Test("result lines", arguments: [
        ResultLineCase(line: "ok 1 test_case_name", expected: KTAPTest(number: 1, name: "test_case_name", result: .ok)),
        ResultLineCase(line: "not ok 1 test_case_name", expected: KTAPTest(number: 1, name: "test_case_name", result: .notOk)),
        ResultLineCase(
            line: "ok 1 test # SKIP necessary dependency unavailable",
            expected: KTAPTest(number: 1, name: "test", result: .ok, directive: .skip("necessary dependency unavailable"))),
        ResultLineCase(
            line: "not ok 1 test # TODO not implemented yet",
            expected: KTAPTest(number: 1, name: "test", result: .notOk, directive: .todo("not implemented yet"))),
        ResultLineCase(
            line: "ok 1 mmap-after-close # XFAIL known leak",
            expected: KTAPTest(number: 1, name: "mmap-after-close", result: .ok, directive: .xfail("known leak"))),
        ResultLineCase(line: "ok 1 bare # SKIP", expected: KTAPTest(number: 1, name: "bare", result: .ok, directive: .skip(""))),
        ResultLineCase(
            line: "not ok 1 test # TIMEOUT 30 seconds",
            expected: KTAPTest(number: 1, name: "test", result: .notOk, comment: "TIMEOUT 30 seconds")),
        ResultLineCase(
            line: "ok 1 check return code # rcode=0",
            expected: KTAPTest(number: 1, name: "check return code", result: .ok, comment: "rcode=0")),
        ResultLineCase(line: "ok 1 - dashed", expected: KTAPTest(number: 1, name: "dashed", result: .ok)),
        ResultLineCase(line: "ok 1", expected: KTAPTest(number: 1, name: "", result: .ok)),
    ])
    func resultLine(testCase: ResultLineCase) {
        let document = KTAPDocument(parsing: "KTAP version 1\n1..1\n\(testCase.line)\n")
        #expect(document.tests == [testCase.expected])
    }

    @Test("metric lines: malformed ones stay plain diagnostics")
    func metrics() {
        let lines = [
            "metric ok=1", "metric neg=-42", "metric max=9223372036854775807", "metric spaced = 5",
            "metric frac=1.5", "metric =3", "metric noequals", "metric over=9223372036854775808", "metrics x=1",
        ]
        let text = "KTAP version 1\n1..1\n" + lines.map { "# \($0)\n" }.joined() + "ok 1 t\n"
        let test = KTAPDocument(parsing: text).tests[0]
        #expect(test.diagnostics == lines)
        #expect(test.metrics == ["ok": 1, "neg": -42, "max": .max])
    }

    @Test("exit trailer", arguments: [
        ("# zcbench-exit 0\n", 0), ("# zcbench-exit 3\n", 3), ("# zcbench-exit -1\n", -1), ("", nil),
    ] as [(String, Int?)])
    func exitTrailer(trailer: String, status: Int?) {
        let document = KTAPDocument(parsing: "KTAP version 1\n1..1\nok 1 a\n" + trailer)
        #expect(document.exitStatus == status)
        #expect(document.diagnostics.isEmpty)
    }

    @Test("a malformed exit trailer is a diagnostic")
    func malformedExitTrailer() {
        let document = KTAPDocument(parsing: "KTAP version 1\n1..1\nok 1 a\n# zcbench-exit soon\n")
        #expect(document.exitStatus == nil)
        #expect(document.diagnostics == ["zcbench-exit soon"])
    }
}

extension KTAPDocument {
    /// A document value built field by field, for comparisons.
    fileprivate static func expected(version: String?, plan: Int?, tests: [KTAPTest]) -> KTAPDocument {
        var document = KTAPDocument(parsing: "")
        document.version = version
        document.plan = plan
        document.tests = tests
        return document
    }
}
