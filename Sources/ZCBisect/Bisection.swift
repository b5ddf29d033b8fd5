import ZCAnalysis

/// What one run measured of the bisected property.
public enum PropertyState: String, Sendable, Codable, Equatable {
    case holds
    case violated
    /// No measurement: the module did not build, the guest crashed or hung, or the steps'
    /// runs disagreed without a clear majority.
    case unmeasured
}

/// One run of one bisect step (a step runs `--repeat` times).
public struct StepRun: Sendable, Codable, Equatable {
    /// The variant name, or the full commit id in git mode.
    public var candidate: String
    /// 1 ... repeat.
    public var attempt: Int
    public var state: PropertyState
    /// The property's numbers in words, or why nothing was measured.
    public var measured: String
    public var figure: Figure?
    /// SHA-256 of the zcpool.ko this run loaded (git mode).
    public var moduleDigest: String?
    /// Where the run's console.log and results.ktap are kept.
    public var runDirectory: String?

    public init(candidate: String, attempt: Int, state: PropertyState, measured: String, figure: Figure? = nil,
                moduleDigest: String? = nil, runDirectory: String? = nil) {
        self.candidate = candidate
        self.attempt = attempt
        self.state = state
        self.measured = measured
        self.figure = figure
        self.moduleDigest = moduleDigest
        self.runDirectory = runDirectory
    }
}

/// How a step answers the bisection, in git's words.
public enum StepVerdict: String, Sendable, Codable, Equatable {
    /// Same state as the good endpoint.
    case good
    /// Same state as the bad endpoint.
    case bad
    /// Not decided: unmeasured, or no clear majority (git's exit 125).
    case skip
}

/// One candidate, tested `runs.count` times.
public struct Step: Sendable, Codable, Equatable {
    public var candidate: String
    public var runs: [StepRun]
    /// The majority's state: at least two thirds of the runs agree, else unmeasured.
    public var state: PropertyState
    /// The share of runs behind `state` (1 when they all agree).
    public var confidence: Double

    /// The step made of `runs`: a state counts only with a clear majority, two thirds of all
    /// runs, unmeasured ones included; so one run decides alone, two must agree, and three
    /// need two.
    public init(candidate: String, runs: [StepRun]) {
        self.candidate = candidate
        self.runs = runs
        let holds = runs.filter { $0.state == .holds }.count
        let violated = runs.filter { $0.state == .violated }.count
        let leading = max(holds, violated)
        if !runs.isEmpty, leading > 0, leading * 3 >= runs.count * 2 {
            state = holds > violated ? .holds : .violated
            confidence = Double(leading) / Double(runs.count)
        } else {
            state = .unmeasured
            confidence = runs.isEmpty ? 0 : Double(runs.filter { $0.state == .unmeasured }.count) / Double(runs.count)
        }
    }

    /// The verdict against the endpoints' states.
    public func verdict(good: PropertyState) -> StepVerdict {
        switch state {
        case .unmeasured: .skip
        case good: .good
        default: .bad
        }
    }

    /// The run whose numbers stand for the step: the first in the majority.
    public var representative: StepRun? { runs.first { $0.state == state } ?? runs.first }

    /// Did the runs disagree?
    public var flaky: Bool { Set(runs.map(\.state)).count > 1 }
}

/// Why a bisection stopped before naming a culprit.
public enum BisectError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An endpoint gave no clear measurement.
    case endpointUnmeasured(String, Step)
    /// Both endpoints show the same state: nothing flips between them.
    case endpointsAgree(good: Step, bad: Step)

    public var description: String {
        switch self {
        case .endpointUnmeasured(let role, let step):
            let why = step.runs.map { "\($0.candidate.prefix(12)) #\($0.attempt): \($0.state.rawValue) - \($0.measured)" }
            return "the \(role) endpoint \(step.candidate) gave no clear result, so it cannot anchor a bisection: "
                + why.joined(separator: "; ")
        case .endpointsAgree(let good, let bad):
            return "the property \(good.state.rawValue == "holds" ? "holds" : "is violated") at both endpoints "
                + "(\(good.candidate): \(good.representative?.measured ?? "-"); \(bad.candidate): \(bad.representative?.measured ?? "-")): "
                + "nothing flips between them. Pick endpoints that differ."
        }
    }
}

/// Where a bisection ended.
public struct BisectConclusion: Sendable, Codable, Equatable {
    /// The first candidate with the bad endpoint's state, when one was pinned down.
    public var culprit: String?
    /// The good-side neighbour of the culprit: its parent in the bisected order.
    public var lastGood: String?
    /// When skipped candidates leave it open: every candidate that may be the first bad one.
    public var possibleCulprits: [String]
    /// The product of the steps' confidences, as syzkaller reports it.
    public var confidence: Double
}

/// Binary search over an ordered list (the variant list): the endpoints are tested first
/// (ktest's BISECT_CHECK), then the middle of the open range, stepping around skipped
/// candidates like `git bisect skip`.
public struct OrderedBisection: Sendable {
    public var candidates: [String]
    public var good: Int
    public var bad: Int

    public init(candidates: [String], good: Int, bad: Int) {
        precondition(good < bad && bad < candidates.count)
        self.candidates = candidates
        self.good = good
        self.bad = bad
    }

    /// Runs the search; `evaluate` tests one candidate. Returns every step in the order
    /// tested (the endpoints first) and the conclusion.
    public func run(_ evaluate: (String) async throws -> Step) async throws -> (steps: [Step], conclusion: BisectConclusion) {
        let goodStep = try await evaluate(candidates[good])
        let badStep = try await evaluate(candidates[bad])
        try Self.confirm(good: goodStep, bad: badStep)
        var steps = [goodStep, badStep]
        var low = good, high = bad
        var skipped = Set<Int>()
        while let next = Self.pick(low: low, high: high, skipped: skipped) {
            let step = try await evaluate(candidates[next])
            steps.append(step)
            switch step.verdict(good: goodStep.state) {
            case .good: low = next
            case .bad: high = next
            case .skip: skipped.insert(next)
            }
        }
        let confidence = steps.map(\.confidence).reduce(1, *)
        if high - low == 1 {
            return (steps, BisectConclusion(culprit: candidates[high], lastGood: candidates[low], possibleCulprits: [],
                                            confidence: confidence))
        }
        return (steps, BisectConclusion(culprit: nil, lastGood: candidates[low],
                                        possibleCulprits: Array(candidates[(low + 1)...high]), confidence: confidence))
    }

    /// Both endpoints measured, and different.
    public static func confirm(good: Step, bad: Step) throws {
        guard good.state != .unmeasured else { throw BisectError.endpointUnmeasured("good", good) }
        guard bad.state != .unmeasured else { throw BisectError.endpointUnmeasured("bad", bad) }
        guard good.state != bad.state else { throw BisectError.endpointsAgree(good: good, bad: bad) }
    }

    /// The untested candidate strictly between `low` and `high` nearest their middle.
    static func pick(low: Int, high: Int, skipped: Set<Int>) -> Int? {
        let open = (low + 1)..<high
        return open.filter { !skipped.contains($0) }.min { a, b in
            let middle = Double(low + high) / 2
            return (abs(Double(a) - middle), a) < (abs(Double(b) - middle), b)
        }
    }
}
