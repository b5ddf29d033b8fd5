import Foundation
import ZCCore

/// Where a module's sources come from and where kbuild builds them.
public struct ModuleSource: Sendable, Equatable {
    /// The module's source directory (Kbuild, *.c, *.h).
    public var source: URL
    /// The build directory; the sources are mirrored into it unless it is `source` itself.
    public var directory: URL

    public init(source: URL, directory: URL) {
        self.source = source
        self.directory = directory
    }
}

/// What a build produced for one kernel release.
public struct BuildProducts: Sendable, Equatable {
    /// The zcpool module, checked against the target release.
    public var module: String
    /// The zctcp livepatch (kernel/zctcp/), checked against the target release; nil for a
    /// module source without it (a revision from before it, in a git bisection).
    public var livepatch: String?
    /// Static guest programs.
    public var initProgram: String
    public var runner: String
}

/// Builds the zcpool module and the zctcp livepatch (kernel/zctcp/, a subdirectory of the
/// same kbuild) with kbuild and the guest programs with gcc (through vm/Makefile).
///
/// kernel/ is mirrored into `<output>/<release>/kernel` (only changed files are copied, so
/// their timestamps stay) and built there with `make -C <headers> M=<that dir>`: one build
/// tree per release, so switching kernels never rebuilds the other one, and kbuild's own
/// dependency tracking keeps an unchanged module from being rebuilt.
public struct Builder: Sendable {
    public var repository: URL
    public var output: URL
    public var runner: CommandRunner
    public var progress: StepProgress

    public init(repository: URL, output: URL, runner: CommandRunner, progress: StepProgress = StepProgress()) {
        self.repository = repository
        self.output = output
        self.runner = runner
        self.progress = progress
    }

    /// kbuild for the modules in `moduleDirectory`. Source paths compiled into the modules
    /// (WARN_ON's file names) are mapped to `zcpool/`, so the same sources give the same
    /// bytes wherever they are built: a bisect compares module binaries across worktrees.
    /// `kernelBuildID` is the build ID of the kernel image the livepatch is for (it refuses
    /// any other kernel, and every kernel when built without one).
    public static func kbuild(headers: String, moduleDirectory: String, kernelBuildID: String?, jobs: Int = 2) -> Command {
        Command("make", ["-C", headers, "M=\(moduleDirectory)", "KCFLAGS=-ffile-prefix-map=\(moduleDirectory)=zcpool",
                         "ZCTCP_BUILD_ID=\(kernelBuildID ?? "")", "-j\(jobs)", "modules"])
    }

    public static func guestPrograms(vmDirectory: String, output: String, jobs: Int = 2) -> Command {
        Command("make", ["-C", vmDirectory, "O=\(output)", "-j\(jobs)"])
    }

    public func moduleDirectory(release: String) -> URL {
        output.appendingPathComponent(release).appendingPathComponent("kernel")
    }

    /// Builds everything for `release` against the kbuild tree `headers`: the modules from
    /// `module` (default: the checkout's kernel/, built in `<output>/<release>/kernel`), the
    /// livepatch for the kernel image whose build ID is `kernelBuildID`.
    public func build(release: String, headers: String, kernelBuildID: String?,
                      module: ModuleSource? = nil) async throws -> BuildProducts {
        guard FileManager.default.fileExists(atPath: headers + "/Makefile") else {
            throw ZCError(.missingDependency, "no kbuild tree at \(headers); run `zcbench kernel fetch` or install the headers package")
        }
        // Two zcbench processes share out/: one builds at a time.
        let lock = try FileLock(output.appendingPathComponent(".build.lock"))
        defer { lock.unlock() }
        let source = module ?? ModuleSource(source: repository.appendingPathComponent("kernel"),
                                            directory: moduleDirectory(release: release))
        let moduleDir = source.directory
        guard FileManager.default.fileExists(atPath: source.source.appendingPathComponent("Kbuild").path)
            || FileManager.default.fileExists(atPath: source.source.appendingPathComponent("Makefile").path) else {
            throw ZCError(.buildFailed, "no Kbuild or Makefile in \(source.source.path): not a module source directory")
        }
        if source.source.standardizedFileURL != moduleDir.standardizedFileURL {
            try mirror(from: source.source, to: moduleDir)
        }
        let kbuild = Self.kbuild(headers: headers, moduleDirectory: moduleDir.path, kernelBuildID: kernelBuildID)
        let moduleFile = moduleDir.appendingPathComponent("zcpool.ko")
        let hasLivepatch = FileManager.default.fileExists(atPath: moduleDir.appendingPathComponent("zctcp/Kbuild").path)
        let livepatchFile = hasLivepatch ? moduleDir.appendingPathComponent("zctcp/zctcp.ko") : nil
        try await buildIfStale(kbuild, what: "the modules",
                               title: "building zcpool.ko\(hasLivepatch ? " and zctcp.ko" : "") for \(release)",
                               products: [moduleFile] + [livepatchFile].compactMap { $0 }, sources: [moduleDir],
                               stamp: moduleDir.appendingPathComponent(".zcbench-built"))
        let vmOut = output.appendingPathComponent("vm")
        let vmSource = repository.appendingPathComponent("vm")
        try await buildIfStale(Self.guestPrograms(vmDirectory: vmSource.path, output: vmOut.path),
                               what: "the guest programs", title: "building the guest programs",
                               products: ["init", "zcrunner"].map { vmOut.appendingPathComponent($0) },
                               sources: [vmSource, repository.appendingPathComponent("kernel/uapi")],
                               stamp: vmOut.appendingPathComponent(".zcbench-built"))
        for module in [moduleFile, livepatchFile].compactMap({ $0?.path }) {
            try checkVermagic(try Modinfo.read(path: module)["vermagic"], release: release, module: module)
        }
        return BuildProducts(module: moduleFile.path, livepatch: livepatchFile?.path,
                             initProgram: vmOut.appendingPathComponent("init").path,
                             runner: vmOut.appendingPathComponent("zcrunner").path)
    }

