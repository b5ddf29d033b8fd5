import Foundation
import FoundationXML
import Testing
import ZCTestSupport
import ZCGuest
@testable import ZCAnalysis
@testable import ZCReport

@Suite("reporters: JUnit, markdown, HTML and the terminal matrix")
struct ReporterTests {
    static let properties = AccountingProperty.names

    @Test("the fixture follows the protocol: every cell judged, none crashed")
    func fixtureJudged() throws {
        let report = try MatrixSample.report()
        #expect(report.problem == nil)
        #expect(report.moduleLoad.outcome == .pass)
        #expect(report.scenarios.map(\.passed) == [true])
        // The capture's other top-level tests (once-only guest scenarios, one reload per
        // variant) are there and ok, but are not cells of the matrix.
        let tests = KTAPDocument(parsing: try fixture("matrix-sample.ktap")).tests
        #expect(tests.map(\.name).prefix(5) == ["module-load", "tcp-zerocopy", "zcpool-device", "zcpool-variants", "unaccounted/reload"])
        #expect(tests.first { $0.name == "pool-free/reload" }?.result == .ok)
        let matrix = try #require(report.matrix)
        #expect(matrix.cells.count == 3 * Self.properties.count)
        #expect(matrix.cells.allSatisfy { $0.outcome != .crashed })
        // On the real kernel every cell met its expectation.
        #expect(matrix.cells.allSatisfy { $0.outcome == .pass || $0.outcome == .xfail })
        #expect(matrix["unaccounted", "steady"]?.outcome == .xfail)
        #expect(matrix["unaccounted", "under-charge"]?.outcome == .xfail)
        // 4 MiB pinned, memory.current +0 B: all of it escaped.
        #expect(matrix["unaccounted", "vmsplice-pin"]?.figure?.value == 4_194_304)
        #expect(matrix["pool-free", "steady"]?.outcome == .pass)
        #expect(matrix["pool-free", "memory-max"]?.outcome == .pass)
        // The whole call is charged twice, whatever its size: above the 32-page bound the
        // expectations file sets, the hole it expects. The headline is the largest call.
        let double = try #require(matrix["pool-free", "double-charge"])
        #expect(double.outcome == .xfail)
        #expect(double.figures.map(\.value) == [32, 64, 256, 1024, 2048])
        #expect(double.figure == Figure(name: "double charge at 64-batch calls", value: 2048, unit: "pages"))
        // v2 as posted: the whole call charged to nobody until the late charge; past memory.max
        // when another cgroup's socket feeds it.
        #expect(matrix["v2", "under-charge"]?.figures.map(\.value) == [32, 64, 256, 1024, 2048])
        #expect(matrix["v2", "nofail-overshoot"]?.outcome == .xfail)
        #expect(matrix["v2", "nofail-overshoot"]?.figure?.value == 3_133_440)
        #expect(matrix["v2", "zombie"]?.figure?.value == 1)
        // One `# sample` line per call, at the stop; the expected line is the call's baseline.
        for variant in MatrixSample.variants {
            for property in ["double-charge", "under-charge"] {
                let cell = try #require(matrix[variant, property])
                #expect(cell.samples.count == 5, "\(variant)/\(property)")
                for (sample, n) in zip(cell.samples, [1, 2, 8, 32, 64]) {
                    #expect(sample.values["batches"] == Int64(n))
                    #expect(sample.values["expected"] == cell.metrics["b\(n).baseline.memory_current"])
                }
            }
        }
        // The window is what memory.current shows at the stop, against the call's baseline.
        let stops = double.samples.map { $0.values["memory_current"]! - $0.values["expected"]! }
        #expect(stops.map { $0 / 4096 } == [32, 64, 256, 1024, 2048])
    }

    // MARK: JUnit

    func parse(_ xml: String) throws -> XMLElement {
        try #require(try XMLDocument(xmlString: xml, options: []).rootElement())
    }

    func testcases(_ root: XMLElement) throws -> [XMLElement] {
        try root.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
    }

    func attribute(_ element: XMLElement, _ name: String) -> String? { element.attribute(forName: name)?.stringValue }

