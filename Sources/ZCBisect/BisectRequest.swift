import Foundation
import ZCAnalysis
import ZCCore
import ZCKernel

/// What `zcbench bisect` was asked, before it is checked: every field as the user gave it,
/// nil where left out.
public struct BisectRequest: Sendable {
    public var property: String?
    public var variants: String?
    public var good: String?
    public var bad: String?
    /// Git mode: GOOD and BAD.
    public var revisions: [String]
    public var repository: String?
    public var path: String?
    public var repeats: Int?
    public var series: String?

    public init(property: String?, variants: String?, good: String?, bad: String?, revisions: [String],
                repository: String?, path: String?, repeats: Int?, series: String?) {
        self.property = property
        self.variants = variants
        self.good = good
        self.bad = bad
        self.revisions = revisions
        self.repository = repository
        self.path = path
        self.repeats = repeats
        self.series = series
    }

    /// The bisection asked for, among the modules' `designs` (the `realPath` ones are the
    /// livepatch's); with `defaults` (a replayed log), what the request leaves out comes from
    /// there. Every bad input is a usage error (exit 2).
    public func setup(runner: CommandRunner, designs: [String], realPath: [String] = [], defaults: BisectSetup?,
                      sizeMiB: Int) async throws -> BisectSetup {
        func checked(_ name: String, _ kind: String, _ valid: [String]) throws -> String {
            do {
                return try NameError.check(name, kind: kind, among: valid)
            } catch let error as NameError {
                throw ZCError(.usage, error.description)
            }
        }
        guard let propertyName = property ?? defaults?.property else {
            throw ZCError(.usage, "--property is required; valid: \(AccountingProperty.allNames.joined(separator: ", "))")
        }
        let property = try checked(propertyName, "property", AccountingProperty.allNames)
        /// A design whose path measures the property.
        func measurable(_ design: String) throws -> String {
            let real = realPath.contains(design)
            let valid = real ? AccountingProperty.realPathNames : AccountingProperty.names
            guard valid.contains(property) else {
                throw ZCError(.usage, "\(design) is a design of the \(real ? "real" : "simulated") path, which does not measure \(property) (it measures \(valid.joined(separator: ", ")))")
            }
            return design
        }
        let series = try KernelSeries.parse(self.series ?? defaults?.series ?? KernelSeries.v6_1.rawValue).rawValue
        let repeats = self.repeats ?? defaults?.repeats ?? 1
        guard (1...9).contains(repeats) else { throw ZCError(.usage, "--repeat must be between 1 and 9") }
        let gitMode = !revisions.isEmpty || defaults?.mode == .git
        if gitMode {
            guard good == nil, bad == nil else {
                throw ZCError(.usage, "--git GOOD BAD does not go with --good or --bad")
            }
            // Git mode loads the module with one design.
            let variant = try variants.map { list in
                guard !list.contains(",") else {
                    throw ZCError(.usage, "--git bisects the module's history with one design: --variants takes one name, not \(list)")
                }
                return list
            }
            guard revisions.isEmpty || revisions.count == 2 else {
                throw ZCError(.usage, "--git takes two revisions, GOOD and BAD; got \(revisions.count)")
            }
            let repository = try await GitRepository.open(
                URL(fileURLWithPath: self.repository ?? defaults?.repository ?? FileManager.default.currentDirectoryPath),
                runner: runner)
            let path = (self.path ?? defaults?.path ?? "kernel").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let good = revisions.isEmpty ? defaults!.good : try await repository.resolve(revisions[0])
            let bad = revisions.isEmpty ? defaults!.bad : try await repository.resolve(revisions[1])
            guard good != bad, try await repository.isAncestor(good, of: bad) else {
                throw ZCError(.usage, "endpoints in the wrong order: GOOD \(revisions.first ?? good) must be an ancestor of BAD \(revisions.last ?? bad) (git bisect searches from GOOD forward)")
            }
            let changes = try await repository.uncommittedChanges()
            guard changes.isEmpty else {
                throw ZCError(.usage, "\(repository.root.path) has uncommitted changes: bisect tests committed revisions only; commit or stash them",
                              details: Array(changes.prefix(10)))
            }
            guard try await repository.contains(path, at: bad) else {
                throw ZCError(.usage, "\(path) does not exist at BAD \(revisions.last ?? bad); pass the module's directory with --path")
            }
            return BisectSetup(mode: .git, property: property, good: good, bad: bad,
                               variant: try measurable(try checked(variant ?? defaults?.variant ?? "pool-free", "variant", designs)),
                               repository: repository.root.path, path: path, series: series, repeats: repeats, sizeMiB: sizeMiB)
        }
        guard repository == nil, path == nil else {
            throw ZCError(.usage, "--repository and --path belong to git mode (--git GOOD BAD)")
        }
        let list = try (variants.map { $0.split(separator: ",").map(String.init) } ?? defaults?.variants
            ?? designs.filter { !realPath.contains($0) })
            .map { try measurable(try checked($0, "variant", designs)) }
        guard Set(list).count == list.count, list.count >= 2 else {
            throw ZCError(.usage, "--variants needs at least two variants, each once")
        }
        let good = try checked(self.good ?? defaults?.good ?? list.first!, "variant", designs)
        let bad = try checked(self.bad ?? defaults?.bad ?? list.last!, "variant", designs)
        guard let goodIndex = list.firstIndex(of: good), let badIndex = list.firstIndex(of: bad) else {
            throw ZCError(.usage, "--good and --bad must be among --variants (\(list.joined(separator: ",")))")
        }
        guard goodIndex < badIndex else {
            throw ZCError(.usage, "endpoints in the wrong order: --good \(good) comes \(goodIndex == badIndex ? "at the same place as" : "after") --bad \(bad) in \(list.joined(separator: ","))")
        }
        return BisectSetup(mode: .variants, property: property, variants: list, good: good, bad: bad,
                           series: series, repeats: repeats, sizeMiB: sizeMiB)
    }
}
