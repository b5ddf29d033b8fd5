import Foundation
import Logging
import Testing
import ZCAnalysis
@testable import ZCCommandLine
import ZCCore
import ZCGuest
import ZCKernel
import ZCRun
import ZCTestSupport

/// A pipeline on the checkout (or on `repository`): nothing is fetched or booted by a request.
func pipeline(_ repository: URL = TestSupport.repository) -> Pipeline {
    Pipeline(paths: Paths(cache: URL(fileURLWithPath: "/nonexistent/cache"), repository: repository,
                          output: FileManager.default.temporaryDirectory.appendingPathComponent("zcbench-cli-out")),
             progress: StepProgress(enabled: false), logger: Logger(label: "test"))
}

/// The typed request of a `run` or `check` command line.
func bootRequest(_ arguments: [String], in repository: URL = TestSupport.repository) throws -> BootRequest {
    switch try ZCBenchCommand.parseAsRoot(arguments) {
    case let run as RunCommand: try run.request(pipeline(repository))
    case let check as CheckCommand: try check.request(pipeline(repository))
    default: throw ZCError(.usage, "not run or check: \(arguments)")
    }
}

/// The `zcbench.*` words a request's boots get.
func words(_ request: BootRequest) -> [String] {
    request.plan.guestParameters(options: request.options,
                                 timeout: request.options.timeout ?? request.plan.defaultTimeout()).words
}

@Suite("command lines: parsed into typed requests")
struct CommandLineTests {
    @Test("check: every scenario, every design, every property, one boot per series", arguments: [
        (["check"], [KernelChoice.series(.v6_1)]),
        (["check", "--series", "6.12"], [.series(.v6_12)]),
        (["check", "--series", "all"], [.series(.v6_1), .series(.v6_12)]),
        (["check", "--kernel", "/k/bzImage", "--headers", "/k/build"], [.custom(bzImage: "/k/bzImage", headers: "/k/build")]),
    ])
    func check(_ arguments: [String], kernels: [KernelChoice]) throws {
        let request = try bootRequest(arguments)
        #expect(request.kernels == kernels)
        #expect(request.plan.selection.scenarios.map(\.name) == ["tcp-zerocopy", "zcpool-device", "zcpool-variants", "livepatch-safety"])
        #expect(request.plan.selection.variants == ["unaccounted", "v1", "v2", "pool-free", "batch", "steal", "pool-free-batched"])
        #expect(request.plan.selection.properties.map(\.name) == AccountingProperty.names)
        #expect(request.plan.selection.designs == ["tcp-unaccounted", "tcp-v1", "tcp-kmem", "tcp-kmem-batched"])
        #expect(request.plan.selection.realProperties.map(\.name) == AccountingProperty.realPathNames)
        #expect(words(request).contains("zcbench.tcp_designs=tcp-unaccounted,tcp-v1,tcp-kmem,tcp-kmem-batched"))
        #expect(request.options == BootOptions())
    }

