import Foundation
import ZCGuest

/// Watches the results file while QEMU runs, noting when the runner first wrote and when
/// the exit line arrived (wall time since the watch began).
struct ResultsWatcher: Sendable {
    var file: URL
    var interval: Duration = .milliseconds(20)

    func watch() async -> (started: Duration?, finished: Duration?) {
        let start = ContinuousClock.now
        var started: Duration?
        var finished: Duration?
        func look() {
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
        if finished == nil { look() }
        return (started, finished)
    }
}
