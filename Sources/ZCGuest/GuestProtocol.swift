/// The host's twin of vm/lib/protocol.h: the names and limits the guest programs and zcbench
/// share. Tests/ZCGuestTests/ProtocolParityTests.swift reads that header and fails when a
/// value here differs from it. docs/guest-protocol.md describes the protocol.
public enum GuestProtocol {
    /// Kernel command-line parameters are `zcbench.<key>=<value>` (ZCB_PARAM_PREFIX).
    public static let parameterPrefix = "zcbench."

    /// The `zcbench.*` keys init and the runner read (ZCB_KEY_*).
    public enum Key: String, Sendable, CaseIterable {
        case mode
        case scenarios
        case variants
        case tcpDesigns = "tcp_designs"
        case tcpKernel = "tcp_kernel"
        case sizeMiB = "size_mib"
        case settleMilliseconds = "settle_ms"
        case flushStats = "flush_stats"
        case runnerTimeoutSeconds = "runner_timeout_s"
        case fault
        case fuzzSeconds = "fuzz_seconds"
        case fuzzSeed = "fuzz_seed"
        case fuzzVariants = "fuzz_variants"
        case fuzzRepro = "fuzz_repro"
        case fuzzThread = "fuzz_thread"
        case fuzzOperations = "fuzz_ops"
        case fuzzTraceFrom = "fuzz_trace_from"
    }

    /// Values of `zcbench.mode` (ZCB_MODE_*).
    public enum Mode: String, Sendable, CaseIterable {
        case run
        case shell
    }

    /// Init's first console line, then "<seconds> s" (ZCB_LINE_INIT_STARTED).
    public static let initStartedLine = "zcbench-init: started at uptime "
    /// The results trailer after "# ": the runner's exit status (ZCB_LINE_EXIT).
    public static let exitLine = "zcbench-exit "
    /// The runner's last diagnostic: MemTotal and the lowest MemAvailable (ZCB_LINE_GUEST_MEMORY).
    public static let guestMemoryLine = "guest memory: "
    /// A timeline point: `name=integer` fields (ZCB_LINE_SAMPLE).
    public static let sampleLine = "sample "

    /// zcpool-fuzz's shape and limits (ZCB_FUZZ_*).
    public enum Fuzz {
        /// Worker processes per variant, and threads per worker.
        public static let processes = 2
        public static let threadsPerProcess = 2
        /// Most generator states `zcbench.fuzz_repro` takes (they cross the kernel command line).
        public static let maxReproOperations = 48
        /// The guest's time for minimizing failures, all variants together.
        public static let minimizeSeconds = 120
        /// A thread alone prints how far it got this often.
        public static let progressOperations = 256
        /// Operations printed before a crash of a thread alone.
        public static let traceOperations = 16
    }

    /// Prefixes of the notes zcpool-fuzz prints (ZCB_NOTE_*).
    public enum Note {
        public static let reproStates = "repro-states "
        public static let progress = "fuzz-progress "
        public static let repro = "repro "
    }

    /// Console lines that show a kernel in trouble, as (kind, text), in the order the host
    /// scans for them (ZCB_CONSOLE_MARKERS); the fuzzer scans /dev/kmsg for the same.
    public static let consoleMarkers: [(kind: String, text: String)] = [
        ("panic", "Kernel panic - not syncing"),
        ("KASAN", "BUG: KASAN:"),
        ("sleeping in atomic context", "BUG: sleeping function called from invalid context"),
        ("BUG", "BUG:"),
        ("BUG", "kernel BUG at"),
        ("Oops", "Oops:"),
        ("general protection fault", "general protection fault"),
        ("lockdep", "WARNING: possible "),
        ("lockdep", "WARNING: inconsistent lock state"),
        ("lockdep", "WARNING: suspicious RCU usage"),
        ("WARNING", "WARNING:"),
        ("bad page", "Bad page state"),
    ]
}

