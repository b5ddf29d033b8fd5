import Foundation
import ZCAnalysis
import ZCCore
import ZCInitramfs

/// What `zcbench exec` runs in the guest: a program of the host's (a static x86-64 ELF, or a
/// script for the guest's /bin/sh), its arguments, and files put beside it, all copied into
/// the initramfs under `/exec` (vm/exec.c). The guest has no shared libraries and no
/// interpreter but busybox's sh: anything else is refused before a boot, saying why.
public struct ExecProgram: Sendable, Equatable {
    /// The program on the host, and the arguments after it.
    public var program: String
    public var arguments: [String]
    /// Further host files, each copied to `/exec/<its name>`.
    public var files: [String]

    /// Interpreters the guest has (busybox).
    public static let interpreters = ["/bin/sh", "/bin/busybox"]

    public init(program: String, arguments: [String] = [], files: [String] = []) {
        self.program = program
        self.arguments = arguments
        self.files = files
    }

    /// The program's path in the guest.
    public var guestPath: String { "/\(InitramfsLayout.execDirectory)/\(Self.name(program))" }

    /// argv as the guest executes it.
    public var argv: [String] { [guestPath] + arguments }

    static func name(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

    /// Refuses what the guest could not run: a file that is missing or not executable, a
    /// dynamically linked or non-x86-64 ELF, a script for an interpreter the guest has not,
    /// two files of the same name, an argument with a NUL byte.
    public func validate() throws {
        let fm = FileManager.default
        for path in [program] + files {
            var directory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &directory), !directory.boolValue else {
                throw ZCError(.usage, "\(path) does not exist or is a directory")
            }
        }
        guard fm.isExecutableFile(atPath: program) else {
            throw ZCError(.usage, "\(program) is not executable (chmod +x it)")
        }
        guard let head = FileHandle(forReadingAtPath: program).map({ handle in
            defer { try? handle.close() }
            return (try? handle.read(upToCount: 4096)) ?? Data()
        }) else {
            throw ZCError(.usage, "\(program) is not readable")
        }
        try Self.check(head: [UInt8](head), path: program)
        let names = ([program] + files).map(Self.name)
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw ZCError(.usage, "two files named \(twice): each goes to /\(InitramfsLayout.execDirectory)/\(twice) in the guest")
        }
        if arguments.contains(where: { $0.contains("\0") }) {
            throw ZCError(.usage, "an argument holds a NUL byte")
        }
    }

    /// The check of a program's first bytes: its ELF header and program headers, or its
    /// `#!` line.
    public static func check(head: [UInt8], path: String) throws {
        if head.starts(with: Array("#!".utf8)) {
            let line = String(decoding: head.prefix { $0 != 0x0A }.dropFirst(2), as: UTF8.self)
            let interpreter = line.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
            guard interpreters.contains(interpreter) else {
                throw ZCError(.usage, "\(path) is a script for \(interpreter.isEmpty ? "no interpreter" : interpreter), which the guest has not; it has \(interpreters.joined(separator: " and ")) (busybox)")
            }
            return
        }
        guard head.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else {
            throw ZCError(.usage, "\(path) is neither an ELF program nor a #! script")
        }
        func u16(_ at: Int) -> Int { at + 2 <= head.count ? Int(head[at]) | Int(head[at + 1]) << 8 : 0 }
        func u32(_ at: Int) -> Int { at + 4 <= head.count ? u16(at) | u16(at + 2) << 16 : 0 }
        func u64(_ at: Int) -> Int { at + 8 <= head.count ? u32(at) | u32(at + 4) << 32 : 0 }
        // ELFCLASS64, little-endian, EM_X86_64.
        guard head.count >= 64, head[4] == 2, head[5] == 1, u16(18) == 62 else {
            throw ZCError(.usage, "\(path) is not an x86-64 ELF program (the guest is x86-64)")
        }
        let phoff = u64(32), phentsize = u16(54), phnum = u16(56)
        for index in 0..<phnum {
            let header = phoff + index * phentsize
            guard header + phentsize <= head.count else {
                throw ZCError(.usage, "\(path): its program headers are not within its first \(head.count) bytes; zcbench cannot tell whether it is static")
            }
            if u32(header) == 3 {  // PT_INTERP
                throw ZCError(.usage, "\(path) is dynamically linked (it asks for an ELF interpreter, ld.so); the guest has no shared libraries: link it with -static")
            }
        }
    }

    /// The files the initramfs gets: the program and `files` under `/exec`, and argv
    /// (NUL-terminated strings) written to `argvFile` on the host.
    public func initramfsFiles(argvFile: URL) throws -> [InitramfsLayout.ExtraFile] {
        var argvBytes = Data()
        for argument in argv { argvBytes.append(Data(argument.utf8) + [0]) }
        do {
            try argvBytes.write(to: argvFile, options: .atomic)
        } catch {
            throw ZCError(.io, "cannot write \(argvFile.path): \(error.localizedDescription)")
        }
        let directory = InitramfsLayout.execDirectory
        return [InitramfsLayout.ExtraFile(archivePath: "\(directory)/\(Self.name(program))", hostPath: program, mode: 0o755)]
            + files.map { file in
                let executable = FileManager.default.isExecutableFile(atPath: file)
                return InitramfsLayout.ExtraFile(archivePath: "\(directory)/\(Self.name(file))", hostPath: file,
                                                 mode: executable ? 0o755 : 0o644)
            }
            + [InitramfsLayout.ExtraFile(archivePath: InitramfsLayout.execArgvArchivePath, hostPath: argvFile.path)]
    }
}

