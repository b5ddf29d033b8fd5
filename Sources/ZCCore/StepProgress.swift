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

    /// Replaces the live line (one that the next `live` or `endLive` overwrites) with `line`.
    public func live(_ line: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Clears the live line.
    public func endLive() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func format(_ duration: Duration) -> String {
        String(format: "%.1f s", duration.seconds)
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