    /// Runs `command` unless its last successful run, recorded in `stamp` with the command
    /// itself, is newer than every source file under `sources` and every product exists.
    /// make would find nothing to do, but kbuild alone takes about a second to find that out.
    func buildIfStale(_ command: Command, what: String, title: String, products: [URL], sources: [URL],
                      stamp: URL) async throws {
        let fm = FileManager.default
        if let recorded = try? String(contentsOf: stamp, encoding: .utf8), recorded == command.description,
           let built = (try? fm.attributesOfItem(atPath: stamp.path))?[.modificationDate] as? Date,
           products.allSatisfy({ fm.fileExists(atPath: $0.path) }),
           Self.newestSource(under: sources).map({ $0 < built }) ?? false {
            return
        }
        try? fm.removeItem(at: stamp)
        try await progress.step(title) { try await compile(command, what: what) }
        try? Data(command.description.utf8).write(to: stamp)
    }

    /// The latest modification time of the source files (``isSource``) under `directories`.
    static func newestSource(under directories: [URL]) -> Date? {
        let fm = FileManager.default
        var newest: Date?
        for directory in directories {
            guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.contentModificationDateKey]) else {
                continue
            }
            for case let url as URL in walker where isSource(url.lastPathComponent) {
                guard let date = try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate else {
                    continue
                }
                newest = max(newest ?? date, date)
            }
        }
        return newest
    }

    /// Runs a compiling command; on failure the error shows the compiler's error lines.
    func compile(_ command: Command, what: String) async throws {
        let result = try await runner.run(command)
        guard result.status == 0 else {
            throw ZCError(.buildFailed, "building \(what) failed: `\(command)` exited with status \(result.status)",
                          details: Self.compilerErrors(result.output))
        }
    }

    /// The lines of compiler output worth showing: errors with their context, else the tail.
    public static func compilerErrors(_ output: String, limit: Int = 30) -> [String] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let interesting = lines.filter {
            $0.contains("error:") || $0.contains("Error ") || $0.contains("undefined reference")
                || $0.contains("ERROR:") || $0.contains("fatal:")
        }
        return Array((interesting.isEmpty ? lines : interesting).suffix(limit))
    }

    /// Copies the sources under `source` into `destination`, touching only files whose
    /// content changed and removing sources that no longer exist. Build products are not copied.
    func mirror(from source: URL, to destination: URL) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: destination, withIntermediateDirectories: true)
            var wanted = Set<String>()
            guard let walker = fm.enumerator(atPath: source.path) else {
                throw ZCError(.io, "cannot read \(source.path)")
            }
            for case let relative as String in walker where Self.isSource(relative) {
                let from = source.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: from.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                wanted.insert(relative)
                let to = destination.appendingPathComponent(relative)
                let data = try Data(contentsOf: from)
                if (try? Data(contentsOf: to)) != data {
                    try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try data.write(to: to, options: .atomic)
                }
            }
            if let existing = fm.enumerator(atPath: destination.path) {
                for case let relative as String in existing where Self.isSource(relative) && !wanted.contains(relative) {
                    var isDirectory: ObjCBool = false
                    if fm.fileExists(atPath: destination.appendingPathComponent(relative).path, isDirectory: &isDirectory),
                       !isDirectory.boolValue {
                        try fm.removeItem(at: destination.appendingPathComponent(relative))
                    }
                }
            }
        } catch let error as ZCError {
            throw error
        } catch {
            throw ZCError(.io, "cannot mirror \(source.path) into \(destination.path): \(error.localizedDescription)")
        }
    }

    static func isSource(_ relative: String) -> Bool {
        let name = (relative as NSString).lastPathComponent
        guard !name.hasPrefix("."), !name.hasSuffix(".mod.c") else { return false }
        return name == "Kbuild" || name == "Makefile" || name.hasSuffix(".c") || name.hasSuffix(".h")
    }
}