    @Test("the real path: --variants names the livepatch's designs, each with its path's properties")
    func realPath() throws {
        let request = try bootRequest(["check", "--variants", "tcp-kmem,tcp-unaccounted", "--property", "steady"])
        #expect(request.plan.selection.variants.isEmpty)
        #expect(request.plan.selection.designs == ["tcp-kmem", "tcp-unaccounted"])
        #expect(request.plan.guestScenarios == ["steady"])
        #expect(words(request).contains("zcbench.tcp_designs=tcp-kmem,tcp-unaccounted"))
        #expect(!words(request).contains { $0.hasPrefix("zcbench.variants=") })
        // Both paths in one boot: a property both measure is run once per design of each.
        let both = try bootRequest(["run", "--property", "release,under-charge,double-charge", "--variants", "v1,tcp-v1"])
        #expect(both.plan.selection.variants == ["v1"]
                && both.plan.selection.properties.map(\.name) == ["release", "under-charge", "double-charge"])
        #expect(both.plan.selection.designs == ["tcp-v1"] && both.plan.selection.realProperties.map(\.name) == ["release", "double-charge"])
        #expect(both.plan.guestScenarios == ["release", "under-charge", "double-charge"])
        // With every design, a property only the simulated path measures runs there alone.
        let all = try bootRequest(["check", "--property", "under-charge"])
        #expect(all.plan.selection.designs.isEmpty && all.plan.selection.variants.count == 7)
    }

    @Test("check --property picks matrix cells only; --variants picks designs in the order given")
    func checkProperty() throws {
        let request = try bootRequest(["check", "--property", "vmsplice-pin,fork", "--variants", "steal,v1"])
        #expect(request.plan.selection.scenarios.isEmpty)
        #expect(request.plan.guestScenarios == ["vmsplice-pin", "fork"])
        #expect(words(request).contains("zcbench.variants=steal,v1"))
    }

    @Test("run: scenarios, or matrix cells with --property and --variants; boot options typed")
    func run() throws {
        let scenario = try bootRequest(["run", "--scenario", "tcp-zerocopy", "--size-mib", "8", "--cpus", "2", "--timeout", "90"])
        #expect(scenario.plan.guestScenarios == ["tcp-zerocopy"])
        #expect(scenario.plan.selection.variants.isEmpty)
        #expect(scenario.options.sizeMiB == 8 && scenario.options.cpus == 2 && scenario.options.timeout == .seconds(90))
        let cells = try bootRequest(["run", "--property", "release", "--variants", "pool-free", "--no-flush-stats",
                                     "--settle-ms", "2500", "--boot", "bzimage", "--firmware", "seabios", "--append", "loglevel=5 nokaslr"])
        #expect(cells.plan.guestScenarios == ["release"])
        #expect(cells.plan.selection.variants == ["pool-free"])
        #expect(!cells.options.flushStats && cells.options.settleMilliseconds == 2500)
        #expect(!cells.options.directBoot && cells.options.firmware == nil)
        #expect(cells.options.extraKernelArguments == ["loglevel=5", "nokaslr"])
        #expect(try bootRequest(["run", "--property", "all", "--series", "all"]).kernels.count == 2)
    }

    @Test("fuzz: the designs, the module's faults, a replay and one thread")
    func fuzz() throws {
        let command = try #require(try ZCBenchCommand.parseAsRoot(
            ["fuzz", "--variants", "pool-free,steal", "--seconds", "3", "--seed", "77", "--inject-fault", "orphan-leak"]) as? FuzzCommand)
        let plan = try command.plan(try pipeline().module())
        #expect(plan.variants == ["pool-free", "steal"] && plan.seconds == 3 && plan.seed == 77 && plan.fault == "orphan-leak")
        let thread = try #require(try ZCBenchCommand.parseAsRoot(
            ["fuzz", "--variants", "v1", "--seed", "5", "--thread", "1.0", "--ops", "40"]) as? FuzzCommand)
        #expect(try thread.plan(try pipeline().module()).thread?.description == "1.0")
        // The real path's designs are fuzzed too; all is every variant, then every design.
        let real = try #require(try ZCBenchCommand.parseAsRoot(["fuzz", "--variants", "tcp-kmem,v1"]) as? FuzzCommand)
        #expect(try real.plan(try pipeline().module()).variants == ["tcp-kmem", "v1"])
        let all = try #require(try ZCBenchCommand.parseAsRoot(["fuzz"]) as? FuzzCommand)
        let module = try pipeline().module()
        #expect(try all.plan(module).variants.map(\.name) == module.variants + module.tcpDesigns)
        #expect(throws: ZCError.self) {
            try (try ZCBenchCommand.parseAsRoot(["fuzz", "--variants", "tcp-kmme"]) as? FuzzCommand)?.plan(module)
        }
    }
}

