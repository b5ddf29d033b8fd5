import Foundation
import ZCAnalysis
import ZCGuest

/// The matrix fixture judged through the real path: KTAP text -> GuestOutput -> RunReport with
/// the repository's expectations/default.yaml. The fixture is a real guest capture of
/// `zcbench check --series 6.12 --variants unaccounted,v2,pool-free --size-mib 4` (see
/// Fixtures/README.md); the numbers below are read from it.
public enum MatrixSample {
    public static let variants: [Variant] = ["unaccounted", "v2", "pool-free"]

    /// The modules' designs, read from the checkout's uapi headers as zcbench reads them.
    public static func module() throws -> ModuleInterface {
        guard let module = ModuleInterface(header: try TestSupport.repositoryFile(ModuleInterface.headerPath),
                                           livepatchHeader: try TestSupport.repositoryFile(ModuleInterface.livepatchHeaderPath))
        else { throw FixtureError(name: ModuleInterface.headerPath) }
        return module
    }

    /// zcpool's designs (the simulated path).
    public static func designs() throws -> [String] { try module().variants }

    /// The livepatch's designs (the real path).
    public static func tcpDesigns() throws -> [String] { try module().tcpDesigns }

    /// The checkout's expectations/default.yaml.
    public static func expectations() throws -> ExpectationSet {
        let module = try module()
        return try ExpectationSet.load(TestSupport.repository.appendingPathComponent("expectations/default.yaml"),
                                       variants: module.allDesigns, properties: AccountingProperty.allNames,
                                       realPath: module.tcpDesigns)
    }

    public static func report(_ ktap: String? = nil, kernel: String = "6.12.117+deb12-amd64", series: String? = "6.12",
                              console: String = "", timedOut: Bool = false) throws -> RunReport {
        let output = GuestOutput(results: KTAPDocument(parsing: try ktap ?? fixture("matrix-sample.ktap")),
                                 console: ConsoleLog(console), timedOut: timedOut)
        let selection = Selection(scenarios: [TCPZerocopyScenario()], variants: variants, properties: AccountingProperty.all,
                                  expectations: try expectations())
        let context = RunContext(kernel: kernel, series: series, accelerator: "tcg", cpus: 1, sizeMiB: 4,
                                 runDirectory: "/tmp/zc-matrix", wallSeconds: 41.25, phases: Phases())
        return RunReport(judging: output, selection: selection, context: context)
    }

    /// The fixture with the lines of top-level test `test` (its subtest block) transformed;
    /// a nil from `transform` drops the line.
    public static func editing(_ test: String, in ktap: String? = nil, _ transform: (String) -> String?) throws -> String {
        var inside = false
        var lines: [String] = []
        for line in try (ktap ?? fixture("matrix-sample.ktap")).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line == "    # Subtest: \(test)" { inside = true }
            if inside, line.hasPrefix("ok ") || line.hasPrefix("not ok ") { inside = false }
            if inside {
                if let changed = transform(line) { lines.append(changed) }
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `baseline.memory_current` of unaccounted/steady and pool-free/steady in the fixture.
    public static let unaccountedSteadyBaseline: Int64 = 303_104
    public static let poolFreeSteadyBaseline: Int64 = 303_104

    /// The fixture with unaccounted's mapped pages charged after all: steady holds (xpass).
    public static func unaccountedCharged(in ktap: String? = nil) throws -> String {
        let charged = try setting("unaccounted/steady", "mapped.memory_current", to: unaccountedSteadyBaseline + 4_194_304, in: ktap)
        return try setting("unaccounted/steady", "mapped.file_mapped", to: 4_194_304, in: charged)
    }

    /// The fixture with one metric of one test set to `value`.
    public static func setting(_ test: String, _ metric: String, to value: Int64, in ktap: String? = nil) throws -> String {
        try editing(test, in: ktap) { $0.hasPrefix("    # metric \(metric)=") ? "    # metric \(metric)=\(value)" : $0 }
    }
}
