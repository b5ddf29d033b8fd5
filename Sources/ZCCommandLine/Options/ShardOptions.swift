import ArgumentParser
import ZCAnalysis
import ZCCore

/// `--shard K/N`: this command's part K of N (``ZCAnalysis/Shard``), for CI engines that
/// split the work across machines; `zcbench report --merge` joins the parts' `--json`.
public struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run only part K of N of the work (per kernel: the once-only scenarios, then each design), for CI machines that run the parts; join their --json with zcbench report --merge.",
                               valueName: "K/N"))
    public var shard: String?

    public init() {}

    /// The shard asked for, nil for the whole work.
    public func value() throws -> Shard? {
        do {
            return try shard.map { text throws(ShardError) in try Shard(parsing: text) }
        } catch {
            throw ZCError(.usage, error.description)
        }
    }
}
