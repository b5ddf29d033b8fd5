import Foundation

/// An exclusive advisory lock on a file (flock), held until ``unlock()`` or deinit.
/// Two zcbench processes fetching into one cache take turns instead of corrupting it.
public final class FileLock {
    private var fd: Int32

    /// Blocks until the lock on `url` (created if needed) is held.
    public init(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw ZCError(.cache, "cannot create \(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ZCError(.cache, "cannot open lock file \(url.path): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return }
        FileHandle.standardError.write(Data("zcbench: waiting for \(url.path): another zcbench holds it\n".utf8))
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let message = String(cString: strerror(errno))
            close(fd)
            throw ZCError(.cache, "cannot lock \(url.path): \(message)")
        }
    }

    public func unlock() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { unlock() }
}
