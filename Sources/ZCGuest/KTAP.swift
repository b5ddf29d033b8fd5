/// The outcome of one KTAP test.
public enum KTAPResult: Sendable, Equatable {
    /// `ok N name`
    case ok
    /// `not ok N name`
    case notOk
    /// No result line was printed: the test was started (its subtest block began) or planned,
    /// but the output ended first. The guest crashed or hung in this test.
    case missing
}

/// A directive after `#` on a result line (ktap.rst); the text after the keyword is the reason.
public enum KTAPDirective: Sendable, Equatable {
    /// `ok 1 name # SKIP reason`
    case skip(String)
    /// `not ok 1 name # TODO reason`
    case todo(String)
    /// `ok 1 name # XFAIL reason` (kselftest: failed as expected)
    case xfail(String)
}

/// One test and, if it has a nested block, its subtests.
public struct KTAPTest: Sendable, Equatable {
    /// The number on the result line (1-based within its parent).
    public var number: Int
    /// The description on the result line without a TAP "- " prefix; for a test whose result
    /// line is missing, the name from its "# Subtest: name" header, or "" if there was none.
    public var name: String
    /// ok, not ok, or missing.
    public var result: KTAPResult
    /// SKIP, TODO or XFAIL from the result line.
    public var directive: KTAPDirective?
    /// Text after `#` on the result line that is not a known directive
    /// (for example `TIMEOUT 30 seconds` or `rcode=0`).
    public var comment: String?
    /// The diagnostic lines belonging to this test, without the leading "# ": those printed at
    /// this test's level since the previous result line, and those in its subtest block that
    /// no subtest took (the ones after the block's last result line).
    public var diagnostics: [String]
    /// Lines that are neither KTAP nor diagnostics (kernel messages, garbage), kept verbatim,
    /// that appeared while this test was the one running.
    public var unknownLines: [String]
    /// `# metric <name>=<integer>` values from this test's diagnostics and, recursively, from
    /// its subtests' (KTAP attaches diagnostics inside a subtest block to the next case, so a
    /// scenario's measurements arrive on its cases). On a clash the later line wins, and the
    /// test's own diagnostics win over its subtests'.
    public var metrics: [String: Int64]
    /// The plan (`1..N`) of this test's subtest block, if it had one.
    public var plan: Int?
    /// The subtests, ordered by number; planned or started ones without a result line are
    /// present with `result == .missing`.
    public var subtests: [KTAPTest]

    /// Creates a test; `metrics` defaults to the metrics found in `diagnostics` and `subtests`.
    public init(
        number: Int, name: String, result: KTAPResult, directive: KTAPDirective? = nil,
        comment: String? = nil, diagnostics: [String] = [], unknownLines: [String] = [],
        metrics: [String: Int64]? = nil, plan: Int? = nil, subtests: [KTAPTest] = []
    ) {
        self.number = number
        self.name = name
        self.result = result
        self.directive = directive
        self.comment = comment
        self.diagnostics = diagnostics
        self.unknownLines = unknownLines
        self.plan = plan
        self.subtests = subtests
        self.metrics = metrics ?? Self.collectMetrics(diagnostics: diagnostics, subtests: subtests)
    }

    /// True when this test and all its subtests have result lines.
    public var isComplete: Bool {
        result != .missing && subtests.allSatisfy(\.isComplete)
    }

    private static func collectMetrics(diagnostics: [String], subtests: [KTAPTest]) -> [String: Int64] {
        var metrics: [String: Int64] = [:]
        for subtest in subtests {
            metrics.merge(subtest.metrics) { _, new in new }
        }
        for line in diagnostics {
            if let (name, value) = parseMetric(line) {
                metrics[name] = value
            }
        }
        return metrics
    }

    /// Parses `metric <name>=<signed integer>` (a diagnostic without its "# ").
    static func parseMetric(_ diagnostic: String) -> (String, Int64)? {
        guard diagnostic.hasPrefix("metric ") else { return nil }
        let assignment = diagnostic.dropFirst("metric ".count).ktapTrimmed()
        guard let equals = assignment.firstIndex(of: "=") else { return nil }
        let name = assignment[..<equals]
        guard !name.isEmpty, !name.contains(where: \.isWhitespace),
            let value = Int64(assignment[assignment.index(after: equals)...])
        else { return nil }
        return (String(name), value)
    }
}