@Suite("command lines: every usage error is one line and exit status 2")
struct UsageErrorTests {
    /// Parser errors (the argument parser's own): one line, status 2.
    @Test("the parser's errors", arguments: [
        ["run", "--timeout", "-5"],
        ["run", "--timeout", "soon"],
        ["check", "--no-such-option"],
        ["frobnicate"],
        ["fuzz", "--seed"],
        ["check", "--variant", "v1"],
    ])
    func parser(_ arguments: [String]) {
        guard case .failure(let exit) = Entry.parse(arguments) else {
            Issue.record("\(arguments) parsed")
            return
        }
        #expect(exit.status == 2)
        #expect(!exit.message.contains("\n"), "one line: \(exit.message)")
        #expect(exit.message.hasPrefix("error: "))
    }

    @Test("--help is not an error")
    func help() {
        guard case .failure(let exit) = Entry.parse(["check", "--help"]) else { return }
        #expect(exit.status == 0)
        #expect(exit.message.contains("--variants"))
    }

    /// zcbench's own checks of what parsed.
    @Test("bad names and combinations", arguments: [
        (["check", "--variants", "pool-fre"], "unknown variant 'pool-fre'; did you mean 'pool-free'?"),
        (["check", "--variants", "v1,v1"], "variant 'v1' is named twice"),
        (["check", "--property", "stedy"], "unknown property 'stedy'; did you mean 'steady'?"),
        (["check", "--series", "6.2"], "6.2"),
        (["check", "--kernel", "/k/bzImage"], "--kernel and --headers go together"),
        (["check", "--series", "6.12", "--kernel", "/k", "--headers", "/h"], "leave --series out"),
        (["check", "--accel", "hvf"], "unknown accelerator 'hvf'"),
        (["check", "--accel", "kvm", "--icount", "0"], "--icount needs --accel tcg"),
        (["check", "--icount", "11"], "--icount must be between 0 and 10"),
        (["check", "--cpus", "0"], "--cpus must be between 1 and 64"),
        (["check", "--memory", "128"], "--memory must be at least 256 MiB"),
        (["check", "--size-mib", "600"], "--size-mib must be at least 1 and under half of --memory"),
        (["check", "--timeout", "0"], "--timeout must be at least 1 second"),
        (["check", "--expectations", "/nonexistent/e.yaml"], "/nonexistent/e.yaml: cannot read the expectations file"),
        (["run"], "run needs --scenario"),
        (["run", "--scenario", "tcp-zerocpy"], "did you mean 'tcp-zerocopy'?"),
        (["run", "--scenario", "tcp-zerocopy", "--variants", "v1"], "give --property too"),
        (["check", "--variants", "tcp-kmem", "--property", "zombie"], "unknown real-path property 'zombie'"),
        (["check", "--variants", "tcp-kmen"], "did you mean 'tcp-kmem'?"),
        (["check", "--kernel-build", "6.1-debug-0", "--series", "6.1"], "--kernel-build names one kernel"),
    ])
    func checks(_ arguments: [String], message: String) throws {
        let error = #expect(throws: ZCError.self) { _ = try bootRequest(arguments) }
        #expect(error?.exitStatus == 2)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
        #expect(error?.details.isEmpty == true)
        #expect(error?.message.contains("(key '')") == false)
    }

