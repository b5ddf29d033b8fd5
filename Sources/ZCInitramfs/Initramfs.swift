import Foundation

/// Why the initramfs could not be built or written.
public struct InitramfsError: Error, CustomStringConvertible {
    /// What failed.
    public enum Code: Sendable, Equatable {
        /// A host file could not be read.
        case readFailed
        /// An entry was refused by the cpio writer.
        case invalidEntry
        /// The archive could not be written.
        case writeFailed
    }

    /// What failed.
    public let code: Code
    /// A sentence naming the file and the problem.
    public let message: String
    /// The underlying error, if any.
    public let cause: (any Error)?

    /// Creates an error.
    public init(_ code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message): \($0)" } ?? message
    }
}

/// The guest's initramfs, laid out as docs/guest-protocol.md describes:
///
/// ```
/// /init                    init (0755)
/// /bin/busybox             busybox (0755), plus /bin/sh -> busybox
/// /bin/zcrunner            zcrunner (0755)
/// /lib/modules/zcpool.ko   the module (0644)
/// /lib/modules/zctcp.ko    the livepatch (0644)
/// /dev/console, /dev/ttyS0, /dev/ttyS1, /dev/ttyS2, /dev/null
/// /proc, /sys, /tmp, /root  mount points and scratch directories
/// ```
public struct InitramfsLayout: Sendable {
    /// A further host file to place in the archive.
    public struct ExtraFile: Sendable, Equatable {
        /// Path inside the archive, relative (for example "etc/zcbench.conf").
        public var archivePath: String
        /// Path of the file on the host.
        public var hostPath: String
        /// Permission bits.
        public var mode: UInt32

        /// Creates an extra file entry.
        public init(archivePath: String, hostPath: String, mode: UInt32 = 0o644) {
            self.archivePath = archivePath
            self.hostPath = hostPath
            self.mode = mode
        }
    }

    /// Host path of the static guest init (vm/init.c).
    public var initPath: String
    /// Host path of a static busybox.
    public var busyboxPath: String
    /// Host path of the static scenario runner (vm/runner.c).
    public var zcrunnerPath: String
    /// Host path of the built module; it is stored as lib/modules/zcpool.ko.
    public var modulePath: String
    /// Host path of the built livepatch; it is stored as lib/modules/zctcp.ko (nil: none,
    /// the real path's designs then fail to load, saying so).
    public var livepatchPath: String?
    /// Further files; missing parent directories are created.
    public var extraFiles: [ExtraFile]

    /// Creates a layout from host paths.
    public init(
        initPath: String, busyboxPath: String, zcrunnerPath: String, modulePath: String, livepatchPath: String?,
        extraFiles: [ExtraFile] = []
    ) {
        self.initPath = initPath
        self.busyboxPath = busyboxPath
        self.zcrunnerPath = zcrunnerPath
        self.modulePath = modulePath
        self.livepatchPath = livepatchPath
        self.extraFiles = extraFiles
    }

    /// Where init, the runner, the module and the results port are inside the archive: the
    /// guest's ZCB_PATH_* (vm/lib/protocol.h; ZCInitramfsTests reads it and fails on drift).
    public static let initArchivePath = "init"
    public static let runnerArchivePath = "bin/zcrunner"
    public static let moduleArchivePath = "lib/modules/zcpool.ko"
    public static let livepatchArchivePath = "lib/modules/zctcp.ko"
    public static let resultsArchivePath = "dev/ttyS1"
    /// `zcbench exec`: the program's output port (ZCB_PATH_PROGRAM), its files' directory
    /// (ZCB_PATH_EXEC_DIR) and its argv (ZCB_PATH_EXEC_ARGV).
    public static let programArchivePath = "dev/ttyS2"
    public static let execDirectory = "exec"
    public static let execArgvArchivePath = "etc/zcbench-exec.argv"

    /// The directories, in creation order, with their modes.
    static let directories: [(path: String, mode: UInt32)] = [
        ("bin", 0o755), ("dev", 0o755), ("lib", 0o755), ("lib/modules", 0o755),
        ("proc", 0o555), ("sys", 0o555), ("tmp", 0o1777), ("root", 0o700),
    ]

    /// The device nodes: name, major, minor, mode (all character devices).
    static let devices: [(path: String, major: UInt32, minor: UInt32, mode: UInt32)] = [
        ("dev/console", 5, 1, 0o600), ("dev/ttyS0", 4, 64, 0o660), (resultsArchivePath, 4, 65, 0o660),
        (programArchivePath, 4, 66, 0o660), ("dev/null", 1, 3, 0o666),
    ]

    /// Builds the archive, reading each host file through `readFile`.
    ///
    /// - Parameter readFile: returns the contents of the host file at the given path.
    /// - Throws: `InitramfsError` with `.readFailed` (cause: what `readFile` threw) or
    ///   `.invalidEntry` (cause: the `CpioError`).
    public func build(readFile: (String) throws -> [UInt8]) throws(InitramfsError) -> [UInt8] {
        func read(_ hostPath: String) throws(InitramfsError) -> [UInt8] {
            do {
                return try readFile(hostPath)
            } catch {
                throw InitramfsError(.readFailed, message: "initramfs: cannot read \(hostPath)", cause: error)
            }
        }
        var files: [(path: String, contents: [UInt8], mode: UInt32)] = [
            (Self.initArchivePath, try read(initPath), 0o755),
            ("bin/busybox", try read(busyboxPath), 0o755),
            (Self.runnerArchivePath, try read(zcrunnerPath), 0o755),
            (Self.moduleArchivePath, try read(modulePath), 0o644),
        ]
        if let livepatchPath { files.append((Self.livepatchArchivePath, try read(livepatchPath), 0o644)) }
        var extras: [(path: String, contents: [UInt8], mode: UInt32)] = []
        for extra in extraFiles {
            extras.append((extra.archivePath, try read(extra.hostPath), extra.mode))
        }

        var cpio = CpioWriter()
        do throws(CpioError) {
            var directories: Set<String> = []
            for directory in Self.directories {
                try cpio.addDirectory(directory.path, mode: directory.mode)
                directories.insert(directory.path)
            }
            for device in Self.devices {
                try cpio.addCharacterDevice(device.path, major: device.major, minor: device.minor, mode: device.mode)
            }
            for file in files {
                try cpio.addFile(file.path, contents: file.contents, mode: file.mode)
                if file.path == "bin/busybox" {
                    try cpio.addSymlink("bin/sh", target: "busybox")
                }
            }
            for extra in extras {
                var parent = ""
                for component in extra.path.split(separator: "/").dropLast() {
                    parent += parent.isEmpty ? String(component) : "/\(component)"
                    if directories.insert(parent).inserted {
                        try cpio.addDirectory(parent)
                    }
                }
                try cpio.addFile(extra.path, contents: extra.contents, mode: extra.mode)
            }
        } catch {
            throw InitramfsError(.invalidEntry, message: "initramfs: invalid entry \(error.path)", cause: error)
        }
        return cpio.bytes
    }

    /// Builds the archive from the host files, read with FileManager.
    public func build() throws(InitramfsError) -> Data {
        Data(try build(readFile: Self.readHostFile))
    }

    /// Builds the archive and writes it to `url` atomically.
    public func write(to url: URL) throws(InitramfsError) {
        let archive = try build()
        do {
            try archive.write(to: url, options: .atomic)
        } catch {
            throw InitramfsError(.writeFailed, message: "initramfs: cannot write \(url.path)", cause: error)
        }
    }

    private static func readHostFile(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
