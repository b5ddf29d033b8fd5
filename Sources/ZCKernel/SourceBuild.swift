import Foundation
import Logging
import ZCCore

/// What `zcbench kernel build` builds: a series' Debian source (the `linux-source-<series>`
/// package, the exact tree of Debian's kernel), tinyconfig plus zcbench's config fragment
/// (`kernel/config/zcbench.config`), `--debug`'s (`kernel/config/debug.config`), the user's
/// fragments, and the user's patches.
public struct SourceBuildRequest: Sendable, Equatable {
    public var series: KernelSeries
    public var debug: Bool
    /// Patch files (`git apply` format, paths relative to the tree's top), applied in order.
    public var patches: [String]
    /// Config fragments of the user, merged after zcbench's, in order.
    public var fragments: [String]
    /// The real-path design the patches build into net/ipv4/tcp.c (kernel/uapi/zctcp.h),
    /// nil for a stock tree: runs on the kernel take it as that design, without the livepatch.
    public var design: String?

    public init(series: KernelSeries, debug: Bool = false, patches: [String] = [], fragments: [String] = [],
                design: String? = nil) {
        self.series = series
        self.debug = debug
        self.patches = patches
        self.fragments = fragments
        self.design = design
    }

    /// "debug" or "plain".
    public var flavour: String { debug ? "debug" : "plain" }
}

/// A kernel zcbench built, as recorded in its build directory (`build.json`).
public struct SourceBuild: Sendable, Equatable, Codable {
    /// `<series>-<flavour>-<hash>`: what `--kernel-build` names.
    public var name: String
    public var series: KernelSeries
    public var debug: Bool
    /// The source package and its version.
    public var source: String
    public var sourceVersion: String
    /// The kernel's release (include/config/kernel.release).
    public var release: String
    /// The fragments (zcbench's own first) and patches, by absolute path.
    public var fragments: [String]
    public var patches: [String]
    /// The real-path design the patches build in (``SourceBuildRequest/design``).
    public var design: String?
    /// The build's wall time, in seconds.
    public var seconds: Double
}

/// Builds kernels from Debian's sources into `<cache>/builds/<name>/` (`source/` the tree,
/// shared as `<cache>/sources/<package>_<version>/` unless patched, `build/` the kbuild
/// output), each request once: the name hashes everything that goes into it.
public struct KernelSourceBuilder: Sendable {
    public var cache: URL
    /// zcbench's checkout: its `kernel/config/` fragments.
    public var repository: URL
    public var runner: CommandRunner
    public var progress: StepProgress
    public var logger: Logger

    public init(cache: URL, repository: URL, runner: CommandRunner, progress: StepProgress = StepProgress(), logger: Logger) {
        self.cache = cache
        self.repository = repository
        self.runner = runner
        self.progress = progress
        self.logger = logger
    }

    /// The host packages a kernel build needs, by the program that shows each is there.
    public static let tools: [(program: String, package: String)] = [
        ("flex", "flex"), ("bison", "bison"), ("pahole", "dwarves"), ("bc", "bc"),
    ]

    // MARK: Pure parts (unit-tested)

    public static func sourcePackage(_ series: KernelSeries) -> String { "linux-source-\(series.rawValue)" }

    /// zcbench's fragments for a request, in merge order.
    public func baseFragments(debug: Bool) -> [URL] {
        let directory = repository.appendingPathComponent("kernel/config")
        return [directory.appendingPathComponent("zcbench.config")]
            + (debug ? [directory.appendingPathComponent("debug.config")] : [])
    }

    /// `<series>-<flavour>-<16 hex digits>`: FNV-1a (a cache key, not a digest anyone
    /// forges) of the source version, every fragment's and patch's bytes, each with its
    /// kind and length, in order, and the design the patches are said to build in: the same
    /// request is the same name.
    public static func name(_ request: SourceBuildRequest, sourceVersion: String, fragments: [Data], patches: [Data]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ data: Data) {
            for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        mix(Data("\(sourcePackage(request.series)) \(sourceVersion)\n".utf8))
        for (kind, items) in [("fragment", fragments), ("patch", patches)] {
            for item in items {
                mix(Data("\(kind) \(item.count)\n".utf8))
                mix(item)
            }
        }
        if let design = request.design { mix(Data("design \(design)\n".utf8)) }
        return "\(request.series.rawValue)-\(request.flavour)-\(String(format: "%016llx", hash))"
    }

