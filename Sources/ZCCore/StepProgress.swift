import Foundation

/// Step-by-step progress on standard error, shown only when standard error is a terminal.
public struct StepProgress: Sendable {
    public var enabled: Bool

    public init(enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
    }

    /// Runs `body` between a "==> title" line and a line with its wall time.
    public func step<T>(_ title: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        note("==> \(title)")
        do {
            let value = try await body()
            note("    \(title): done in \(format(ContinuousClock.now - start))")
            return value
        } catch {
            note("    \(title): failed after \(format(ContinuousClock.now - start))")
            throw error
        }
    }

    /// Prints one line when progress is shown.
    public func note(_ line: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }
}
