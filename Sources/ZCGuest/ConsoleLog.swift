/// Reads a guest console log for signs that the kernel went wrong.
public struct ConsoleLog: Sendable, Equatable {
    public var text: String

    public init(_ text: String) { self.text = text }

    /// A line that marks the run as crashed (a ``GuestProtocol/consoleMarkers`` text), with
    /// the lines that follow it.
    public struct Crash: Sendable, Equatable {
        public var kind: String
        public var line: String
        public var excerpt: [String]
    }

    public var lines: [String] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { String($0).replacingCR() }
    }

    /// The first crash marker in the log, with up to `context` lines from it on.
    public func firstCrash(context: Int = 40) -> Crash? {
        let all = lines
        for (index, line) in all.enumerated() {
            for marker in GuestProtocol.consoleMarkers where line.contains(marker.text) {
                return Crash(kind: marker.kind, line: line,
                             excerpt: Array(all[index..<min(all.count, index + context)]))
            }
        }
        return nil
    }

    /// The kernel's own clock, in seconds, when /init started (its line
    /// `zcbench-init: started at uptime 2.61 s`): kernel boot without QEMU's start and the
    /// firmware. nil if not printed.
    public var kernelTimeToInit: Double? {
        let prefix = GuestProtocol.initStartedLine
        guard let line = lines.first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return Double(line.dropFirst(prefix.count).split(separator: " ").first ?? "")
    }

    /// The last `count` non-empty lines, for a guest that never finished.
    public func tail(_ count: Int = 20) -> [String] {
        Array(lines.filter { !$0.isEmpty }.suffix(count))
    }
}

extension String {
    func replacingCR() -> String { filter { $0 != "\r" } }
}
