import ArgumentParser
import ZCAnalysis
import ZCCore
import ZCGuest
import ZCRun

/// The designs a command works on, and the expectations they are judged against.
public struct SelectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Designs, comma-separated, or all: zcpool's accounting variants (the simulated path, kernel/uapi/zcpool.h) and the zctcp livepatch's (the real path, kernel/uapi/zctcp.h).",
                               valueName: "a,b|all"))
    public var variants: String = "all"

    @Option(help: "Expectations file (YAML); default: expectations/default.yaml of the checkout.")
    public var expectations: String?

    @Option(help: ArgumentHelp("Inject a bug into zcpool for every load of it, to see zcbench catch it (the module's faults, kernel/uapi/zcpool.h).",
                               valueName: "fault"))
    public var injectFault: String?

    public init() {}

    /// The fault to inject, checked against the module's.
    func fault(_ module: ModuleInterface) throws -> String? {
        try injectFault.map { fault in try usage { try NameError.check(fault, kind: "fault", among: module.faults) } }
    }

    /// The designs of either path, checked against the module's and the livepatch's tables
    /// (the fuzzer runs both).
    func designs(_ module: ModuleInterface) throws -> [Variant] {
        try usage { try NameError.list(variants, kind: "variant", among: module.allDesigns).map { Variant($0) } }
    }

    /// The plan of `scenarios` and the matrix cells of `propertyNames` (none: no matrix) for
    /// the designs of either path as they run on `kernels`, judged against the expectations
    /// file, with the fault.
    func plan(_ pipeline: Pipeline, scenarios: [any Scenario], properties propertyNames: [String],
              kernels: [KernelChoice]) throws -> RunPlan {
        let module = try pipeline.module(on: kernels)
        let cells = try usage {
            try Selection.cells(try NameError.list(variants, kind: "variant", among: module.allDesigns),
                                properties: propertyNames, realPath: module.tcpDesigns, named: variants != "all")
        }
        var plan = RunPlan(scenarios: scenarios, cells: cells, expectations: try expectationSet(pipeline))
        plan.fault = try fault(module)
        return plan
    }

    /// The expectations file, its designs checked against the module's.
    func expectationSet(_ pipeline: Pipeline) throws -> ExpectationSet {
        try pipeline.expectations(expectations)
    }
}

/// The matrix properties a command runs (of either path), by name.
func properties(_ list: String) throws -> [String] {
    try usage { try NameError.list(list, kind: "property", among: AccountingProperty.allNames) }
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
