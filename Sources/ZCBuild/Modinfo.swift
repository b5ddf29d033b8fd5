import Foundation
import CKmod
import ZCCore

/// The `modinfo` fields of a built module, read with libkmod.
public struct Modinfo: Sendable, Equatable {
    public var fields: [(key: String, value: String)]

    public init(fields: [(key: String, value: String)]) { self.fields = fields }

    public static func == (lhs: Modinfo, rhs: Modinfo) -> Bool {
        lhs.fields.map(\.key) == rhs.fields.map(\.key) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    /// The first value of `key`, if any.
    public subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

    /// Reads the .modinfo section of the module at `path`.
    public static func read(path: String) throws -> Modinfo {
        guard let context = kmod_new(nil, nil) else {
            throw ZCError(.io, "libkmod: kmod_new failed")
        }
        defer { kmod_unref(context) }
        var module: OpaquePointer?
        let status = kmod_module_new_from_path(context, path, &module)
        guard status == 0, let module else {
            throw ZCError(.io, "libkmod cannot open module \(path): \(String(cString: strerror(-status)))")
        }
        defer { kmod_module_unref(module) }
        var list: OpaquePointer?
        let count = kmod_module_get_info(module, &list)
        guard count >= 0 else {
            throw ZCError(.io, "libkmod cannot read the modinfo of \(path): \(String(cString: strerror(-count)))")
        }
        defer { kmod_module_info_free_list(list) }
        var fields: [(String, String)] = []
        var entry = list
        while let current = entry {
            let key = kmod_module_info_get_key(current).map { String(cString: $0) } ?? ""
            let value = kmod_module_info_get_value(current).map { String(cString: $0) } ?? ""
            fields.append((key, value))
            entry = kmod_list_next(list, current)
        }
        return Modinfo(fields: fields)
    }
}

/// Refuses a module whose vermagic names another kernel than `release`.
///
/// vermagic is "<release> SMP preempt mod_unload modversions "; the first word must be the
/// release exactly, or the guest kernel would reject the module.
public func checkVermagic(_ vermagic: String?, release: String, module: String) throws {
    guard let vermagic else {
        throw ZCError(.vermagicMismatch, "\(module) has no vermagic in its modinfo")
    }
    let built = vermagic.split(separator: " ").first.map(String.init) ?? ""
    guard built == release else {
        throw ZCError(.vermagicMismatch,
                      "\(module) was built for '\(vermagic.trimmingCharacters(in: .whitespaces))' but the target kernel is '\(release)'")
    }
}
