#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one writer of Strom's small whole-file state (checkpoints, `quorum-state`, `meta.properties`).
///
/// Invariant: after `write` returns, `path` holds exactly `bytes` durably, and a crash at any moment
/// leaves either the old content or the new, never a mix: the bytes go to `path.tmp`, which is
/// fsync'd, renamed over `path`, and then the directory is fsync'd so the rename itself survives. On
/// failure the temporary file is removed and `path` keeps its old content (a crash may leave the
/// temporary file behind; readers never look at it, and a partition's recovery removes `*.tmp`).
public enum AtomicFile {
    /// The name the new content is written under before the rename.
    public static func temporaryPath(for path: String) -> String { path + ".tmp" }

    public static func write(_ bytes: [UInt8], to path: String) throws(LogError) {
        try replace(path, with: bytes, sync: true)
    }

    public static func write(_ text: String, to path: String) throws(LogError) {
        try write(Array(text.utf8), to: path)
    }

    /// The same steps without any fsync: a reader sees the old content or the new, never a mix, but a
    /// crash may leave `path` missing or empty. For files a reader can do without (it must treat a
    /// missing or unreadable one as absent), written where many fsyncs would cost too much.
    public static func writeUnsynced(_ bytes: [UInt8], to path: String) throws(LogError) {
        try replace(path, with: bytes, sync: false)
    }

    /// `bytes` to the temporary file, renamed over `path`; with `sync`, the file before the rename and
    /// the directory after it.
    private static func replace(_ path: String, with bytes: [UInt8], sync: Bool) throws(LogError) {
        let temporary = temporaryPath(for: path)
        do throws(LogError) {
            try writeFile(bytes, to: temporary, sync: sync)
            try FileSystem.rename(temporary, to: path)
        } catch {
            _ = unlink(temporary)
            throw error
        }
        if sync { try FileSystem.syncDirectory(directory(of: path)) }
    }

    /// Creates or truncates `path`, writes all of `bytes` and (with `sync`) fsyncs the file.
    private static func writeFile(_ bytes: [UInt8], to path: String, sync: Bool) throws(LogError) {
        let fd = retryingEINTR { systemOpen(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw LogError.io(operation: "open", path: path, errno: errno) }
        defer { _ = close(fd) }
        var failure: LogError?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .io(operation: "write", path: path, errno: errno)
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
        guard sync else { return }
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw LogError.io(operation: "fsync", path: path, errno: errno) }
    }

    /// The directory holding `path` ("." for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// `write(2)` under a name that does not clash with ``AtomicFile/write(_:to:)``.
@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