/// The `zcbench.*` parameters of one boot, typed; ``pairs`` is what goes on the kernel
/// command line, in a fixed order.
public struct GuestParameters: Sendable, Equatable {
    public var mode: GuestProtocol.Mode = .run
    public var scenarios: [String] = []
    public var variants: [String] = []
    /// The real path's designs (kernel/uapi/zctcp.h): the runner patches the kernel with each.
    public var tcpDesigns: [String] = []
    /// The real-path design the kernel was built with (a patched `zcbench kernel build`):
    /// the runner runs it without the livepatch.
    public var tcpKernel: String?
    public var sizeMiB: Int = 32
    public var settleMilliseconds: Int = 0
    public var flushStats = true
    /// Init stops the runner after this many seconds (nil: never).
    public var runnerTimeoutSeconds: Int64?
    /// A bug injected into zcpool: every load of the module gets `fault=` this.
    public var fault: String?
    public var fuzz: FuzzParameters?

    public init() {}

    /// `(key, value)` for each parameter that is set.
    public var pairs: [(key: GuestProtocol.Key, value: String)] {
        var pairs: [(key: GuestProtocol.Key, value: String)] = [(.mode, mode.rawValue)]
        if !scenarios.isEmpty { pairs.append((.scenarios, scenarios.joined(separator: ","))) }
        if !variants.isEmpty { pairs.append((.variants, variants.joined(separator: ","))) }
        if !tcpDesigns.isEmpty { pairs.append((.tcpDesigns, tcpDesigns.joined(separator: ","))) }
        if let tcpKernel { pairs.append((.tcpKernel, tcpKernel)) }
        pairs.append((.sizeMiB, "\(sizeMiB)"))
        pairs.append((.settleMilliseconds, "\(settleMilliseconds)"))
        pairs.append((.flushStats, flushStats ? "1" : "0"))
        if let fault { pairs.append((.fault, fault)) }
        if let fuzz { pairs += fuzz.pairs }
        if let runnerTimeoutSeconds { pairs.append((.runnerTimeoutSeconds, "\(runnerTimeoutSeconds)")) }
        return pairs
    }

    /// `zcbench.<key>=<value>` words for the kernel command line.
    public var words: [String] { pairs.map { "\(GuestProtocol.parameterPrefix)\($0.key.rawValue)=\($0.value)" } }
}

/// What zcpool-fuzz is asked to do: fuzz for `seconds`, or replay a failure's operations.
public struct FuzzParameters: Sendable, Equatable {
    public var seconds: Int
    /// nil: the guest takes one from its clock and reports it.
    public var seed: UInt64?
    public var variants: [String]
    /// Generator states of the operations to replay instead of fuzzing.
    public var repro: [UInt64] = []
    /// One thread alone (`P.K`), instead of every worker.
    public var thread: String?
    /// With `thread`: its first N operations, those from `traceFrom` on printed.
    public var operations: Int?
    public var traceFrom: Int?

    public init(seconds: Int, seed: UInt64?, variants: [String], repro: [UInt64] = [],
                thread: String? = nil, operations: Int? = nil, traceFrom: Int? = nil) {
        self.seconds = seconds
        self.seed = seed
        self.variants = variants
        self.repro = repro
        self.thread = thread
        self.operations = operations
        self.traceFrom = traceFrom
    }

    /// The parameters in the order the command line has always had them (by key).
    var pairs: [(key: GuestProtocol.Key, value: String)] {
        var pairs: [(key: GuestProtocol.Key, value: String)] = []
        if let operations { pairs.append((.fuzzOperations, "\(operations)")) }
        if !repro.isEmpty { pairs.append((.fuzzRepro, repro.map { String($0, radix: 16) }.joined(separator: ","))) }
        pairs.append((.fuzzSeconds, "\(seconds)"))
        if let seed { pairs.append((.fuzzSeed, "\(seed)")) }
        if let thread { pairs.append((.fuzzThread, thread)) }
        if let traceFrom { pairs.append((.fuzzTraceFrom, "\(traceFrom)")) }
        pairs.append((.fuzzVariants, variants.joined(separator: ",")))
        return pairs
    }
}
