import ZCAnalysis

/// What a bisection found, with the evidence: every step's runs and numbers.
public struct BisectReport: Sendable, Codable, Equatable {
    public var schema = "zcbench/bisect/v1"
    public var setup: BisectSetup
    /// The kernel release the steps booted.
    public var kernel: String
    /// The property's state at the good and the bad endpoint.
    public var goodState: PropertyState
    public var badState: PropertyState
    /// Every step in the order tested, the endpoints first.
    public var steps: [Step]
    public var conclusion: BisectConclusion
    /// Git mode: `<abbrev> <subject>` of the culprit, its diff stat under the module path.
    public var culpritLine: String?
    public var diffStat: String?
    /// Commits between the last good one and the culprit (1: its parent).
    public var lastGoodDistance: Int?
    /// The culprit and the last good commit built byte-identical modules.
    public var noOp: Bool
    public var log: String

    public func step(_ candidate: String?) -> Step? {
        candidate.flatMap { c in steps.last { $0.candidate == c } }
    }

    /// Did both steps load one and the same zcpool.ko, byte for byte?
    public static func sameModule(_ a: Step?, _ b: Step?) -> Bool {
        let digests = [a, b].map { Set($0?.runs.compactMap(\.moduleDigest) ?? []) }
        return digests[0].count == 1 && digests[0] == digests[1]
    }
}