    @Test("JUnit parses as XML, one suite per run, counts that match the outcomes")
    func junitCounts() throws {
        let report = try MatrixSample.report()
        let root = try parse(JUnitReport.xml([report]))
        #expect(root.name == "testsuites")
        let suites = try root.nodes(forXPath: "testsuite").compactMap { $0 as? XMLElement }
        #expect(suites.count == 1)
        let suite = try #require(suites.first)
        let cases = try testcases(root)
        let checks = report.scenarios.flatMap(\.checks)
        let cells = try #require(report.matrix).cells
        #expect(cases.count == 1 + checks.count + cells.count)
        let mismatched = cells.filter { $0.outcome == .fail || $0.outcome == .xpass }.count
        #expect(attribute(suite, "tests") == "\(cases.count)")
        #expect(attribute(suite, "failures") == "\(mismatched)")
        #expect(attribute(suite, "errors") == "0")
        #expect(attribute(root, "tests") == "\(cases.count)")
        #expect(try root.nodes(forXPath: "//failure").count == mismatched)
        #expect(try root.nodes(forXPath: "//error").isEmpty)
        // The release's dots would split the classname into package and class: underscores.
        #expect(Set(cases.map { attribute($0, "classname") }) == ["zcbench.6_12_117+deb12-amd64"])
        #expect(attribute(suite, "name") == "zcbench 6.12.117+deb12-amd64")
        // Every case has a time; a matrix cell its scenario's, as the guest timed it.
        #expect(cases.allSatisfy { attribute($0, "time") != nil })
        #expect(cases.first.flatMap { attribute($0, "name") } == "module-load")
        let names = cases.compactMap { attribute($0, "name") }
        #expect(names.contains("tcp-zerocopy/mapped-charged"))
        #expect(names.contains("unaccounted/steady"))
        #expect(names.contains("pool-free/unload"))
    }

    @Test("a cell the guest skipped is a JUnit skipped case, counted in the suite, and a skip row in the table")
    func skipped() throws {
        let ktap = try fixture("matrix-sample.ktap").replacingOccurrences(
            of: "\nok 32 pool-free/double-charge\n", with: "\nok 32 pool-free/double-charge # SKIP no way to sample it\n")
        let report = try MatrixSample.report(ktap)
        #expect(report.cell("pool-free", "double-charge")?.outcome == .skipped)
        let root = try parse(JUnitReport.xml([report]))
        let suite = try #require(try root.nodes(forXPath: "testsuite").first as? XMLElement)
        #expect(attribute(suite, "skipped") == "1")
        let skips = try root.nodes(forXPath: "//testcase[@name='pool-free/double-charge']/skipped").compactMap { $0 as? XMLElement }
        #expect(skips.count == 1 && skips.first.flatMap { attribute($0, "message") } == "not measured: no way to sample it")
        let text = TextReport.table([report])
        #expect(text.contains("  SKIP pool-free/double-charge (expected fail): not measured: no way to sample it"))
        #expect(MatrixTable.text(try #require(report.matrix)).contains("skip"))
    }

    @Test("an expected failure passes, with a system-out giving its reason")
    func junitExpectedFailure() throws {
        let root = try parse(JUnitReport.xml([try MatrixSample.report()]))
        let steady = try #require(try testcases(root).first { attribute($0, "name") == "unaccounted/steady" })
        #expect(steady.elements(forName: "failure").isEmpty)
        #expect(steady.elements(forName: "error").isEmpty)
        let out = try #require(steady.elements(forName: "system-out").first?.stringValue)
        #expect(out.hasPrefix("expected failure: upstream: mapped pages carry no charge"))
        #expect(out.contains("measured: memory.current +8 KiB, file_mapped +0 B, sock +0 B, kernel +8 KiB for 4.0 MiB mapped"))
    }