    @Test("kernel build: the request; a kernel build is a kernel of its own, which Debian-only commands refuse")
    func kernelBuild() throws {
        let build = try #require(try ZCBenchCommand.parseAsRoot(
            ["kernel", "build", "--series", "6.12", "--debug", "--patch", "a.patch", "--patch", "b.patch", "--config", "x.config"])
            as? KernelBuildCommand)
        let module = try pipeline().module()
        #expect(try build.request(module) == SourceBuildRequest(series: .v6_12, debug: true, patches: ["a.patch", "b.patch"],
                                                                fragments: ["x.config"]))
        let bad = try #require(try ZCBenchCommand.parseAsRoot(["kernel", "build", "--series", "6.2"]) as? KernelBuildCommand)
        #expect(throws: ZCError.self) { _ = try bad.request(module) }
        let patched = try #require(try ZCBenchCommand.parseAsRoot(
            ["kernel", "build", "--patch", "patches/tcp-kmem.patch", "--design", "tcp-kmem"]) as? KernelBuildCommand)
        #expect(try patched.request(module).design == "tcp-kmem")
        // On a kernel built with tcp-kmem: it comes first, the stock kernel's design is gone,
        // and `all` runs the kernel's design and the livepatch's other.
        let onKernel = module.onKernel(builtWith: "tcp-kmem")
        #expect(onKernel.tcpDesigns == ["tcp-kmem", "tcp-v1", "tcp-kmem-batched"])
        #expect(module.onKernel(builtWith: nil) == module)
        let cells = try Selection.cells(onKernel.allDesigns, properties: AccountingProperty.realPathNames,
                                        realPath: onKernel.tcpDesigns, named: false)
        #expect(cells.designs == ["tcp-kmem", "tcp-v1", "tcp-kmem-batched"])
        #expect(cells.variants.map(\.name) == module.variants)
        // The stock kernel's design is what a patch changes, not one it builds in.
        for design in ["tcp-unaccounted", "pool-free", "tcp-kmen"] {
            let wrong = try #require(try ZCBenchCommand.parseAsRoot(["kernel", "build", "--patch", "p", "--design", design])
                as? KernelBuildCommand)
            let error = #expect(throws: ZCError.self) { _ = try wrong.request(module) }
            #expect(error?.message.contains("unknown real-path design '\(design)'") == true, "\(error?.message ?? "")")
        }
        let run = try #require(try ZCBenchCommand.parseAsRoot(["run", "--scenario", "tcp-zerocopy", "--kernel-build", "6.1-debug-0123"])
            as? RunCommand)
        #expect(try run.kernel.choices() == [.build("6.1-debug-0123")])
        // The plan reads the build's record (the design built into it): one that is not
        // there is a usage error naming it.
        let missing = #expect(throws: ZCError.self) { _ = try run.request(try pipeline()) }
        #expect(missing?.code == .usage && missing?.message.contains("no kernel build '6.1-debug-0123'") == true)
        #expect(KernelChoice.build("6.1-debug-0123").options == "--kernel-build 6.1-debug-0123")
        let bisect = try #require(try ZCBenchCommand.parseAsRoot(["bisect", "--property", "steady", "--kernel-build", "x"]) as? BisectCommand)
        let error = #expect(throws: ZCError.self) { _ = try bisect.kernel.oneDebianSeries("bisect") }
        #expect(error?.message.contains("not --kernel/--headers/--kernel-build") == true)
    }

    @Test("exec: the program comes after --; without one, a usage error that shows how")
    func exec() throws {
        let none = try #require(try ZCBenchCommand.parseAsRoot(["exec"]) as? ExecCommand)
        let error = #expect(throws: ZCError.self) { _ = try none.program() }
        #expect(error?.code == .usage && error?.message.contains("zcbench exec [options] -- ./prog [args]") == true)
        let some = try #require(try ZCBenchCommand.parseAsRoot(["exec", "--put", "/bin/busybox", "--", "/bin/busybox", "sh", "--help"])
            as? ExecCommand)
        #expect(some.command == ["/bin/busybox", "sh", "--help"] && some.files == ["/bin/busybox"])
        // The file put beside it has its name: refused before anything boots.
        #expect(throws: ZCError.self) { _ = try some.program() }
    }

    @Test("fuzz: a fault the module does not have")
    func fuzzFault() throws {
        let command = try #require(try ZCBenchCommand.parseAsRoot(["fuzz", "--inject-fault", "orphan-leek"]) as? FuzzCommand)
        let error = #expect(throws: ZCError.self) { _ = try command.plan(try pipeline().module()) }
        #expect(error?.exitStatus == 2)
        #expect(error?.message.contains("did you mean 'orphan-leak'?") == true)
    }

    @Test("a command that writes no JUnit says so before it boots")
    func outputFormats() throws {
        let bench = try #require(try ZCBenchCommand.parseAsRoot(["bench", "--junit", "/tmp/x.xml"]) as? BenchCommand)
        let error = #expect(throws: ZCError.self) { try bench.output.only([\.json, \.markdown], command: "bench") }
        #expect(error?.message == "bench does not write --junit; it writes --json, --markdown")
    }
}

