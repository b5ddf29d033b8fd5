/// The one error type zcbench reports to a user.
///
/// Every failure carries a ``Code`` (which also decides the process exit status), a
/// one-line message a user can act on, optional detail lines (the tail of a command's
/// output, the last console lines of a guest) and the underlying cause.
public struct ZCError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The user asked for something that does not exist or does not fit (exit 2).
        case usage
        /// A host tool or package is missing.
        case missingDependency
        /// An external command exited non-zero.
        case commandFailed
        /// The Debian archive has no kernel or headers for the request.
        case kernelResolution
        /// The kernel cache could not be read or written.
        case cache
        /// kbuild or gcc failed.
        case buildFailed
        /// The module was built for another kernel.
        case vermagicMismatch
        /// The guest did not produce a complete result in time.
        case guestTimeout
        /// The guest panicked, oopsed or hit a BUG or WARNING.
        case guestCrashed
        /// The guest output could not be understood.
        case protocolError
        /// A file could not be read or written.
        case io
        /// A bisection could not start: its endpoints do not differ or cannot be measured.
        case bisectAborted
        /// zcbench was interrupted by a signal.
        case interrupted
    }

    public var code: Code
    public var message: String
    /// Extra lines shown under the message, such as the tail of a command's output.
    public var details: [String]
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, details: [String] = [], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.cause = cause
    }

    /// Exit status for this failure: 2 for usage errors, 130 when interrupted, 1 otherwise.
    public var exitStatus: Int32 {
        switch code {
        case .usage: 2
        case .interrupted: 130
        default: 1
        }
    }

    public var description: String {
        var lines = ["error: \(message)"]
        lines += details.map { "  \($0)" }
        if let cause, !(cause is ZCError) {
            lines.append("  cause: \(cause)")
        }
        return lines.joined(separator: "\n")
    }
}