/// A parsed KTAP version 1 document (Documentation/dev-tools/ktap.rst), as printed by the guest
/// on ttyS1 (docs/guest-protocol.md). "TAP version 13/14" headers, TAP's "ok 1 - name" and
/// tab or space indentation of any width are accepted too.
///
/// Parsing never fails: lines that are not KTAP are kept in `unknownLines`, and tests whose
/// result line never came are present with `result == .missing`.
public struct KTAPDocument: Sendable, Equatable {
    /// The version line, for example "KTAP version 1"; nil if none was found.
    public var version: String?
    /// The top-level plan (`1..N`).
    public var plan: Int?
    /// The top-level tests, ordered by number, including `.missing` ones.
    public var tests: [KTAPTest]
    /// Top-level diagnostic lines (without "# ") that belong to no test: before the version
    /// line, or after the last result line.
    public var diagnostics: [String]
    /// Unknown lines that belong to no test, kept verbatim.
    public var unknownLines: [String]
    /// The status from the `# zcbench-exit <status>` trailer; nil if it never came.
    public var exitStatus: Int?

    /// True when the document has a plan and every planned test, at every level, has its
    /// result line. The exit trailer is not part of KTAP; check `exitStatus` separately.
    public var isComplete: Bool {
        plan != nil && tests.allSatisfy(\.isComplete)
    }

    /// Parses KTAP text. LF, CRLF and CR line ends are all accepted.
    public init(parsing text: String) {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(KTAPLine.init)
        var parser = KTAPParser(lines: lines)
        var preambleDiagnostics: [String] = []
        var preambleUnknown: [String] = []
        let start = lines.firstIndex { if case .version = $0.kind { true } else { false } }
        if let start {
            for line in lines[..<start] {
                switch line.kind {
                case .blank: break
                case .diagnostic(let text): preambleDiagnostics.append(text)
                case .subtestHeader(let name): preambleDiagnostics.append("Subtest: \(name)")
                default: preambleUnknown.append(line.text)
                }
            }
            parser.index = start
        }
        let block = parser.parseBlock(indent: start.map { lines[$0].indent } ?? 0, topLevel: true)
        version = block.version
        plan = block.plan
        tests = block.tests
        diagnostics = preambleDiagnostics + block.diagnostics
        unknownLines = preambleUnknown + block.unknownLines
        exitStatus = block.exitStatus
    }
}

// MARK: - Lines

private struct KTAPLine {
    enum Kind {
        case blank
        case version(String)
        case plan(Int)
        case result(ok: Bool, number: Int, description: Substring)
        case subtestHeader(String)
        case exit(Int)
        case diagnostic(String)
        case unknown
    }

    /// The line as printed, without its line end.
    let text: String
    /// Leading spaces and tabs.
    let indent: Int
    let kind: Kind

    init(_ raw: Substring) {
        text = String(raw)
        let content = raw.drop { $0 == " " || $0 == "\t" }
        indent = raw.count - content.count
        kind = Self.classify(content.ktapTrimmed())
    }

    private static func classify(_ content: Substring) -> Kind {
        if content.isEmpty { return .blank }
        if content.hasPrefix("#") {
            var text = content.dropFirst()
            if text.first == " " { text = text.dropFirst() }
            if text.hasPrefix("Subtest:") {
                return .subtestHeader(String(text.dropFirst("Subtest:".count).ktapTrimmed()))
            }
            if text.hasPrefix(GuestProtocol.exitLine), let status = Int(text.dropFirst(GuestProtocol.exitLine.count)) {
                return .exit(status)
            }
            return .diagnostic(String(text))
        }
        if content.hasPrefix("KTAP version ") || content.hasPrefix("TAP version ") {
            return .version(String(content))
        }
        if content.hasPrefix("1..") {
            let count = content.dropFirst(3).prefix { $0.isASCII && $0.isNumber }
            let rest = content.dropFirst(3 + count.count).ktapTrimmed()
            if let plan = Int(count), rest.isEmpty || rest.hasPrefix("#") { return .plan(plan) }
        }
        for (prefix, ok) in [("ok ", true), ("not ok ", false)] where content.hasPrefix(prefix) {
            let afterPrefix = content.dropFirst(prefix.count)
            let digits = afterPrefix.prefix { $0.isASCII && $0.isNumber }
            let description = afterPrefix.dropFirst(digits.count)
            if let number = Int(digits), description.isEmpty || description.first == " " {
                return .result(ok: ok, number: number, description: description)
            }
        }
        return .unknown
    }

    /// Whether this line, seen deeper than the current block, opens a nested block.
    var opensBlock: Bool {
        switch kind {
        case .version, .subtestHeader, .plan, .result: true
        default: false
        }
    }
}

// MARK: - Parser

private struct KTAPParser {
    struct Block {
        var version: String?
        var header: String?
        var plan: Int?
        var tests: [KTAPTest] = []
        /// Lines no test took.
        var diagnostics: [String] = []
        var unknownLines: [String] = []
        var exitStatus: Int?
    }

    let lines: [KTAPLine]
    var index = 0

