/// Space-separated `name=integer` fields of a guest diagnostic (`t_us=1 mapped=2`); nil
/// if any field is not one.
public func integerFields(_ text: some StringProtocol) -> [String: Int64]? {
    var values: [String: Int64] = [:]
    for field in text.split(separator: " ") {
        let parts = field.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let value = Int64(parts[1]) else { return nil }
        values[String(parts[0])] = value
    }
    return values
}

/// The guest's memory over a run, from the runner's top-level diagnostic
/// `guest memory: total_kb=N min_available_kb=M` (MemTotal, and the lowest MemAvailable
/// seen at any cgroup sample).
public struct GuestMemory: Sendable, Equatable, Codable {
    public var totalKiB: Int64
    public var minAvailableKiB: Int64

    public init(totalKiB: Int64, minAvailableKiB: Int64) {
        self.totalKiB = totalKiB
        self.minAvailableKiB = minAvailableKiB
    }

    /// Parses the diagnostic (without its leading "# "); nil for any other line.
    public init?(diagnostic: String) {
        guard diagnostic.hasPrefix(GuestProtocol.guestMemoryLine),
              let values = integerFields(diagnostic.dropFirst(GuestProtocol.guestMemoryLine.count)),
              let total = values["total_kb"], let available = values["min_available_kb"] else { return nil }
        self.init(totalKiB: total, minAvailableKiB: available)
    }

    /// The most the guest used at once: MemTotal minus the lowest MemAvailable.
    public var peakUsedKiB: Int64 { totalKiB - minAvailableKiB }
}

/// One point of a timeline: a `# sample k=v ...` line of the guest.
public struct Sample: Sendable, Equatable, Codable {
    public var values: [String: Int64]

    public init(values: [String: Int64]) { self.values = values }

    /// Parses `sample t_us=1 mapped=2 ...` (a diagnostic without its leading "# ").
    public init?(diagnostic: String) {
        guard diagnostic.hasPrefix(GuestProtocol.sampleLine),
              let values = integerFields(diagnostic.dropFirst(GuestProtocol.sampleLine.count)) else {
            return nil
        }
        self.values = values
    }
}
