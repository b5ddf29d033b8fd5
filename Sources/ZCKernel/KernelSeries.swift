import Foundation
import ZCCore

/// A Debian bookworm kernel series zcbench knows how to fetch.
public enum KernelSeries: String, CaseIterable, Sendable, Codable {
    case v6_1 = "6.1"
    case v6_12 = "6.12"

    /// Parses "6.1" or "6.12"; anything else is a usage error naming the valid series.
    public static func parse(_ text: String) throws -> KernelSeries {
        guard let series = KernelSeries(rawValue: text) else {
            throw ZCError(.usage, "unknown kernel series '\(text)'; valid series: \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return series
    }
}

/// One Debian kernel release, for example "6.1.0-56-amd64" or "6.12.117+deb12-amd64".
public struct KernelRelease: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var name: String

    public init(_ name: String) { self.name = name }

    public var imagePackage: String { "linux-image-\(name)" }
    public var headersPackage: String { "linux-headers-\(name)" }
    /// Where Debian's headers package installs the kbuild tree.
    public var headersDirectory: String { "/usr/src/linux-headers-\(name)" }
    public var description: String { name }
}

/// Pure parsers for what apt-cache prints; no processes here.
public enum AptParsing {
    /// The linux-image package the `linux-image-amd64` meta-package depends on, from
    /// `apt-cache show --no-all-versions linux-image-amd64`.
    public static func metaPackageTarget(showOutput: String) -> KernelRelease? {
        for line in showOutput.split(separator: "\n") where line.hasPrefix("Depends:") {
            for dependency in line.dropFirst("Depends:".count).split(separator: ",") {
                let name = dependency.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                if name.hasPrefix("linux-image-") && name.hasSuffix("-amd64") && name != "linux-image-amd64" {
                    return KernelRelease(String(name.dropFirst("linux-image-".count)))
                }
            }
        }
        return nil
    }

    /// The newest `6.12.N+deb12-amd64` release among package names (from `apt-cache pkgnames`).
    public static func newest612(packageNames: [String]) -> KernelRelease? {
        var best: (Int, KernelRelease)?
        for name in packageNames {
            guard name.hasPrefix("linux-image-6.12."), name.hasSuffix("+deb12-amd64") else { continue }
            let release = String(name.dropFirst("linux-image-".count))
            let patch = release.dropFirst("6.12.".count).prefix { $0.isNumber }
            guard let number = Int(patch), release == "6.12.\(patch)+deb12-amd64" else { continue }
            if best == nil || number > best!.0 { best = (number, KernelRelease(release)) }
        }
        return best?.1
    }

    /// The `boot/...` entries of a package's md5sums control file, as (md5, path) pairs.
    public static func bootChecksums(md5sums: String) -> [(md5: String, path: String)] {
        md5sums.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2 else { return nil }
            let path = parts[1].trimmingCharacters(in: .whitespaces)
            guard path.hasPrefix("boot/") else { return nil }
            return (String(parts[0]), path)
        }
    }
}