/// How the program ended and what its cgroup held, from the guest's `exec` test.
public struct ExecResult: Sendable, Equatable, Codable {
    public var exitStatus: Int?
    public var signal: Int?
    public var before: CgroupMemory
    public var after: CgroupMemory
    /// The most the cgroup held while the program ran (memory.peak; nil where the kernel
    /// has none).
    public var peak: Int64?

    /// memory.current and memory.stat of the program's cgroup at one point.
    public struct CgroupMemory: Sendable, Equatable, Codable {
        public var memoryCurrent: Int64
        public var stat: [String: Int64]
    }

    /// From the `exec` scenario's metrics; nil when the guest did not report how the
    /// program ended.
    public init?(metrics: Metrics) {
        func memory(_ point: String) -> CgroupMemory? {
            guard let current = metrics["\(point).memory_current"] else { return nil }
            var stat: [String: Int64] = [:]
            for (key, value) in metrics.values where key.hasPrefix("\(point).stat.") {
                stat[String(key.dropFirst("\(point).stat.".count))] = value
            }
            return CgroupMemory(memoryCurrent: current, stat: stat)
        }
        guard let before = memory("before"), let after = memory("after") else { return nil }
        exitStatus = metrics["exit_status"].map(Int.init)
        signal = metrics["signal"].map(Int.init)
        peak = metrics["after.memory_peak"]
        guard exitStatus != nil || signal != nil else { return nil }
        self.before = before
        self.after = after
    }

    /// The process exit status to pass on: the program's, or 128 + the signal that killed it.
    public var processStatus: Int32 { Int32(exitStatus ?? 128 + (signal ?? 0)) }

    /// The cgroup's figures, for a terminal: memory.current, then each memory.stat key that
    /// changed, before -> after.
    public var summary: [String] {
        let delta = after.memoryCurrent - before.memoryCurrent
        var lines = ["memory.current \(before.memoryCurrent) -> \(after.memoryCurrent) (\(delta >= 0 ? "+" : "")\(delta))"
            + (peak.map { ", memory.peak \($0)" } ?? "")]
        for key in Set(before.stat.keys).union(after.stat.keys).sorted() {
            let old = before.stat[key] ?? 0, new = after.stat[key] ?? 0
            if old != new { lines.append("memory.stat \(key) \(old) -> \(new)") }
        }
        return lines
    }
}