    @Test("fail and xpass are failures, a missing metric an error, each with measured and condition")
    func junitMismatches() throws {
        // unaccounted charged after all (xpass), pool-free not (fail), pool-free/zombie unreported.
        var ktap = try MatrixSample.unaccountedCharged()
        ktap = try MatrixSample.setting("pool-free/steady", "mapped.memory_current", to: MatrixSample.poolFreeSteadyBaseline, in: ktap)
        ktap = try MatrixSample.editing("pool-free/zombie", in: ktap) { $0.hasPrefix("    # metric dying_final=") ? nil : $0 }

        let report = try MatrixSample.report(ktap)
        let matrix = try #require(report.matrix)
        #expect(matrix["unaccounted", "steady"]?.outcome == .xpass)
        #expect(matrix["pool-free", "steady"]?.outcome == .fail)
        #expect(matrix["pool-free", "zombie"]?.outcome == .crashed)

        let root = try parse(JUnitReport.xml([report]))
        let cases = try testcases(root)
        func testcase(_ name: String) throws -> XMLElement { try #require(cases.first { attribute($0, "name") == name }) }

        let xpass = try #require(try testcase("unaccounted/steady").elements(forName: "failure").first)
        #expect(attribute(xpass, "type") == "xpass")
        #expect(attribute(xpass, "message")?.hasPrefix("XPASS: expected to fail, but it held: memory.current +4.0 MiB") == true)
        #expect(xpass.stringValue?.contains("condition: memory.current delta >= mapped - 256 KiB") == true)

        let fail = try #require(try testcase("pool-free/steady").elements(forName: "failure").first)
        #expect(attribute(fail, "type") == "fail")
        #expect(attribute(fail, "message")?.hasPrefix("FAIL: memory.current +0 B") == true)
        #expect(fail.stringValue?.contains("expected: pass - kmem-charged before insert") == true)

        let error = try #require(try testcase("pool-free/zombie").elements(forName: "error").first)
        #expect(attribute(error, "type") == "crashed")
        #expect(attribute(error, "message") == "CRASHED: the guest did not report dying_final")

        let suite = try #require(root.elements(forName: "testsuite").first)
        let failures = cells(matrix, .fail, .xpass)
        #expect(attribute(suite, "failures") == "\(failures)")
        #expect(attribute(suite, "errors") == "1")
        #expect(try root.nodes(forXPath: "//failure").count == failures)
        #expect(try root.nodes(forXPath: "//error").count == 1)
    }

    func cells(_ matrix: MatrixReport, _ outcomes: Outcome...) -> Int {
        matrix.cells.filter { outcomes.contains($0.outcome) }.count
    }

    @Test("a crashed run is an error test case carrying the console excerpt")
    func junitCrashedRun() throws {
        let full = try fixture("matrix-sample.ktap")
        let cut = String(full[..<full.range(of: "    # Subtest: pool-free/release")!.lowerBound])
        let report = try MatrixSample.report(cut, console: "[ 7.1] BUG: kernel NULL pointer dereference, address: 0\n")
        let root = try parse(JUnitReport.xml([report]))
        let run = try #require(try testcases(root).first { attribute($0, "name") == "run" })
        let error = try #require(run.elements(forName: "error").first)
        #expect(error.stringValue?.contains("BUG: kernel NULL pointer dereference") == true)
        let matrix = try #require(report.matrix)
        let crashed = cells(matrix, .crashed)
        #expect(crashed == Self.properties.count - 1)
        #expect(try root.nodes(forXPath: "//error").count == crashed + 1)
    }

    @Test("verdict KTAP: one test per kernel, every case with the directive of its outcome, the same cases as JUnit")
    func verdictKTAP() throws {
        let full = try fixture("matrix-sample.ktap")
        // A whole run, then one that crashed inside pool-free/release.
        let cut = String(full[..<full.range(of: "    # Subtest: pool-free/release")!.lowerBound])
        let crashed = try MatrixSample.report(cut, kernel: "6.1.0-57-amd64", series: "6.1",
                                              console: "[ 7.1] BUG: kernel NULL pointer dereference, address: 0\n")
        let whole = try MatrixSample.report()
        let text = VerdictKTAP.document([whole, crashed])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)) == ["KTAP version 1", "# zcbench verdicts: one test per kernel, one subtest per judged case", "1..2"])
        #expect(lines.contains("    # Subtest: 6.12.117+deb12-amd64"))
        #expect(lines.contains("ok 1 6.12.117+deb12-amd64"))
        #expect(lines.contains("not ok 2 6.1.0-57-amd64"))
        let results = lines.filter { $0.hasPrefix("    ok ") || $0.hasPrefix("    not ok ") }
        #expect(results.count == VerdictCase.all(whole).count + VerdictCase.all(crashed).count)
        #expect(results.count == (try testcases(try parse(JUnitReport.xml([whole, crashed])))).count)
        let reason = try #require(whole.cell("unaccounted", "steady")).reason
        #expect(results.contains { $0.hasSuffix(" unaccounted/steady # XFAIL \(reason)") })
        #expect(results.contains { $0.hasSuffix(" pool-free/steady") && $0.hasPrefix("    ok ") })
        #expect(results.contains { $0.hasPrefix("    not ok 1 run # ERROR ") })
        #expect(results.contains { $0.contains("not ok") && $0.contains(" pool-free/unload # ERROR ") })
        // What explains a mismatch comes before its result line; the console excerpt too.
        #expect(lines.contains { $0.hasPrefix("    # run: measured: ") })
        #expect(lines.contains { $0.contains("BUG: kernel NULL pointer dereference") })
        #expect(!lines.contains { $0.contains("# unaccounted/steady: measured") })
        // Each directive's text stays on its line, without a `#` a parser would split at.
        #expect(VerdictKTAP.text("a\nb #3") == "a b nr.3")
    }

    @Test("KCIDB: a checkout and a build per kernel, a test per case with a dotted path, statuses as KCIDB has them, zcbench's own in misc")
    func kcidb() throws {
        let full = try fixture("matrix-sample.ktap")
        let cut = String(full[..<full.range(of: "    # Subtest: pool-free/release")!.lowerBound])
        let reports = [try MatrixSample.report(), try MatrixSample.report(cut, kernel: "6.1.0-57-amd64", series: "6.1")]
        let document = try #require(try JSONSerialization.jsonObject(with: KCIDBReport.data(reports)) as? [String: Any])
        #expect(document["version"] as? [String: Int] == ["major": 5, "minor": 3])
        let checkouts = try #require(document["checkouts"] as? [[String: Any]])
        let builds = try #require(document["builds"] as? [[String: Any]])
        let tests = try #require(document["tests"] as? [[String: Any]])
        #expect(checkouts.compactMap { $0["id"] as? String } == ["zcbench:6.12.117+deb12-amd64", "zcbench:6.1.0-57-amd64"])
        #expect(builds.compactMap { $0["checkout_id"] as? String } == checkouts.compactMap { $0["id"] as? String })
        #expect(tests.count == reports.map { VerdictCase.all($0).count }.reduce(0, +))
        #expect(Set(tests.compactMap { $0["id"] as? String }).count == tests.count, "ids are unique")
        let paths = tests.compactMap { $0["path"] as? String }
        #expect(paths.allSatisfy { $0.range(of: "^([a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*)?$", options: .regularExpression) != nil })
        let steady = try #require(tests.first { $0["id"] as? String == "zcbench:6.12.117+deb12-amd64:unaccounted.steady" })
        #expect(steady["status"] as? String == "PASS" && steady["build_id"] as? String == "zcbench:6.12.117+deb12-amd64")
        let misc = try #require(steady["misc"] as? [String: Any])
        #expect(misc["outcome"] as? String == "xfail" && misc["expected"] as? String == "fail")
        #expect((misc["metrics"] as? [String: Any])?["baseline.memory_current"] != nil)
        #expect(Set(tests.compactMap { $0["status"] as? String }) == ["PASS", "ERROR"])
        #expect(KCIDBReport.status(.xpass) == "FAIL" && KCIDBReport.status(.skipped) == "SKIP")
        #expect(KCIDBReport.path("tcp-zerocopy/mapped charged") == "tcp-zerocopy.mapped_charged")
    }

    @Test("verdict KTAP: fail, xpass and skip lines")
    func verdictKTAPLines() {
        func verdict(_ outcome: Outcome) -> VerdictCase {
            VerdictCase(name: "pool-free/steady", outcome: outcome, expected: outcome == .xpass ? .fail : .pass,
                        measured: "+0 B for 4 MiB", condition: "charged >= mapped", reason: "charged before insert")
        }
        #expect(VerdictKTAP.lines(verdict(.fail), number: 3) == [
            "# pool-free/steady: measured: +0 B for 4 MiB", "# pool-free/steady: condition: charged >= mapped",
            "# pool-free/steady: expected pass: charged before insert", "not ok 3 pool-free/steady"])
        #expect(VerdictKTAP.lines(verdict(.xpass), number: 3).last == "not ok 3 pool-free/steady # XPASS expected to fail, but it held: +0 B for 4 MiB")
        #expect(VerdictKTAP.lines(verdict(.skipped), number: 3) == ["ok 3 pool-free/steady # SKIP +0 B for 4 MiB"])
        #expect(VerdictKTAP.lines(verdict(.pass), number: 1) == ["ok 1 pool-free/steady"])
    }

    @Test("a crashed boot: JSON's nodes are JUnit's cases, the run's error among them")
    func crashedNodes() throws {
        let full = try fixture("matrix-sample.ktap")
        let cut = String(full[..<full.range(of: "    # Subtest: pool-free/release")!.lowerBound])
        let report = try MatrixSample.report(cut, console: "[ 7.1] BUG: kernel NULL pointer dereference, address: 0\n")
        let document = try #require(try JSONSerialization.jsonObject(with: JSONReport.data([report])) as? [String: Any])
        let nodes = try #require(document["nodes"] as? [[String: Any]])
        let cases = try testcases(try parse(JUnitReport.xml([report])))
        #expect(nodes.map { ($0["path"] as? [String] ?? []).dropFirst(2).joined(separator: "/") } == cases.compactMap { attribute($0, "name") })
        #expect(nodes.first?["result"] as? String == "incomplete" && (nodes.first?["path"] as? [String])?.last == "run")
    }

    @Test("two kernels: two suites, totals summed")
    func junitTwoRuns() throws {
        let reports = [try MatrixSample.report(kernel: "6.1.0-56-amd64", series: "6.1"), try MatrixSample.report()]
        let root = try parse(JUnitReport.xml(reports))
        let suites = root.elements(forName: "testsuite")
        #expect(suites.map { attribute($0, "name") } == ["zcbench 6.1.0-56-amd64", "zcbench 6.12.117+deb12-amd64"])
        let total = suites.compactMap { attribute($0, "tests").flatMap(Int.init) }.reduce(0, +)
        #expect(attribute(root, "tests") == "\(total)")
        #expect(try testcases(root).count == total)
    }

    // MARK: Markdown

    @Test("markdown: header line, the matrix table, the figures, the once-only checks, the command")
    func markdown() throws {
        let report = try MatrixSample.report()
        let text = MarkdownReport.markdown([report], command: "zcbench check --variants unaccounted,v2,pool-free --size-mib 4")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "### zcbench: 6.12.117+deb12-amd64 (series 6.12), tcg, 1 vCPU, 4 MiB per receive")
        #expect(lines.contains("| variant | " + Self.properties.joined(separator: " | ") + " |"))
        #expect(lines.contains("| unaccounted | xfail | pass | pass | xfail | xfail | pass | xfail | xfail | xfail | pass | xfail |"))
        #expect(lines.contains("| v2 | pass | pass | pass | xfail | pass | xfail | pass | xfail | pass | xfail | xfail |"))
        #expect(lines.contains("| pool-free | pass | pass | xfail | pass | pass | pass | pass | pass | pass | pass | pass |"))
        #expect(lines.contains("Figures that answer the review:"))
        #expect(lines.contains("  - double charge at 64-batch calls: 2048 pages"))
        #expect(lines.contains("  - under-charge window at 8-batch calls: 256 pages"))
        #expect(lines.contains("  - NOFAIL overshoot above memory.max: 3133440 bytes (3.0 MiB)"))
        #expect(lines.contains("  - bytes escaped after vmsplice: 4194304 bytes (4.0 MiB)"))
        #expect(lines.contains("  - zombie memcgs while mapped elsewhere: 1 memcgs"))
        #expect(text.contains("- tcp-zerocopy: 4.0 MiB of 4.0 MiB mapped, 36 KiB copied"))
        #expect(lines.contains("  - xfail mapped-charged (expect fail): memory.current +16 KiB while 4.0 MiB mapped"))
        #expect(lines.suffix(2) == ["    zcbench check --variants unaccounted,v2,pool-free --size-mib 4", ""])
        for line in lines where !line.hasPrefix("|") {
            #expect(line.count <= 100, "too long: \(line)")
        }
    }

    @Test("markdown lists each cell that differs, with measured, condition and the expectation")
    func markdownDifferences() throws {
        let ktap = try MatrixSample.unaccountedCharged()
        let text = MarkdownReport.markdown([try MatrixSample.report(ktap)], command: "zcbench check")
        #expect(text.contains("Cells that differ from their expectation:"))
        #expect(text.contains("- unaccounted/steady XPASS: memory.current +4.0 MiB, file_mapped +4.0 MiB, sock +0 B, kernel +8 KiB"))
        #expect(text.contains("  expected fail: upstream: mapped pages carry no charge"))
        #expect(text.contains("| unaccounted | XPASS |"))
    }

    // MARK: HTML

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("HTML: one SVG per variant with samples, five series, ticks in ms and MiB, no script")
    func html() throws {
        let text = HTMLReport.html([try MatrixSample.report()])
        #expect(text.hasPrefix("<!DOCTYPE html>"))
        #expect(count("<svg", in: text) == 3)
        #expect(count("<polyline", in: text) == 3 * 6)
        #expect(text.contains("time since start (ms)"))
        #expect(text.contains(">MiB</text>"))
        #expect(text.contains("<td class=\"o-xfail\""))
        #expect(text.contains("<th>bytes escaped after vmsplice</th>"))
        for forbidden in ["<script", "src=", "href=", "@import", "url("] {
            #expect(!text.contains(forbidden), "external or active content: \(forbidden)")
        }
        // The page is well-formed XML too, so every tag is closed and every text escaped.
        let root = try parse(text.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
            .replacingOccurrences(of: "<meta charset=\"utf-8\">", with: "<meta charset=\"utf-8\"/>"))
        #expect(root.name == "html")
    }

    @Test("HTML: a cell without samples says so instead of drawing an empty chart")
    func htmlNoSamples() throws {
        let ktap = try MatrixSample.editing("pool-free/double-charge") { $0.hasPrefix("    # sample ") ? nil : $0 }
        let text = HTMLReport.html([try MatrixSample.report(ktap)])
        #expect(count("<svg", in: text) == 2)
        #expect(text.contains("No samples for pool-free/double-charge"))
    }

    @Test("the double-charge window is shaded where memory.current rises above baseline + mapped + queued")
    func shading() {
        func sample(_ t: Int64, _ current: Int64) -> Sample {
            Sample(values: ["t_us": t, "mapped": 0, "queued": 0, "memory_current": current])
        }
        let cell = MatrixCell(variant: "v1", property: "double-charge", expected: .fail, outcome: .xfail, measured: "",
                              condition: "", reason: "", tolerance: "", figure: nil, figures: [],
                              metrics: Metrics(["baseline.memory_current": 1000]),
                              samples: [sample(0, 1100), sample(10, 900), sample(20, 1000), sample(30, 1200), sample(40, 1200)])
        let polygons = HTMLTimeline(cell: cell).shadedPolygons(HTMLTimeline(cell: cell).samples)
        #expect(polygons.count == 2)
        // Above from the start until the crossing at t = 5, then from t = 20 to the end.
        #expect(polygons.first?.map(\.t) == [0, 5, 5, 0])
        #expect(polygons.last?.map(\.t) == [20, 30, 40, 40, 30, 20])
        // Without a baseline nothing can be derived, and nothing is shaded.
        var bare = cell
        bare.metrics = Metrics([:])
        #expect(HTMLTimeline(cell: bare).shadedPolygons(HTMLTimeline(cell: bare).samples).isEmpty)
        #expect(!HTMLTimeline(cell: bare).svg().contains("<polygon"))
    }

    @Test("hostile text is escaped in HTML, JUnit and the SVG")
    func hostile() throws {
        let hostile = "<script>alert('x')</script> & \"q\" ]]> \u{1B}[31m"
        let ktap = try fixture("matrix-sample.ktap").replacingOccurrences(of: "# zcpool version 0.1.0", with: "# \(hostile)")
        let report = try MatrixSample.report(ktap, kernel: "6.12<b>&\"x\"")
        #expect(report.moduleLoad.measured.contains("<script>"))

        let html = HTMLReport.html([report])
        #expect(!html.contains("<script"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; ]]&gt; \u{FFFD}[31m"))
        #expect(html.contains("6.12&lt;b&gt;&amp;&quot;x&quot;"))

        let root = try parse(JUnitReport.xml([report]))
        let load = try #require(try testcases(root).first { attribute($0, "name") == "module-load" })
        #expect(load.elements(forName: "system-out").first?.stringValue?.contains("<script>alert('x')</script> & \"q\" ]]>") == true)
        #expect(attribute(load, "classname") == "zcbench.6_12<b>&\"x\"")

        #expect(ReportFormat.escape("a\tb\nc", attribute: true) == "a&#9;b&#10;c")
        #expect(ReportFormat.escape("a\u{0}b\u{FFFF}") == "a\u{FFFD}b\u{FFFD}")
    }

    // MARK: Determinism and the terminal table

    @Test("the same run gives byte-identical reports")
    func deterministic() throws {
        let a = try MatrixSample.report(), b = try MatrixSample.report()
        #expect(JUnitReport.xml([a]) == JUnitReport.xml([b]))
        #expect(MarkdownReport.markdown([a], command: "x") == MarkdownReport.markdown([b], command: "x"))
        #expect(HTMLReport.html([a]) == HTMLReport.html([b]))
        #expect(MatrixTable.text(a.matrix!) == MatrixTable.text(b.matrix!))
    }

    @Test("terminal matrix: fixed-width rows, then the figures")
    func matrixTable() throws {
        let text = MatrixTable.text(try #require(try MatrixSample.report().matrix))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("variant      steady   release  double-charge  under-charge"))
        #expect(lines[1].hasPrefix("unaccounted  xfail    pass     pass           xfail"))
        #expect(lines[2].hasPrefix("v2           pass     pass     pass           xfail"))
        #expect(lines[3].hasPrefix("pool-free    pass     pass     xfail          pass"))
        // Columns line up: each label starts where its header does.
        let column = lines[0].range(of: "vmsplice-pin")!.lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].dropFirst(column).hasPrefix("xfail"))
        #expect(lines[3].dropFirst(column).hasPrefix("pass"))
        #expect(lines.contains("figure                                 unaccounted  v2          pool-free"))
        #expect(lines.contains("bytes escaped after vmsplice           4.0 MiB      4.0 MiB     0 B"))
        #expect(lines.contains("double charge at 64-batch calls        0 pages      0 pages     2048 pages"))
        #expect(lines.contains("under-charge window at 1-batch calls   32 pages     32 pages    0 pages"))
        #expect(lines.contains("NOFAIL overshoot above memory.max      0 B          3.0 MiB     0 B"))
    }
}

@Suite("the terminal table and JSON of a tcp-zerocopy run")
struct RunTableTests {
    @Test("JSON carries every metric and check, and decodes back")
    func json() throws {
        let report = judge(ktap: try fixture("guest-6.12.117-tcp-zerocopy.ktap"))
        let data = try JSONReport.data([report])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"schema\" : \"zcbench/run/v1\""))
        #expect(text.contains("\"mapped.memory_current\" : 614400"))
        #expect(text.contains("\"path\" : [\n        \"zcbench\",\n        \"6.1.0-56-amd64\",\n        \"tcp-zerocopy\",\n        \"mapped-charged\""))
        #expect(text.contains("\"outcome\" : \"xfail\""))
        struct Document: Decodable { var runs: [RunReport] }
        let decoded = try JSONDecoder().decode(Document.self, from: data).runs
        #expect(decoded == [report])
    }

    @Test("the table shows mapped against charged and the verdict")
    func table() throws {
        let text = TextReport.table([judge(ktap: try fixture("guest-6.12.117-tcp-zerocopy.ktap"))])
        #expect(text.contains("XFAIL    tcp-zerocopy/mapped-charged"))
        #expect(text.contains("verdict: every expectation holds"))
    }
}
