import ArgumentParser
import ZCAnalysis
import ZCCore
import ZCGuest
import ZCRun

/// The designs a command works on, and the expectations they are judged against.
public struct SelectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Designs (the module's accounting variants, kernel/uapi/zcpool.h), comma-separated, or all.",
                               valueName: "a,b|all"))
    public var variants: String = "all"

    @Option(help: "Expectations file (YAML); default: expectations/default.yaml of the checkout.")
    public var expectations: String?

    public init() {}

    /// The designs, checked against the module's.
    func designs(_ module: ModuleInterface) throws -> [Variant] {
        try usage { try NameError.list(variants, kind: "variant", among: module.variants).map { Variant($0) } }
    }

    /// The expectations file, its designs checked against the module's.
    func expectationSet(_ pipeline: Pipeline) throws -> ExpectationSet {
        try pipeline.expectations(expectations)
    }
}

/// The matrix properties a command runs.
func properties(_ list: String) throws -> [AccountingProperty] {
    try usage {
        try NameError.list(list, kind: "property", among: AccountingProperty.names).map { AccountingProperty.named($0)! }
    }
}

/// The once-only scenarios of a comma list.
func scenarios(_ list: String) throws -> [any Scenario] {
    try usage { try NameError.list(list, kind: "scenario", among: ScenarioCatalog.names).map { ScenarioCatalog.named($0)! } }
}

/// `body`, with a bad name as a usage error (exit 2).
func usage<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as NameError {
        throw ZCError(.usage, error.description)
    }
}
