import Foundation
import ZCGuest

/// Watches the results file while QEMU runs, noting when the runner first wrote and when
/// the exit line arrived (wall time since the watch began), and telling `onProgress` how
/// far the runner is about every half second.
struct ResultsWatcher: Sendable {
    var file: URL
    var interval: Duration = .milliseconds(20)
    var onProgress: (@Sendable (ResultsProgress, Duration) -> Void)?

    func watch() async -> (started: Duration?, finished: Duration?) {
        let start = ContinuousClock.now
        var started: Duration?
        var finished: Duration?
        var reported = ContinuousClock.now
        func look(reporting: Bool = true) {
            if reporting, let onProgress, ContinuousClock.now - reported >= .milliseconds(500) {
                reported = ContinuousClock.now
                let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
                onProgress(ResultsProgress(results: text), ContinuousClock.now - start)
            }
            guard let data = try? Data(contentsOf: file), !data.isEmpty else { return }
            if started == nil { started = ContinuousClock.now - start }
            if data.range(of: Data(("# " + GuestProtocol.exitLine).utf8)) != nil { finished = ContinuousClock.now - start }
        }
        while !Task.isCancelled && finished == nil {
            look()
            try? await Task.sleep(for: interval)
        }
        // QEMU may power off within one interval of the exit line: a last look, so that the
        // line is not missed (its time then is at most one interval late).
        if finished == nil { look(reporting: false) }
        return (started, finished)
    }
}

/// How far the runner is, from the results so far: its top-level tests done of its plan,
/// and the one it is in (the last subtest header at the first level).
public struct ResultsProgress: Sendable, Equatable {
    public var done = 0
    public var total: Int?
    public var running: String?

    public init(done: Int = 0, total: Int? = nil, running: String? = nil) {
        self.done = done
        self.total = total
        self.running = running
    }

    public init(results: String) {
        var lastHeader: String?
        var lastResult: String?
        for line in results.split(separator: "\n", omittingEmptySubsequences: true) {
            if total == nil, line.hasPrefix("1.."), let count = Int(line.dropFirst(3)) { total = count }
            if line.hasPrefix("ok ") || line.hasPrefix("not ok ") {
                done += 1
                lastResult = String(line)
            }
            if line.hasPrefix("    # Subtest: ") { lastHeader = String(line.dropFirst("    # Subtest: ".count)) }
        }
        // The header's test is running until its own result line comes.
        if let lastHeader, !(lastResult.map { $0.hasSuffix(" \(lastHeader)") || $0.contains(" \(lastHeader) #") } ?? false) {
            running = lastHeader
        }
    }

    /// "test 12 of 40: pool-free/steady", or what is known of it; before the runner's first
    /// line, "the guest is booting".
    public var description: String {
        if total == nil && done == 0 && running == nil { return "the guest is booting" }
        let count = total.map { "test \(min(done + 1, $0)) of \($0)" } ?? "test \(done + 1)"
        return running.map { "\(count): \($0)" } ?? count
    }
}
