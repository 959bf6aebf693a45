#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory operations the log needs, over POSIX calls. Paths are plain strings joined with "/".
public enum FileSystem {
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Last modification time of `path`, in milliseconds since the epoch (no descriptor is opened).
    static func modificationTimeMillis(_ path: String) throws(LogError) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw LogError.io(operation: "stat", path: path, errno: errno) }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` if missing. Returns true when it created it (then the parent should be synced).
    @discardableResult
    static func createDirectory(_ path: String) throws(LogError) -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST, isDirectory(path) { return false }
        throw LogError.io(operation: "mkdir", path: path, errno: errno)
    }

    /// The names in a directory, without "." and "..".
    public static func list(_ path: String) throws(LogError) -> [String] {
        guard let dir = opendir(path) else { throw LogError.io(operation: "opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws(LogError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw LogError.io(operation: "unlink", path: path, errno: errno) }
    }

    public static func rename(_ from: String, to: String) throws(LogError) {
        guard systemRename(from, to) == 0 else { throw LogError.io(operation: "rename", path: from, errno: errno) }
    }

    /// Creates `path` empty if it does not exist; nothing is fsync'd.
    static func createEmptyFile(_ path: String) throws(LogError) {
        let fd = retryingEINTR { systemOpen(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw LogError.io(operation: "open", path: path, errno: errno) }
        _ = close(fd)
    }

    /// Makes a directory's entries (created, renamed, removed files) durable.
    public static func syncDirectory(_ path: String) throws(LogError) {
        let fd = retryingEINTR { systemOpen(path, O_RDONLY | O_CLOEXEC, 0) }
        guard fd >= 0 else { throw LogError.io(operation: "open", path: path, errno: errno) }
        defer { _ = close(fd) }
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw LogError.io(operation: "fsync", path: path, errno: errno) }
    }

    /// Removes whatever `path` names (a directory with everything in it, or a file); false when nothing
    /// is there.
    static func removeEntry(_ path: String) throws(LogError) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return false }
            throw LogError.io(operation: "lstat", path: path, errno: errno)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { try removeTree(path) } else { try remove(path) }
        return true
    }

    /// Removes a directory and everything in it.
    static func removeTree(_ path: String) throws(LogError) {
        for name in try list(path) {
            let child = join(path, name)
            var info = stat()
            if lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                try removeTree(child)
            } else {
                try remove(child)
            }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw LogError.io(operation: "rmdir", path: path, errno: errno) }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func readFile(_ path: String) throws(LogError) -> [UInt8]? {
        let fd = retryingEINTR { systemOpen(path, O_RDONLY | O_CLOEXEC, 0) }
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw LogError.io(operation: "open", path: path, errno: errno)
        }
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<n])
        }
    }
}

/// `rename(2)` under a name that does not clash with ``FileSystem/rename(_:to:)``.
@inline(__always)
private func systemRename(_ from: String, _ to: String) -> Int32 {
    rename(from, to)
}
