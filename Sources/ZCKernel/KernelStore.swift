import Foundation
import Logging
import ZCCore

/// A kernel ready to boot and to build modules against.
public struct KernelTarget: Sendable, Equatable, Codable {
    public var release: KernelRelease
    /// The series it was fetched for; nil for a kernel the user built.
    public var series: KernelSeries?
    public var vmlinuz: String
    /// The uncompressed kernel of `vmlinuz`, bootable through its PVH entry; nil when the
    /// image has none (a user's kernel, or a payload zcbench cannot decompress).
    public var vmlinux: String?
    /// The kbuild tree modules are built against (`make -C headers M=...`).
    public var headers: String
    /// The ELF kernel to read the build ID from when it is not `vmlinux` (a kernel built
    /// from source boots its bzImage: its PVH entry does not survive KASAN).
    public var symbols: String?
    /// The real-path design built into its net/ipv4/tcp.c (a patched `zcbench kernel
    /// build`), nil for a stock kernel.
    public var design: String?

    public init(release: KernelRelease, series: KernelSeries?, vmlinuz: String, vmlinux: String? = nil, headers: String) {
        self.release = release
        self.series = series
        self.vmlinuz = vmlinuz
        self.vmlinux = vmlinux
        self.headers = headers
    }

    /// The build ID of `vmlinux` (its GNU build-id note), nil without a vmlinux: what the
    /// livepatch is built for.
    public func buildID() throws -> String? {
        try (vmlinux ?? symbols).flatMap { try BootImage.buildID(ofFile: $0) }
    }
}

/// The kernel cache: `<cache>/kernels/<release>/{vmlinuz,config,System.map,vmlinux,md5sums}` plus
/// `<cache>/kernels/<series>.release` recording the release last fetched for a series.
///
/// Images come from Debian with `apt-get download` and are unpacked with dpkg-deb; nothing
/// is installed on the host but the matching linux-headers package.
public struct KernelStore: Sendable {
    public var cache: URL
    public var runner: CommandRunner
    public var progress: StepProgress
    public var logger: Logger

    /// Files kept from the image package, by the name they get in the cache.
    static let keptFiles = ["vmlinuz", "config", "System.map"]

    public init(cache: URL, runner: CommandRunner, progress: StepProgress = StepProgress(), logger: Logger) {
        self.cache = cache.appendingPathComponent("kernels")
        self.runner = runner
        self.progress = progress
        self.logger = logger
    }

    // MARK: Commands (values, unit-tested)

    /// apt-cache with its binary cache kept at `pkgcache`. Debian's container images turn
    /// that cache off (Dir::Cache::pkgcache ""), which makes every apt-cache call rebuild it
    /// from the package lists (about a second); apt validates a kept cache against the lists.
    public static func aptCache(_ arguments: [String], pkgcache: String?) -> Command {
        Command("apt-cache", (pkgcache.map { ["-o", "Dir::Cache::pkgcache=\($0)"] } ?? []) + arguments)
    }

    /// `apt-cache show` of the meta-package that names the current 6.1 release.
    public static func showMetaPackage(pkgcache: String? = nil) -> Command {
        aptCache(["show", "--no-all-versions", "linux-image-amd64"], pkgcache: pkgcache)
    }

    /// `apt-cache pkgnames` of every 6.12 image package.
    public static func list612(pkgcache: String? = nil) -> Command {
        aptCache(["pkgnames", "linux-image-6.12."], pkgcache: pkgcache)
    }

    public static func download(_ release: KernelRelease, into directory: String) -> Command {
        Command("apt-get", ["download", "-q", release.imagePackage], workingDirectory: directory)
    }

    /// Unpacks only /boot of a .deb into `directory`.
    public static func unpackBoot(deb: String, into directory: String) -> Command {
        Command("bash", ["-o", "pipefail", "-c", "dpkg-deb --fsys-tarfile \"$0\" | tar -x -C \"$1\" ./boot", deb, directory])
    }

    public static func md5sums(deb: String) -> Command {
        Command("dpkg-deb", ["--info", deb, "md5sums"])
    }

    public static func verify(entry: String) -> Command {
        Command("md5sum", ["--check", "--quiet", "--strict", "md5sums"], workingDirectory: entry)
    }

    public static func showHeaders(_ release: KernelRelease, pkgcache: String? = nil) -> Command {
        aptCache(["show", "--no-all-versions", release.headersPackage], pkgcache: pkgcache)
    }

    /// Where this store keeps apt's binary package cache.
    var pkgcache: String { cache.appendingPathComponent("apt-pkgcache.bin").path }

