import ZCAnalysis
import ZCRun

/// What `run` and `check` were asked, checked and typed: the kernels, the plan of each
/// boot, the boot options.
public struct BootRequest: Sendable {
    public var kernels: [KernelChoice]
    public var plan: RunPlan
    public var options: BootOptions

    /// Boots each kernel once with the plan and judges it.
    func reports(_ pipeline: Pipeline) async throws -> [RunReport] {
        var reports: [RunReport] = []
        for kernel in kernels {
            reports.append(try await pipeline.run(kernel, plan: plan, options: options))
        }
        return reports
    }
}
