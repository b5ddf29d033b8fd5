/// Why the cpio writer refused an entry.
public struct CpioError: Error, Equatable, CustomStringConvertible {
    /// What was wrong with the entry.
    public enum Code: Sendable, Equatable {
        /// The name is empty.
        case emptyName
        /// The name or the symlink target contains a NUL byte.
        case containsNUL
        /// The name starts with "/"; archive names are relative to the root.
        case absolutePath
        /// The name has an empty, "." or ".." component.
        case invalidComponent
        /// The name is "TRAILER!!!", which would end the archive.
        case reservedName
        /// The mode has bits outside the permission bits (0o7777).
        case invalidMode
        /// The file is larger than the 32-bit size field allows.
        case fileTooLarge
    }

    /// What was wrong.
    public let code: Code
    /// The archive name of the refused entry.
    public let path: String
    /// A sentence naming the entry and the problem.
    public let message: String

    /// Creates an error for `path`.
    public init(_ code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }
}

/// An in-memory writer of "newc" (SVR4, magic "070701") cpio archives, the format the Linux
/// kernel unpacks as an initramfs.
///
/// Entries are written in the order they are added; a directory must be added before the
/// entries inside it. Inode numbers count up from 1, owners are root, and every mtime is 0,
/// so identical input gives byte-identical output.
public struct CpioWriter: Sendable {
    private static let typeRegular: UInt32 = 0o100000
    private static let typeDirectory: UInt32 = 0o040000
    private static let typeSymlink: UInt32 = 0o120000
    private static let typeCharacterDevice: UInt32 = 0o020000
    private static let typeBlockDevice: UInt32 = 0o060000
    private static let trailerName = "TRAILER!!!"

    private var output: [UInt8] = []
    private var nextInode: UInt32 = 1

    /// Creates an empty archive.
    public init() {}

    /// Adds a directory (nlink 2).
    public mutating func addDirectory(_ path: String, mode: UInt32 = 0o755) throws(CpioError) {
        try append(path, type: Self.typeDirectory, mode: mode, nlink: 2, body: [])
    }

    /// Adds a regular file with `contents`.
    public mutating func addFile(_ path: String, contents: [UInt8], mode: UInt32 = 0o644) throws(CpioError) {
        try append(path, type: Self.typeRegular, mode: mode, body: contents)
    }

    /// Adds a symbolic link at `path` pointing to `target` (stored as the entry's data).
    public mutating func addSymlink(_ path: String, target: String) throws(CpioError) {
        if target.utf8.contains(0) {
            throw CpioError(.containsNUL, path: path, message: "cpio: symlink target of \(path) contains a NUL byte")
        }
        try append(path, type: Self.typeSymlink, mode: 0o777, body: Array(target.utf8))
    }

    /// Adds a character device node; `major` and `minor` go into rdevmajor and rdevminor.
    public mutating func addCharacterDevice(
        _ path: String, major: UInt32, minor: UInt32, mode: UInt32 = 0o600
    ) throws(CpioError) {
        try append(path, type: Self.typeCharacterDevice, mode: mode, body: [], rdev: (major, minor))
    }

    /// Adds a block device node; `major` and `minor` go into rdevmajor and rdevminor.
    public mutating func addBlockDevice(
        _ path: String, major: UInt32, minor: UInt32, mode: UInt32 = 0o600
    ) throws(CpioError) {
        try append(path, type: Self.typeBlockDevice, mode: mode, body: [], rdev: (major, minor))
    }

    /// The finished archive: every entry added so far followed by the "TRAILER!!!" entry.
    public var bytes: [UInt8] {
        var archive = output
        Self.writeEntry(
            into: &archive, name: Self.trailerName, inode: 0, mode: 0, nlink: 1, body: [], rdev: (0, 0))
        return archive
    }

    private mutating func append(
        _ path: String, type: UInt32, mode: UInt32, nlink: UInt32 = 1, body: [UInt8],
        rdev: (UInt32, UInt32) = (0, 0)
    ) throws(CpioError) {
        try Self.validate(path)
        guard mode & ~0o7777 == 0 else {
            throw CpioError(
                .invalidMode, path: path,
                message: "cpio: mode 0o\(String(mode, radix: 8)) of \(path) has bits outside 0o7777")
        }
        guard body.count <= Int(UInt32.max) else {
            throw CpioError(
                .fileTooLarge, path: path, message: "cpio: \(path) has \(body.count) bytes, more than newc can hold")
        }
        Self.writeEntry(into: &output, name: path, inode: nextInode, mode: type | mode, nlink: nlink, body: body, rdev: rdev)
        nextInode += 1
    }

    private static func validate(_ path: String) throws(CpioError) {
        if path.isEmpty {
            throw CpioError(.emptyName, path: path, message: "cpio: empty entry name")
        }
        if path.utf8.contains(0) {
            throw CpioError(.containsNUL, path: path, message: "cpio: entry name \(path.debugDescription) contains a NUL byte")
        }
        if path.hasPrefix("/") {
            throw CpioError(.absolutePath, path: path, message: "cpio: entry name \(path) must be relative (no leading /)")
        }
        if path == trailerName {
            throw CpioError(.reservedName, path: path, message: "cpio: \(trailerName) is reserved for the archive trailer")
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw CpioError(
                .invalidComponent, path: path, message: "cpio: entry name \(path) has an empty, . or .. component")
        }
    }

    /// Header: magic then 13 fields of 8 uppercase hex digits (ino, mode, uid, gid, nlink,
    /// mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check); the header
    /// plus the NUL-terminated name, and the data, are each padded to 4 bytes.
    private static func writeEntry(
        into out: inout [UInt8], name: String, inode: UInt32, mode: UInt32, nlink: UInt32,
        body: [UInt8], rdev: (UInt32, UInt32)
    ) {
        let nameBytes = Array(name.utf8) + [0]
        let fields: [UInt32] = [
            inode, mode, 0, 0, nlink, 0, UInt32(body.count), 0, 0, rdev.0, rdev.1,
            UInt32(nameBytes.count), 0,
        ]
        out += Array("070701".utf8)
        for field in fields {
            out += Array(hex8(field).utf8)
        }
        out += nameBytes
        out += [UInt8](repeating: 0, count: padding(110 + nameBytes.count))
        out += body
        out += [UInt8](repeating: 0, count: padding(body.count))
    }

    private static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func padding(_ length: Int) -> Int {
        (4 - length % 4) % 4
    }
}