    public static func installHeaders(_ release: KernelRelease, asRoot: Bool) -> Command {
        Command("apt-get", ["install", "-y", "-q", "--no-install-recommends", release.headersPackage],
                environment: ["DEBIAN_FRONTEND": "noninteractive"]).elevated(alreadyRoot: asRoot)
    }

    // MARK: Resolution

    /// The current Debian release of `series`, asked of apt-cache.
    public func resolve(_ series: KernelSeries) async throws -> KernelRelease {
        try? FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        switch series {
        case .v6_1:
            let result = try await runner.checked(Self.showMetaPackage(pkgcache: pkgcache), code: .kernelResolution,
                                                  what: "cannot resolve the 6.1 kernel (is apt-get update done?)")
            guard let release = AptParsing.metaPackageTarget(showOutput: result.output) else {
                throw ZCError(.kernelResolution, "linux-image-amd64 names no linux-image-*-amd64 package; run apt-get update")
            }
            return release
        case .v6_12:
            let result = try await runner.checked(Self.list612(pkgcache: pkgcache), code: .kernelResolution)
            let names = result.output.split(separator: "\n").map(String.init)
            guard let release = AptParsing.newest612(packageNames: names) else {
                throw ZCError(.kernelResolution, "no linux-image-6.12.*+deb12-amd64 package in the apt sources; enable bookworm-backports or bookworm-security and run apt-get update")
            }
            return release
        }
    }

    // MARK: Cache

    func entry(_ release: KernelRelease) -> URL { cache.appendingPathComponent(release.name) }
    func pointer(_ series: KernelSeries) -> URL { cache.appendingPathComponent("\(series.rawValue).release") }