    /// The settings of `fragment` that `config` (a .config) does not have: `CONFIG_X=v`
    /// lines must appear as they are, `# CONFIG_X is not set` ones must not be set.
    public static func unmet(fragment: String, config: String) -> [String] {
        let lines = Set(config.split(separator: "\n").map(String.init))
        var set: [String: String] = [:]
        for line in lines where line.hasPrefix("CONFIG_") {
            if let eq = line.firstIndex(of: "=") { set[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
        }
        return fragment.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.compactMap { line in
            if line.hasPrefix("CONFIG_") {
                return lines.contains(line) ? nil : line
            }
            if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
                let option = String(line.dropFirst(2).dropLast(" is not set".count))
                return set[option].map { $0 == "n" } ?? true ? nil : line
            }
            return nil
        }
    }

    /// The version of a package, from `apt-cache show --no-all-versions`.
    public static func packageVersion(showOutput: String) -> String? {
        showOutput.split(separator: "\n").first { $0.hasPrefix("Version:") }
            .map { $0.dropFirst("Version:".count).trimmingCharacters(in: .whitespaces) }
    }

    // MARK: Where things are

    var sources: URL { cache.appendingPathComponent("sources") }
    var builds: URL { cache.appendingPathComponent("builds") }

    func sourceTree(_ series: KernelSeries, version: String) -> URL {
        sources.appendingPathComponent("\(Self.sourcePackage(series))_\(version)")
            .appendingPathComponent(Self.sourcePackage(series))
    }

    public func directory(_ name: String) -> URL { builds.appendingPathComponent(name) }

    /// The kernel a finished build boots: its bzImage (a KASAN kernel does not boot through
    /// the PVH entry), its vmlinux for the build ID, its kbuild tree for modules.
    public func target(_ build: SourceBuild) -> KernelTarget {
        let output = directory(build.name).appendingPathComponent("build")
        var target = KernelTarget(release: KernelRelease(build.release), series: nil,
                                  vmlinuz: output.appendingPathComponent("arch/x86/boot/bzImage").path,
                                  headers: output.path)
        target.symbols = output.appendingPathComponent("vmlinux").path
        target.design = build.design
        return target
    }

    /// The build recorded under `name`.
    public func recorded(_ name: String) throws -> SourceBuild {
        let record = directory(name).appendingPathComponent("build.json")
        guard let data = try? Data(contentsOf: record) else {
            let known = (try? FileManager.default.contentsOfDirectory(atPath: builds.path)) ?? []
            let built = known.filter { FileManager.default.fileExists(atPath: directory($0).appendingPathComponent("build.json").path) }
            throw ZCError(.usage, "no kernel build '\(name)' in \(builds.path)"
                          + (built.isEmpty ? "; run zcbench kernel build first" : "; built: \(built.sorted().joined(separator: ", "))"))
        }
        do {
            return try JSONDecoder().decode(SourceBuild.self, from: data)
        } catch {
            throw ZCError(.cache, "\(record.path) is not a build record: \(error.localizedDescription)")
        }
    }

    // MARK: Building

    /// Builds `request` unless a build of the same name is recorded; returns it.
    public func build(_ request: SourceBuildRequest) async throws -> SourceBuild {
        if request.design != nil, request.patches.isEmpty {
            throw ZCError(.usage, "--design names what the patches build into the kernel: give them with --patch")
        }
        try checkTools()
        let fragmentFiles = baseFragments(debug: request.debug) + request.fragments.map { URL(fileURLWithPath: $0) }
        let fragments = try fragmentFiles.map { try read($0, what: "config fragment") }
        let patches = try request.patches.map { try read(URL(fileURLWithPath: $0), what: "patch") }
        let version = try await progress.step("resolving \(Self.sourcePackage(request.series))") {
            try await sourceVersion(request.series)
        }
        let name = Self.name(request, sourceVersion: version, fragments: fragments, patches: patches)
        try FileManager.default.createDirectory(at: builds, withIntermediateDirectories: true)
        let lock = try FileLock(builds.appendingPathComponent(".\(name).lock"))
        defer { lock.unlock() }
        if let done = try? recorded(name) {
            progress.note("kernel build \(name) is built already")
            return done
        }
        let start = ContinuousClock.now
        let shared = try await unpackedSource(request.series, version: version)
        let directory = directory(name)
        let output = directory.appendingPathComponent("build")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        do {
            let tree = request.patches.isEmpty ? shared : try await patchedTree(shared, into: directory, patches: request.patches)
            try await configure(tree: tree, output: output, fragments: fragmentFiles)
            let jobs = ProcessInfo.processInfo.activeProcessorCount
            _ = try await progress.step("building \(name) (-j\(jobs); a debug kernel takes minutes)") {
                try await runner.checked(Command("make", ["-s", "-C", tree.path, "O=\(output.path)", "-j\(jobs)", "all"]),
                                         code: .buildFailed, what: "building the kernel \(name)")
            }
        } catch {
            // Nothing half-built stays under the name: the next request builds it again.
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let release = try String(contentsOf: output.appendingPathComponent("include/config/kernel.release"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let build = SourceBuild(name: name, series: request.series, debug: request.debug, source: Self.sourcePackage(request.series),
                                sourceVersion: version, release: release, fragments: fragmentFiles.map(\.path),
                                patches: request.patches.map { URL(fileURLWithPath: $0).path }, design: request.design,
                                seconds: (ContinuousClock.now - start).seconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(build).write(to: directory.appendingPathComponent("build.json"), options: .atomic)
        return build
    }

    func checkTools() throws {
        var missing = Self.tools.filter { findExecutable($0.program) == nil }
        // objtool and resolve_btfids link against libelf.
        if !FileManager.default.fileExists(atPath: "/usr/include/libelf.h") { missing.append(("libelf.h", "libelf-dev")) }
        guard missing.isEmpty else {
            throw ZCError(.missingDependency, "building a kernel needs \(missing.map(\.program).joined(separator: ", ")): apt-get install \(missing.map(\.package).joined(separator: " ")) (or run make test, which provisions them)")
        }
    }

    func read(_ file: URL, what: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ZCError(.usage, "\(what) \(file.path) does not exist or is not readable")
        }
        return data
    }

    func sourceVersion(_ series: KernelSeries) async throws -> String {
        let package = Self.sourcePackage(series)
        let show = try await runner.checked(Command("apt-cache", ["show", "--no-all-versions", package]), code: .kernelResolution,
                                            what: "no \(package) in the apt sources (run apt-get update)")
        guard let version = Self.packageVersion(showOutput: show.output) else {
            throw ZCError(.kernelResolution, "apt-cache show \(package) names no version")
        }
        return version
    }

    /// The unpacked source tree of the series' current linux-source package (downloaded and
    /// unpacked once): what builds start from, and where the kernel's own tools are
    /// (`tools/testing/kunit/kunit.py`).
    public func source(_ series: KernelSeries) async throws -> URL {
        try await unpackedSource(series, version: try await sourceVersion(series))
    }

    /// The source tree of `version`, downloaded and unpacked once.
    func unpackedSource(_ series: KernelSeries, version: String) async throws -> URL {
        let tree = sourceTree(series, version: version)
        let done = tree.deletingLastPathComponent().appendingPathComponent(".unpacked")
        if FileManager.default.fileExists(atPath: done.path) { return tree }
        let fm = FileManager.default
        let top = tree.deletingLastPathComponent()
        try? fm.removeItem(at: top)
        try fm.createDirectory(at: top, withIntermediateDirectories: true)
        let package = Self.sourcePackage(series)
        _ = try await progress.step("downloading \(package) \(version)") {
            try await runner.checked(Command("apt-get", ["download", "\(package)=\(version)"], workingDirectory: top.path),
                                     code: .kernelResolution, what: "downloading \(package)")
        }
        guard let deb = try fm.contentsOfDirectory(atPath: top.path).first(where: { $0.hasSuffix(".deb") }) else {
            throw ZCError(.kernelResolution, "apt-get download left no .deb of \(package) in \(top.path)")
        }
        try await progress.step("unpacking \(package) \(version)") {
            let root = top.appendingPathComponent("deb")
            try await runner.checked(Command("dpkg-deb", ["-x", deb, root.path], workingDirectory: top.path), code: .cache,
                                     what: "unpacking \(deb)")
            let tarball = root.appendingPathComponent("usr/src/\(package).tar.xz")
            try await runner.checked(Command("tar", ["-xJf", tarball.path, "-C", top.path]), code: .cache,
                                     what: "unpacking \(tarball.lastPathComponent)")
            try? fm.removeItem(at: root)
            try? fm.removeItem(at: top.appendingPathComponent(deb))
        }
        guard fm.fileExists(atPath: tree.appendingPathComponent("Makefile").path) else {
            throw ZCError(.cache, "\(package) unpacked no \(tree.path)/Makefile")
        }
        try Data().write(to: done)
        return tree
    }

    /// A copy of the shared tree with `patches` applied, each checked on the shared tree
    /// first (`git apply --check` changes nothing), all before the copy.
    func patchedTree(_ shared: URL, into directory: URL, patches: [String]) async throws -> URL {
        let paths = patches.map { URL(fileURLWithPath: $0).path }
        for (patch, path) in zip(patches, paths) {
            let check = try await runner.run(Command("git", ["apply", "--check", path], workingDirectory: shared.path))
            guard check.status == 0 else {
                let first = check.output.split(separator: "\n").first.map(String.init) ?? "git apply --check failed"
                let why = first.hasPrefix("error: ") ? String(first.dropFirst("error: ".count)) : first
                throw ZCError(.usage, "patch \(patch) does not apply to \(shared.lastPathComponent): \(why)")
            }
        }
        let tree = directory.appendingPathComponent("source")
        _ = try await progress.step("copying the source for \(patches.count) patch\(patches.count == 1 ? "" : "es")") {
            try await runner.checked(Command("cp", ["-a", shared.path, tree.path]), code: .cache, what: "copying the source")
        }
        for (patch, path) in zip(patches, paths) {
            try await runner.checked(Command("git", ["apply", path], workingDirectory: tree.path), code: .buildFailed,
                                     what: "applying \(patch)")
        }
        return tree
    }

    /// tinyconfig, the fragments merged in order, olddefconfig; every fragment's settings
    /// checked in the result.
    func configure(tree: URL, output: URL, fragments: [URL]) async throws {
        try await progress.step("configuring: tinyconfig + \(fragments.map(\.lastPathComponent).joined(separator: " + "))") {
            try await runner.checked(Command("make", ["-s", "-C", tree.path, "O=\(output.path)", "tinyconfig"]), code: .buildFailed,
                                     what: "make tinyconfig")
            try await runner.checked(Command(tree.appendingPathComponent("scripts/kconfig/merge_config.sh").path,
                                             ["-m", "-O", output.path, output.appendingPathComponent(".config").path]
                                                + fragments.map(\.path), workingDirectory: tree.path),
                                     code: .buildFailed, what: "merging the config fragments")
            try await runner.checked(Command("make", ["-s", "-C", tree.path, "O=\(output.path)", "olddefconfig"]), code: .buildFailed,
                                     what: "make olddefconfig")
        }
        let config = try String(contentsOf: output.appendingPathComponent(".config"), encoding: .utf8)
        var unmet: [String] = []
        for fragment in fragments {
            let text = try String(contentsOf: fragment, encoding: .utf8)
            unmet += Self.unmet(fragment: text, config: config).map { "\($0) (\(fragment.lastPathComponent))" }
        }
        guard unmet.isEmpty else {
            throw ZCError(.buildFailed, "the kernel config does not have \(unmet.count) setting\(unmet.count == 1 ? "" : "s") a fragment asks for (a dependency is missing, or the option is not in this kernel): \(unmet.joined(separator: ", "))")
        }
    }
}