/// Adding a design touches the module and the expectations file, nothing else: a design this
/// Swift code has never heard of is run and judged once the uapi header and the YAML name it.
@Suite("a design unknown to zcbench's Swift code, end to end")
struct NewDesignTests {
    /// A checkout whose module has an eighth design, `pool-free-lazy`, and whose
    /// expectations give it pool-free's.
    func checkout() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("zcbench-new-design-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("kernel/uapi"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("expectations"), withIntermediateDirectories: true)
        let header = try TestSupport.repositoryFile(ModuleInterface.headerPath)
            .replacingOccurrences(of: "\t[ZCPOOL_VARIANT_POOL_FREE_BATCHED] = \"pool-free-batched\", \\\n",
                                  with: "\t[ZCPOOL_VARIANT_POOL_FREE_BATCHED] = \"pool-free-batched\", \\\n\t[ZCPOOL_VARIANT_POOL_FREE_BATCHED + 1] = \"pool-free-lazy\", \\\n")
        try Data(header.utf8).write(to: root.appendingPathComponent(ModuleInterface.headerPath))
        try Data(try TestSupport.repositoryFile(ModuleInterface.livepatchHeaderPath).utf8)
            .write(to: root.appendingPathComponent(ModuleInterface.livepatchHeaderPath))
        var yaml = try TestSupport.repositoryFile("expectations/default.yaml")
        let poolFree = yaml.components(separatedBy: "\n  pool-free:\n")[1].components(separatedBy: "\n  pool-free-batched:\n")[0]
        yaml += "  pool-free-lazy:\n" + poolFree + "\n"
        try Data(yaml.utf8).write(to: root.appendingPathComponent("expectations/default.yaml"))
        return root
    }

    @Test("named by the header and the YAML, it is planned, sent to the guest and judged")
    func endToEnd() throws {
        let root = try checkout()
        defer { try? FileManager.default.removeItem(at: root) }
        let request = try bootRequest(["check", "--variants", "pool-free-lazy,pool-free"], in: root)
        #expect(request.plan.selection.variants == ["pool-free-lazy", "pool-free"])
        #expect(words(request).contains("zcbench.variants=pool-free-lazy,pool-free"))
        // The guest's results for it: pool-free's captured cells under the new name.
        let ktap = try fixture("matrix-sample.ktap").replacingOccurrences(of: "unaccounted/", with: "pool-free-lazy/")
        let output = GuestOutput(results: KTAPDocument(parsing: ktap), console: ConsoleLog(""), timedOut: false)
        let context = RunContext(kernel: "6.12.117+deb12-amd64", series: "6.12", accelerator: "tcg", cpus: 1, sizeMiB: 4,
                                 runDirectory: "/tmp", wallSeconds: 1, phases: Phases())
        var selection = request.plan.selection
        selection.scenarios = []
        let report = RunReport(judging: output, selection: selection, context: context)
        let matrix = try #require(report.matrix)
        #expect(matrix.variants == ["pool-free-lazy", "pool-free"])
        // unaccounted's numbers judged against pool-free's expectations: steady fails (not
        // charged), and the check says so rather than passing.
        #expect(matrix["pool-free-lazy", "steady"]?.outcome == .fail)
        #expect(matrix["pool-free-lazy", "zombie"]?.outcome == .pass)
        #expect(matrix["pool-free", "steady"]?.outcome == .pass)
        // Without the header's name it is refused, naming the designs there are.
        let error = #expect(throws: ZCError.self) { _ = try bootRequest(["check", "--variants", "pool-free-lazy"]) }
        #expect(error?.message.contains("unknown variant 'pool-free-lazy'") == true)
    }
}
