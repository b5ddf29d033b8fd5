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
        while !Task.isCancelled && finished == nil {
            if let data = try? Data(contentsOf: file), !data.isEmpty {
                if started == nil { started = ContinuousClock.now - start }
                if data.range(of: Data(("# " + GuestProtocol.exitLine).utf8)) != nil { finished = ContinuousClock.now - start }
            }
            try? await Task.sleep(for: interval)
        }
        return (started, finished)
    }
}
