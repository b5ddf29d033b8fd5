import Foundation
import ZCAnalysis
import ZCBuild
import ZCCore
import ZCKernel
import ZCRun

/// Runs a bisection: each step builds if needed, boots once per `repeats` and runs only
/// the property's own scenario for one variant; every run goes to the log as it finishes.
public struct Bisector: Sendable {
    public var pipeline: Pipeline
    public var log: BisectLog
    public var expectations: ExpectationSet
    public var options: BootOptions
    /// Worktrees and the git bisect driver live here (next to the log).
    public var directory: URL

    public init(pipeline: Pipeline, log: BisectLog, expectations: ExpectationSet, options: BootOptions) {
        self.pipeline = pipeline
        self.log = log
        self.expectations = expectations
        self.options = options
        directory = log.url.deletingLastPathComponent()
    }

    var setup: BisectSetup { log.setup }

    public func run() async throws -> BisectReport {
        let series = try KernelSeries.parse(setup.series)
        let kernel = try await pipeline.kernel(.series(series))
        switch setup.mode {
        case .variants:
            let search = OrderedBisection(candidates: setup.variants, good: setup.variants.firstIndex(of: setup.good)!,
                                          bad: setup.variants.firstIndex(of: setup.bad)!)
            let (steps, conclusion) = try await search.run { variant in
                try await evaluate(variant) { try await measure(variant: variant, module: nil, candidate: variant, attempt: $0) }
            }
            return report(kernel: kernel, steps: steps, conclusion: conclusion)
        case .git:
            let repository = try await GitRepository.open(URL(fileURLWithPath: setup.repository!), runner: pipeline.runner)
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
            pipeline.progress.note("bisect: \(candidate.prefix(12)) run \(run.attempt)/\(setup.repeats): \(run.state.rawValue) - \(run.measured)")
        }
        return Step(candidate: candidate, runs: runs)
    }

    /// Boots once with `variant` and measures the property. A crash, a hang or a module
    /// that does not load is unmeasured (skip), never bad.
    func measure(variant: String, module: ModuleSource?, candidate: String, attempt: Int) async throws -> StepRun {
        // The one cell, on the path the design belongs to (setup checked it measures the property).
        let cells = try Selection.cells([variant], properties: [setup.property], realPath: pipeline.module().tcpDesigns,
                                        named: true)
        let plan = RunPlan(scenarios: [], cells: cells, expectations: expectations)
        let report = try await pipeline.run(.series(try KernelSeries.parse(setup.series)), plan: plan, options: options,
                                         module: module)
        var run = StepRun(candidate: candidate, attempt: attempt, state: .unmeasured, measured: "",
                          runDirectory: report.runDirectory)
        guard let cell = report.cell(Variant(variant), setup.property) else {
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
            case .crashed, .skipped: run.state = .unmeasured
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
        let result = try await pipeline.runner.run(Command("sha256sum", [file.path]))
        guard result.status == 0, let digest = result.output.split(separator: " ").first else {
            throw ZCError(.commandFailed, "sha256sum \(file.path) failed", details: result.tail(3))
        }
        return String(digest)
    }
}
