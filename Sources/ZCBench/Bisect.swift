import ZCAnalysis
import Foundation
import ZCBisect
import ZCBuild
import ZCCore
import ZCKernel

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

/// Runs a bisection: each step builds if needed, boots once per `repeats` and runs only
/// the property's own scenario for one variant; every run goes to the log as it finishes.
public struct Bisector: Sendable {
    public var bench: Bench
    public var log: BisectLog
    public var expectations: ExpectationSet
    public var options: BootOptions
    /// Worktrees and the git bisect driver live here (next to the log).
    public var directory: URL

    public init(bench: Bench, log: BisectLog, expectations: ExpectationSet, options: BootOptions) {
        self.bench = bench
        self.log = log
        self.expectations = expectations
        self.options = options
        directory = log.url.deletingLastPathComponent()
    }

    var setup: BisectSetup { log.setup }

    public func run() async throws -> BisectReport {
        let series = try KernelSeries.parse(setup.series)
        let kernel = try await bench.kernel(.series(series))
        switch setup.mode {
        case .variants:
            let search = OrderedBisection(candidates: setup.variants, good: setup.variants.firstIndex(of: setup.good)!,
                                          bad: setup.variants.firstIndex(of: setup.bad)!)
            let (steps, conclusion) = try await search.run { variant in
                try await evaluate(variant) { try await measure(variant: variant, module: nil, candidate: variant, attempt: $0) }
            }
            return report(kernel: kernel, steps: steps, conclusion: conclusion)
        case .git:
            let repository = try await GitRepository.open(URL(fileURLWithPath: setup.repository!), runner: bench.runner)
            let bisection = GitBisection(repository: repository, good: setup.good, bad: setup.bad, path: setup.path!,
                                         driver: directory.appendingPathComponent("driver"))
            let (steps, conclusion) = try await bisection.run { commit in
                try await evaluate(commit) { attempt in
                    try await measure(commit: commit, in: repository, attempt: attempt)
                }
            }
            var report = report(kernel: kernel, steps: steps, conclusion: conclusion)
            if let culprit = conclusion.culprit {
                report.culpritLine = try await repository.oneLine(culprit)
                if let lastGood = conclusion.lastGood {
                    report.diffStat = try await repository.diffStat(from: lastGood, to: culprit, path: setup.path!)
                    report.lastGoodDistance = try await repository.distance(from: lastGood, to: culprit)
                    report.noOp = BisectReport.sameModule(report.step(culprit), report.step(lastGood))
                }
            }
            return report
        }
    }

    func report(kernel: KernelTarget, steps: [Step], conclusion: BisectConclusion) -> BisectReport {
        BisectReport(setup: setup, kernel: kernel.release.name, goodState: steps[0].state, badState: steps[1].state,
                     steps: steps, conclusion: conclusion, noOp: false, log: log.url.path)
    }

    /// One step: the runs the log already holds, and `measure` for the missing attempts.
    func evaluate(_ candidate: String, _ measure: (Int) async throws -> StepRun) async throws -> Step {
        var runs = Array(log.runs(of: candidate).prefix(setup.repeats))
        while runs.count < setup.repeats {
            let run = try await measure(runs.count + 1)
            try log.record(run)
            runs.append(run)
            bench.progress.note("bisect: \(candidate.prefix(12)) run \(run.attempt)/\(setup.repeats): \(run.state.rawValue) - \(run.measured)")
        }
        return Step(candidate: candidate, runs: runs)
    }

    /// Boots once with `variant` and measures the property. A crash, a hang or a module
    /// that does not load is unmeasured (skip), never bad.
    func measure(variant: String, module: ModuleSource?, candidate: String, attempt: Int) async throws -> StepRun {
        let plan = RunPlan(scenarios: [], variants: [variant], properties: [AccountingProperty.named(setup.property)!],
                           expectations: expectations)
        let report = try await bench.run(.series(try KernelSeries.parse(setup.series)), plan: plan, options: options,
                                         module: module)
        var run = StepRun(candidate: candidate, attempt: attempt, state: .unmeasured, measured: "",
                          runDirectory: report.runDirectory)
        guard let cell = report.matrix?[variant, setup.property] else {
            run.measured = "no result: \(report.problem ?? report.moduleLoad.measured)"
            return run
        }
        run.figure = cell.figure
        if let problem = report.problem {
            run.measured = "run untrustworthy: \(problem)"
        } else if !report.moduleLoad.outcome.matchesExpectation {
            run.measured = "zcpool.ko did not load: \(report.moduleLoad.measured)"
        } else {
            switch cell.outcome {
            case .pass, .xpass: run.state = .holds
            case .fail, .xfail: run.state = .violated
            case .crashed: run.state = .unmeasured
            }
            run.measured = cell.measured
        }
        return run
    }