    /// True when the cache entry for `release` is whole and matches Debian's checksums.
    public func isCached(_ release: KernelRelease) async throws -> Bool {
        let directory = entry(release)
        for name in Self.keptFiles + ["md5sums"]
        where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            return false
        }
        return try await runner.run(Self.verify(entry: directory.path)).status == 0
    }

    /// Resolves the current release of `series`, makes sure it is cached (a corrupted entry
    /// is fetched again) and its headers are installed, and records it for the series.
    public func fetch(_ series: KernelSeries) async throws -> KernelTarget {
        let release = try await progress.step("resolving the Debian \(series.rawValue) kernel") {
            try await resolve(series)
        }
        let lock = try FileLock(cache.appendingPathComponent(".lock"))
        defer { lock.unlock() }
        if try await !isCached(release) {
            if FileManager.default.fileExists(atPath: entry(release).path) {
                progress.note("    cache entry \(entry(release).path) is incomplete or corrupted: fetching it again")
                logger.warning("cache entry for \(release) is corrupted; fetching it again")
            }
            try await progress.step("downloading \(release.imagePackage)") { try await download(release) }
        }
        try await ensureHeaders(release)
        try await ensureVmlinux(release)
        do {
            try Data((release.name + "\n").utf8).write(to: pointer(series), options: .atomic)
        } catch {
            throw ZCError(.cache, "cannot record the \(series.rawValue) release in \(cache.path): \(error.localizedDescription)")
        }
        return target(release, series: series)
    }

    /// The release recorded for `series` when its cache entry and headers are intact;
    /// otherwise the same as ``fetch(_:)``.
    public func current(_ series: KernelSeries) async throws -> KernelTarget {
        if let text = try? String(contentsOf: pointer(series), encoding: .utf8) {
            let release = KernelRelease(text.trimmingCharacters(in: .whitespacesAndNewlines))
            if !release.name.isEmpty, try await isCached(release), headersInstalled(release) {
                let lock = try FileLock(cache.appendingPathComponent(".lock"))
                defer { lock.unlock() }
                try await ensureVmlinux(release)
                return target(release, series: series)
            }
        }
        return try await fetch(series)
    }

    /// A kernel the user built: `bzImage` and a kbuild tree whose kernel.release names it.
    public func custom(kernel: String, headers: String) throws -> KernelTarget {
        guard FileManager.default.isReadableFile(atPath: kernel) else {
            throw ZCError(.usage, "kernel image \(kernel) does not exist or is not readable")
        }
        let releaseFile = URL(fileURLWithPath: headers).appendingPathComponent("include/config/kernel.release")
        guard let text = try? String(contentsOf: releaseFile, encoding: .utf8) else {
            throw ZCError(.usage, "\(headers) is not a prepared kbuild tree: \(releaseFile.path) is missing")
        }
        return KernelTarget(release: KernelRelease(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                            series: nil, vmlinuz: kernel, headers: headers)
    }

    func target(_ release: KernelRelease, series: KernelSeries) -> KernelTarget {
        let vmlinux = entry(release).appendingPathComponent("vmlinux").path
        return KernelTarget(release: release, series: series,
                            vmlinuz: entry(release).appendingPathComponent("vmlinuz").path,
                            vmlinux: FileManager.default.fileExists(atPath: vmlinux) ? vmlinux : nil,
                            headers: release.headersDirectory)
    }

    /// Extracts the PVH-bootable vmlinux of a cached release once, and adds its checksum to
    /// the entry's md5sums so a corrupted copy is caught like the rest. The caller holds the
    /// cache lock (flock is per open file: taking it again here would wait forever).
    func ensureVmlinux(_ release: KernelRelease) async throws {
        let directory = entry(release)
        let vmlinux = directory.appendingPathComponent("vmlinux")
        if FileManager.default.fileExists(atPath: vmlinux.path) { return }
        guard try await BootImage.extract(image: directory.appendingPathComponent("vmlinuz"), to: vmlinux, runner: runner)
        else {
            logger.info("\(release): no PVH-bootable vmlinux in the image; booting the bzImage")
            return
        }
        let sum = try await runner.checked(Command("md5sum", ["vmlinux"], workingDirectory: directory.path), code: .cache)
        let sums = directory.appendingPathComponent("md5sums")
        let kept = ((try? String(contentsOf: sums, encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { !$0.hasSuffix("  vmlinux") }.joined(separator: "\n")
        try Data((kept + "\n" + sum.output.trimmingCharacters(in: .whitespacesAndNewlines) + "\n").utf8)
            .write(to: sums, options: .atomic)
    }

    func headersInstalled(_ release: KernelRelease) -> Bool {
        FileManager.default.fileExists(atPath: release.headersDirectory + "/Makefile")
    }

    func ensureHeaders(_ release: KernelRelease) async throws {
        if headersInstalled(release) { return }
        let show = try await runner.run(Self.showHeaders(release, pkgcache: pkgcache))
        guard show.status == 0 else {
            throw ZCError(.kernelResolution, "no headers package \(release.headersPackage) in the apt sources; run apt-get update, or pass --kernel BZIMAGE --headers DIR")
        }
        _ = try await progress.step("installing \(release.headersPackage)") {
            try await runner.checked(Self.installHeaders(release, asRoot: geteuid() == 0), code: .missingDependency,
                                     what: "installing \(release.headersPackage)")
        }
        guard headersInstalled(release) else {
            throw ZCError(.missingDependency, "\(release.headersPackage) is installed but \(release.headersDirectory)/Makefile is missing")
        }
    }

    func download(_ release: KernelRelease) async throws {
        let fm = FileManager.default
        let scratch = cache.appendingPathComponent(".fetch-\(release.name)-\(getpid())")
        do {
            try? fm.removeItem(at: scratch)
            try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        } catch {
            throw ZCError(.cache, "cannot create \(scratch.path): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(at: scratch) }
        try await runner.checked(Self.download(release, into: scratch.path), code: .kernelResolution,
                                 what: "downloading \(release.imagePackage)")
        guard let deb = try fm.contentsOfDirectory(atPath: scratch.path).first(where: { $0.hasSuffix(".deb") }) else {
            throw ZCError(.kernelResolution, "apt-get download left no .deb for \(release.imagePackage) in \(scratch.path)")
        }
        let debPath = scratch.appendingPathComponent(deb).path
        let unpacked = scratch.appendingPathComponent("root")
        try fm.createDirectory(at: unpacked, withIntermediateDirectories: true)
        try await runner.checked(Self.unpackBoot(deb: debPath, into: unpacked.path), code: .cache,
                                 what: "unpacking \(deb)")
        let sums = try await runner.checked(Self.md5sums(deb: debPath), code: .cache)
        let staged = scratch.appendingPathComponent("entry")
        try fm.createDirectory(at: staged, withIntermediateDirectories: true)
        var lines: [String] = []
        for (md5, path) in AptParsing.bootChecksums(md5sums: sums.output) {
            let base = (path as NSString).lastPathComponent
            guard let kept = Self.keptFiles.first(where: { base == "\($0)-\(release.name)" }) else { continue }
            try fm.moveItem(at: unpacked.appendingPathComponent(path), to: staged.appendingPathComponent(kept))
            lines.append("\(md5)  \(kept)")
        }
        guard lines.count == Self.keptFiles.count else {
            throw ZCError(.cache, "\(deb) lacks one of boot/{\(Self.keptFiles.joined(separator: ","))}-\(release.name)")
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: staged.appendingPathComponent("md5sums"))
        try await runner.checked(Self.verify(entry: staged.path), code: .cache, what: "checksums of \(deb)")
        let final = entry(release)
        try? fm.removeItem(at: final)
        do {
            try fm.moveItem(at: staged, to: final)
        } catch {
            throw ZCError(.cache, "cannot move the kernel into \(final.path): \(error.localizedDescription)")
        }
    }
}