    init(lines: [KTAPLine]) {
        self.lines = lines
    }

    /// Parses the block whose lines are indented by `indent`, starting at `index`. A nested
    /// block ends at the first KTAP or diagnostic line indented less; unknown lines never end
    /// a block. The top-level block runs to the end of the input.
    mutating func parseBlock(indent: Int, topLevel: Bool) -> Block {
        var block = Block()
        var pendingDiagnostics: [String] = []
        var pendingUnknown: [String] = []
        var pendingNested: Block?
        var lastNumber = 0

        func takeTest(
            number: Int, name: String, result: KTAPResult, directive: KTAPDirective? = nil, comment: String? = nil
        ) {
            let nested = pendingNested
            block.tests.append(
                KTAPTest(
                    number: number, name: name.isEmpty ? (nested?.header ?? "") : name, result: result,
                    directive: directive, comment: comment, diagnostics: pendingDiagnostics,
                    unknownLines: pendingUnknown, plan: nested?.plan, subtests: nested?.tests ?? []))
            pendingNested = nil
            pendingDiagnostics = []
            pendingUnknown = []
            lastNumber = max(lastNumber, number)
        }

        while index < lines.count {
            let line = lines[index]
            switch line.kind {
            case .blank:
                index += 1
                continue
            case .unknown:
                pendingUnknown.append(line.text)
                index += 1
                continue
            default:
                break
            }
            if line.indent < indent && !topLevel {
                break
            }
            if line.indent > indent && line.opensBlock {
                if pendingNested != nil {
                    takeTest(number: lastNumber + 1, name: "", result: .missing)
                }
                var nested = parseBlock(indent: line.indent, topLevel: false)
                pendingDiagnostics += nested.diagnostics
                pendingUnknown += nested.unknownLines
                nested.diagnostics = []
                nested.unknownLines = []
                pendingNested = nested
                continue
            }
            switch line.kind {
            case .version(let version) where block.version == nil && block.plan == nil && block.tests.isEmpty:
                block.version = version
            case .subtestHeader(let name) where block.header == nil && block.tests.isEmpty:
                block.header = name
            case .plan(let plan) where block.plan == nil:
                block.plan = plan
            case .result(let ok, let number, let description):
                let (name, directive, comment) = Self.splitDescription(description)
                takeTest(number: number, name: name, result: ok ? .ok : .notOk, directive: directive, comment: comment)
            case .exit(let status) where topLevel:
                block.exitStatus = status
            case .exit(let status):
                pendingDiagnostics.append(GuestProtocol.exitLine + "\(status)")
            case .diagnostic(let text):
                pendingDiagnostics.append(text)
            case .subtestHeader(let name):
                pendingDiagnostics.append("Subtest: \(name)")
            default:
                pendingUnknown.append(line.text)
            }
            index += 1
        }

        if pendingNested != nil {
            takeTest(number: lastNumber + 1, name: "", result: .missing)
        }
        // Planned or skipped-over numbers without a result line: missing. The first one after
        // the last result is the test that was running, so it takes the lines printed since.
        let seen = Set(block.tests.map(\.number))
        let highest = max(block.plan ?? 0, lastNumber)
        if highest > 0 {
            for number in 1...highest where !seen.contains(number) {
                if number > lastNumber {
                    takeTest(number: number, name: "", result: .missing)
                } else {
                    block.tests.append(KTAPTest(number: number, name: "", result: .missing))
                }
            }
        }
        block.tests.sort { $0.number < $1.number }
        block.diagnostics = pendingDiagnostics
        block.unknownLines = pendingUnknown
        return block
    }

    /// Splits `[ [- ]name][ # directive-or-comment]`.
    static func splitDescription(_ description: Substring) -> (String, KTAPDirective?, String?) {
        let hash = description.firstIndex(of: "#")
        var name = description[..<(hash ?? description.endIndex)].ktapTrimmed()
        if name.hasPrefix("- ") { name = name.dropFirst(2).ktapTrimmed() }
        guard let hash else { return (String(name), nil, nil) }
        let tail = description[description.index(after: hash)...].ktapTrimmed()
        let keyword = tail.prefix { !$0.isWhitespace }
        let reason = String(tail.dropFirst(keyword.count).ktapTrimmed())
        switch keyword.uppercased() {
        case "SKIP": return (String(name), .skip(reason), nil)
        case "TODO": return (String(name), .todo(reason), nil)
        case "XFAIL": return (String(name), .xfail(reason), nil)
        default: return (String(name), nil, tail.isEmpty ? nil : String(tail))
        }
    }
}

extension Substring {
    /// Drops leading and trailing whitespace.
    fileprivate func ktapTrimmed() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return self[endIndex...] }
        return self[first...last]
    }
}
