/// A malformed line in a cgroup memory file.
public struct CgroupFileParseError: Error, Equatable, CustomStringConvertible {
    /// The file being parsed, for example "memory.stat".
    public let file: String
    /// 1-based line number of the offending line.
    public let lineNumber: Int
    /// The offending line as read.
    public let line: String
    /// What is wrong with it.
    public let reason: String

    /// Creates an error for `line` of `file`.
    public init(file: String, lineNumber: Int, line: String, reason: String) {
        self.file = file
        self.lineNumber = lineNumber
        self.line = line
        self.reason = reason
    }

    /// "memory.stat line 3: expected "<key> <value>": "anon""
    public var message: String {
        "\(file) line \(lineNumber): \(reason): \(line.debugDescription)"
    }

    public var description: String { message }
}

/// One `key value` line of a flat keyed cgroup file.
public struct CgroupEntry: Sendable, Equatable {
    /// The key, for example "file_mapped".
    public var key: String
    /// The value (bytes, pages or a count, as the key says).
    public var value: UInt64

    /// Creates an entry.
    public init(key: String, value: UInt64) {
        self.key = key
        self.value = value
    }
}

/// cgroup v2 memory.stat: one `key value` line per counter, in the kernel's order.
/// Memory amounts are in bytes, event counters are counts.
public struct MemoryStat: Sendable, Equatable {
    /// The counters in file order.
    public let entries: [CgroupEntry]
    private let index: [String: UInt64]

    /// Parses the text of memory.stat.
    /// - Throws: `CgroupFileParseError` for a line that is not `<key> <unsigned integer>` or
    ///   repeats a key.
    public init(parsing text: String) throws(CgroupFileParseError) {
        entries = try parseCgroupKeyedFile(text, file: "memory.stat")
        index = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
    }

    /// The value of `key`, or nil if the file has no such line.
    public subscript(key: String) -> UInt64? { index[key] }

    /// Anonymous memory (`anon`), bytes.
    public var anon: UInt64? { self["anon"] }
    /// Page cache including tmpfs (`file`), bytes.
    public var file: UInt64? { self["file"] }
    /// All kernel memory, including kmem charges (`kernel`), bytes.
    public var kernel: UInt64? { self["kernel"] }
    /// Network transmission buffers (`sock`), bytes.
    public var sock: UInt64? { self["sock"] }
    /// Swap-backed cached memory: tmpfs, shm, shared anonymous mappings (`shmem`), bytes.
    public var shmem: UInt64? { self["shmem"] }
    /// Cached file data mapped with mmap (`file_mapped`), bytes.
    public var fileMapped: UInt64? { self["file_mapped"] }
}

/// cgroup v2 memory.events: counts of `low`, `high`, `max`, `oom`, `oom_kill`, ...
public struct MemoryEvents: Sendable, Equatable {
    /// The counters in file order.
    public let entries: [CgroupEntry]
    private let index: [String: UInt64]

    /// Parses the text of memory.events.
    /// - Throws: `CgroupFileParseError` for a malformed line.
    public init(parsing text: String) throws(CgroupFileParseError) {
        entries = try parseCgroupKeyedFile(text, file: "memory.events")
        index = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
    }

    /// The value of `key`, or nil if the file has no such line.
    public subscript(key: String) -> UInt64? { index[key] }

    /// Times the cgroup was over memory.max and reclaim or the OOM killer ran (`max`).
    public var max: UInt64? { self["max"] }
    /// Times the cgroup hit its limit and would have gone OOM (`oom`).
    public var oom: UInt64? { self["oom"] }
    /// Processes in the cgroup killed by the OOM killer (`oom_kill`).
    public var oomKill: UInt64? { self["oom_kill"] }
}

/// cgroup v2 memory.current: the cgroup's memory usage in bytes, one integer on one line.
public struct MemoryCurrent: Sendable, Equatable {
    /// Bytes in use by the cgroup and its descendants.
    public let bytes: UInt64

    /// Parses the text of memory.current.
    /// - Throws: `CgroupFileParseError` unless the text is one unsigned integer and a
    ///   line end.
    public init(parsing text: String) throws(CgroupFileParseError) {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let content = lines.first.map(String.init) ?? ""
        guard lines.dropFirst().allSatisfy(\.isEmpty), let value = UInt64(content) else {
            throw CgroupFileParseError(
                file: "memory.current", lineNumber: 1, line: content,
                reason: "expected one unsigned integer")
        }
        bytes = value
    }
}

/// Parses `key value` lines; blank lines are skipped.
private func parseCgroupKeyedFile(_ text: String, file: String) throws(CgroupFileParseError) -> [CgroupEntry] {
    var entries: [CgroupEntry] = []
    var seen: Set<String> = []
    for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
        let fields = line.split(whereSeparator: \.isWhitespace)
        if fields.isEmpty { continue }
        func fail(_ reason: String) -> CgroupFileParseError {
            CgroupFileParseError(file: file, lineNumber: offset + 1, line: String(line), reason: reason)
        }
        guard fields.count == 2, let value = UInt64(fields[1]) else {
            throw fail("expected \"<key> <unsigned integer>\"")
        }
        let key = String(fields[0])
        guard seen.insert(key).inserted else {
            throw fail("duplicate key \(key)")
        }
        entries.append(CgroupEntry(key: key, value: value))
    }
    return entries
}
