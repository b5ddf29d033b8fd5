import Foundation
import ZCCore

/// The x86 boot image (bzImage) of a kernel, and the uncompressed vmlinux inside it.
///
/// QEMU boots an ELF vmlinux that carries a PVH entry note (CONFIG_PVH) directly, without
/// firmware real-mode setup or in-guest decompression; under TCG that takes a Debian
/// kernel from about 7 s to about 2.5 s of wall time to init. The vmlinux is the very kernel
/// of the package: the payload of its bzImage, decompressed on the host with xz or zstd.
public enum BootImage {
    /// The compressed payload of a bzImage and the tool that decompresses it.
    public struct Payload: Equatable, Sendable {
        public var range: Range<Int>
        public var decompressor: String
    }

    /// Finds the payload through the setup header (Documentation/arch/x86/boot.rst):
    /// setup_sects at 0x1f1, payload_offset at 0x248, payload_length at 0x24c, the length
    /// including the 4-byte size the kernel build appends.
    public static func payload(of image: Data) -> Payload? {
        let bytes = [UInt8](image.prefix(0x250))
        guard bytes.count >= 0x250, bytes[0x202] == 0x48, bytes[0x203] == 0x64, bytes[0x204] == 0x72, bytes[0x205] == 0x53
        else { return nil } // "HdrS"
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let setupSectors = bytes[0x1f1] == 0 ? 4 : Int(bytes[0x1f1])
        let start = (setupSectors + 1) * 512 + u32(0x248)
        let length = u32(0x24c) - 4
        guard length > 0, start + length <= image.count else { return nil }
        let magic = [UInt8](image[start..<(start + 6)])
        let decompressor: String
        if magic == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] {
            decompressor = "xz"
        } else if magic.prefix(4) == [0x28, 0xb5, 0x2f, 0xfd] {
            decompressor = "zstd"
        } else if magic.prefix(2) == [0x1f, 0x8b] {
            decompressor = "gzip"
        } else {
            return nil
        }
        return Payload(range: start..<(start + length), decompressor: decompressor)
    }

    /// One ELF note: its owner's name (without the NUL), type and descriptor.
    public struct Note: Equatable, Sendable {
        public var name: String
        public var type: Int
        public var descriptor: [UInt8]
    }

    /// The notes of the PT_NOTE segments of `elf`, an ELF64 little-endian file; empty for
    /// anything else.
    public static func notes(_ elf: Data) -> [Note] {
        let base = elf.startIndex
        guard elf.count > 64, elf.starts(with: [0x7f, 0x45, 0x4c, 0x46, 2, 1]) else { return [] }
        func byte(_ at: Int) -> Int { Int(elf[base + at]) }
        func u16(_ at: Int) -> Int { byte(at) | byte(at + 1) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func u64(_ at: Int) -> Int { u32(at) | u32(at + 4) << 32 }
        func bytes(_ at: Int, _ count: Int) -> [UInt8] { [UInt8](elf[(base + at)..<(base + at + count)]) }
        var notes: [Note] = []
        let phoff = u64(0x20), phentsize = u16(0x36), phnum = u16(0x38)
        for index in 0..<phnum {
            let header = phoff + index * phentsize
            guard header + 56 <= elf.count, u32(header) == 4 else { continue } // PT_NOTE
            var note = u64(header + 8)
            let end = min(elf.count, note + u64(header + 32))
            while note + 12 <= end {
                let nameSize = u32(note), descSize = u32(note + 4), type = u32(note + 8)
                let name = note + 12, descriptor = name + (nameSize + 3) / 4 * 4
                guard descriptor + descSize <= end else { break }
                let owner = bytes(name, nameSize).prefix { $0 != 0 }
                notes.append(Note(name: String(decoding: owner, as: UTF8.self), type: type,
                                  descriptor: bytes(descriptor, descSize)))
                note = descriptor + (descSize + 3) / 4 * 4
            }
        }
        return notes
    }

    /// True when `elf` is an ELF64 file with a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY).
    public static func hasPVHNote(_ elf: Data) -> Bool {
        notes(elf).contains { $0.name == "Xen" && $0.type == 18 }
    }

    /// The build ID (NT_GNU_BUILD_ID) of the ELF file `elf`, in lower-case hex: the kernel's
    /// vmlinux_build_id, which the livepatch compares with the one it was built for.
    public static func buildID(_ elf: Data) -> String? {
        notes(elf).first { $0.name == "GNU" && $0.type == 3 && !$0.descriptor.isEmpty }
            .map { $0.descriptor.map { String(format: "%02x", $0) }.joined() }
    }

    /// The build ID of the vmlinux at `path` (read mapped: only its notes are touched).
    public static func buildID(ofFile path: String) throws -> String? {
        try buildID(Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped))
    }

    /// The command that writes the decompressed payload file `compressed` to `output`.
    public static func decompress(_ payload: Payload, compressed: String, output: String) -> Command {
        Command("bash", ["-o", "pipefail", "-c", "\"$0\" -dc -- \"$1\" > \"$2\"", payload.decompressor, compressed, output])
    }

    /// Extracts the vmlinux of the bzImage at `image` to `output`, returning false (and
    /// writing nothing) when the image has no payload zcbench can decompress or the result
    /// cannot be booted with PVH.
    public static func extract(image: URL, to output: URL, runner: CommandRunner) async throws -> Bool {
        let data = try Data(contentsOf: image)
        guard let payload = payload(of: data) else { return false }
        let compressed = output.deletingLastPathComponent().appendingPathComponent(".payload-\(getpid())")
        let partial = output.deletingLastPathComponent().appendingPathComponent(".vmlinux-\(getpid())")
        defer {
            try? FileManager.default.removeItem(at: compressed)
            try? FileManager.default.removeItem(at: partial)
        }
        try data.subdata(in: payload.range).write(to: compressed)
        try await runner.checked(decompress(payload, compressed: compressed.path, output: partial.path), code: .cache,
                                 what: "decompressing the kernel of \(image.path)")
        guard hasPVHNote(try Data(contentsOf: partial)) else { return false }
        try? FileManager.default.removeItem(at: output)
        try FileManager.default.moveItem(at: partial, to: output)
        return true
    }
}
