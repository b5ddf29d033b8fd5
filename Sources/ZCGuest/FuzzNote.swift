import Foundation

/// A note zcpool-fuzz prints about its operations (vm/lib/protocol.h, ZCB_NOTE_*), parsed.
public enum FuzzNote: Sendable, Equatable {
    /// `repro-states <variant> S,S,...`: the generator state of each operation of a
    /// minimized sequence, hexadecimal.
    case reproStates(variant: String, states: [UInt64])
    /// `fuzz-progress <n>`: a thread alone has run n operations.
    case progress(Int)
    /// `repro <variant>: <operation>`: one replayed operation, with its arguments.
    case repro(variant: String, operation: String)

    /// Parses one diagnostic (without its "# "); nil for any other line.
    public init?(_ line: String) {
        if line.hasPrefix(GuestProtocol.Note.reproStates) {
            let words = line.dropFirst(GuestProtocol.Note.reproStates.count).split(separator: " ")
            guard words.count == 2, let states = Self.states(String(words[1])) else { return nil }
            self = .reproStates(variant: String(words[0]), states: states)
        } else if line.hasPrefix(GuestProtocol.Note.progress) {
            guard let count = Int(line.dropFirst(GuestProtocol.Note.progress.count)) else { return nil }
            self = .progress(count)
        } else if line.hasPrefix(GuestProtocol.Note.repro) {
            let rest = line.dropFirst(GuestProtocol.Note.repro.count)
            guard let colon = rest.range(of: ": ") else { return nil }
            self = .repro(variant: String(rest[..<colon.lowerBound]), operation: String(rest[colon.upperBound...]))
        } else {
            return nil
        }
    }

    /// Comma-separated non-zero hexadecimal generator states; nil if any is not one.
    public static func states(_ text: String) -> [UInt64]? {
        var states: [UInt64] = []
        for token in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let state = UInt64(token.trimmingCharacters(in: .whitespaces), radix: 16), state != 0 else { return nil }
            states.append(state)
        }
        return states
    }
}