    /// Git mode: the commit's module, built in a worktree of its own. A commit whose module
    /// does not build is unmeasured (git's 125), never bad.
    func measure(commit: String, in repository: GitRepository, attempt: Int) async throws -> StepRun {
        let worktree = directory.appendingPathComponent("rev").appendingPathComponent(String(commit.prefix(12)))
        try await repository.addWorktree(worktree, commit: commit)
        let moduleDirectory = worktree.appendingPathComponent(setup.path!)
        let module = ModuleSource(source: moduleDirectory, directory: moduleDirectory)
        var run: StepRun
        do {
            run = try await measure(variant: setup.variant!, module: module, candidate: commit, attempt: attempt)
            run.moduleDigest = try await sha256(moduleDirectory.appendingPathComponent("zcpool.ko"))
        } catch let error as ZCError where error.code == .buildFailed || error.code == .vermagicMismatch {
            // The first compiler error, with paths relative to the module directory.
            let first = error.details.first { $0.contains("error") } ?? error.details.first ?? error.message
            run = StepRun(candidate: commit, attempt: attempt, state: .unmeasured,
                          measured: "does not build: " + first.replacingOccurrences(of: moduleDirectory.path + "/", with: ""))
        } catch {
            await repository.removeWorktree(worktree)
            throw error
        }
        await repository.removeWorktree(worktree)
        return run
    }

    func sha256(_ file: URL) async throws -> String {
        let result = try await bench.runner.run(Command("sha256sum", [file.path]))
        guard result.status == 0, let digest = result.output.split(separator: " ").first else {
            throw ZCError(.commandFailed, "sha256sum \(file.path) failed", details: result.tail(3))
        }
        return String(digest)
    }
}

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
    public var variant: String?
    public var repeats: Int?
    public var series: String?

    public init(property: String?, variants: String?, good: String?, bad: String?, revisions: [String],
                repository: String?, path: String?, variant: String?, repeats: Int?, series: String?) {
        self.property = property
        self.variants = variants
        self.good = good
        self.bad = bad
        self.revisions = revisions
        self.repository = repository
        self.path = path
        self.variant = variant
        self.repeats = repeats
        self.series = series
    }

    /// The bisection asked for; with `defaults` (a replayed log), what the request leaves
    /// out comes from there. Every bad input is a usage error (exit 2).
    public func setup(runner: CommandRunner, defaults: BisectSetup?, sizeMiB: Int) async throws -> BisectSetup {
        guard let propertyName = property ?? defaults?.property else {
            throw ZCError(.usage, "--property is required; valid: \(AccountingProperty.names.joined(separator: ", "))")
        }
        let property = try propertyNamed(propertyName).name
        let series = try KernelSeries.parse(self.series ?? defaults?.series ?? KernelSeries.v6_1.rawValue).rawValue
        let repeats = self.repeats ?? defaults?.repeats ?? 1
        guard (1...9).contains(repeats) else { throw ZCError(.usage, "--repeat must be between 1 and 9") }
        let gitMode = !revisions.isEmpty || (defaults?.mode == .git && variants == nil)
        if gitMode {
            guard variants == nil, good == nil, bad == nil else {
                throw ZCError(.usage, "--git GOOD BAD does not go with --variants, --good or --bad")
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
                               variant: try variantNamed(variant ?? defaults?.variant ?? "pool-free"),
                               repository: repository.root.path, path: path, series: series, repeats: repeats, sizeMiB: sizeMiB)
        }
        guard repository == nil, path == nil, variant == nil else {
            throw ZCError(.usage, "--repository, --path and --variant belong to git mode (--git GOOD BAD)")
        }
        let list = try (variants.map { $0.split(separator: ",").map(String.init) } ?? defaults?.variants ?? Variants.all)
            .map(variantNamed)
        guard Set(list).count == list.count, list.count >= 2 else {
            throw ZCError(.usage, "--variants needs at least two variants, each once")
        }
        let good = try variantNamed(self.good ?? defaults?.good ?? list.first!)
        let bad = try variantNamed(self.bad ?? defaults?.bad ?? list.last!)
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
