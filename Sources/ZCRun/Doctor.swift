import Foundation
import ZCCore
import ZCKernel

/// One thing zcbench needs on the host, whether it is there, and how to get it.
public struct Requirement: Sendable, Codable, Equatable {
    public var name: String
    public var present: Bool
    /// What was found (a path, a release), or why it is missing.
    public var detail: String
    /// The command that installs it.
    public var fix: String
}

/// `zcbench doctor`: what is missing on this host, and the command that installs it.
public struct Doctor: Sendable {
    public var paths: Paths
    public var runner: CommandRunner

    public init(paths: Paths, runner: CommandRunner) {
        self.paths = paths
        self.runner = runner
    }

    static let tools: [(tool: String, package: String)] = [
        ("qemu-system-x86_64", "qemu-system-x86"),
        ("make", "make"),
        ("gcc", "gcc"),
        ("pkg-config", "pkg-config"),
        ("dpkg-deb", "dpkg"),
        ("apt-get", "apt"),
        ("md5sum", "coreutils"),
        ("git", "git"),
    ] + KernelSourceBuilder.tools.map { (tool: $0.program, package: $0.package) }

    public func requirements() async -> [Requirement] {
        var found: [Requirement] = []
        for (tool, package) in Self.tools {
            let path = findExecutable(tool)
            found.append(Requirement(name: tool, present: path != nil, detail: path ?? "not in PATH",
                                     fix: "apt-get install \(package)"))
        }
        let busybox = "/bin/busybox"
        let staticBusybox = (try? String(contentsOfFile: "/var/lib/dpkg/info/busybox-static.list", encoding: .utf8)) != nil
        found.append(Requirement(name: "busybox (static)", present: staticBusybox && FileManager.default.fileExists(atPath: busybox),
                                 detail: staticBusybox ? busybox : "busybox-static is not installed",
                                 fix: "apt-get install busybox-static"))
        let libc = "/usr/lib/x86_64-linux-gnu/libc.a"
        found.append(Requirement(name: "static libc", present: FileManager.default.fileExists(atPath: libc),
                                 detail: libc, fix: "apt-get install libc6-dev"))
        let kmod = (try? await runner.run(Command("pkg-config", ["--modversion", "libkmod"])))
        found.append(Requirement(name: "libkmod", present: kmod?.status == 0,
                                 detail: kmod?.status == 0 ? "libkmod \(kmod!.output.trimmingCharacters(in: .whitespacesAndNewlines))" : "pkg-config finds no libkmod",
                                 fix: "apt-get install libkmod-dev"))
        for series in KernelSeries.allCases {
            let pointer = paths.cache.appendingPathComponent("kernels/\(series.rawValue).release")
            let release = (try? String(contentsOf: pointer, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            let image = release.map { paths.cache.appendingPathComponent("kernels/\($0)/vmlinuz").path }
            let hasImage = image.map { FileManager.default.fileExists(atPath: $0) } ?? false
            let hasHeaders = release.map { FileManager.default.fileExists(atPath: KernelRelease($0).headersDirectory + "/Makefile") } ?? false
            let detail: String
            switch (release, hasImage, hasHeaders) {
            case (nil, _, _): detail = "not fetched"
            case (let r?, false, _): detail = "\(r): image missing from the cache"
            case (let r?, true, false): detail = "\(r): headers not installed"
            case (let r?, true, true): detail = "\(r)"
            }
            found.append(Requirement(name: "kernel \(series.rawValue)", present: hasImage && hasHeaders, detail: detail,
                                     fix: "zcbench kernel fetch --series \(series.rawValue)"))
        }
        return found
    }
}
