#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An open snapshot file doing positioned I/O only (`pread`/`pwrite`), so the kernel file offset is never
/// used. The descriptor closes when the last reference goes away.
final class CheckpointFile {
    let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { _ = close(descriptor) }

    /// Opens for reading.
    static func openForReading(_ path: String) throws(CheckpointError) -> CheckpointFile {
        try open(path, flags: O_RDONLY | O_CLOEXEC)
    }

    /// Creates (or truncates) for writing.
    static func create(_ path: String) throws(CheckpointError) -> CheckpointFile {
        try open(path, flags: O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC)
    }

    private static func open(_ path: String, flags: Int32) throws(CheckpointError) -> CheckpointFile {
        let fd = CheckpointFileSystem.retryingEINTR { CheckpointFileSystem.systemOpen(path, flags, 0o644) }
        guard fd >= 0 else { throw CheckpointError.io(operation: "open", path: path, errno: errno) }
        return CheckpointFile(path: path, descriptor: fd)
    }

    func size() throws(CheckpointError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CheckpointError.io(operation: "fstat", path: path, errno: errno) }
        return Int64(info.st_size)
    }

    /// Writes all readable bytes of `buffer` at `offset`.
    func write(_ buffer: ByteBuffer, at offset: Int64) throws(CheckpointError) {
        let failure: Int32 = buffer.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + Int64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
        if failure != 0 { throw CheckpointError.io(operation: "pwrite", path: path, errno: failure) }
    }

    /// Up to `length` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int64, length: Int) throws(CheckpointError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: max(0, length))
        guard length > 0 else { return buffer }
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            var done = 0
            while done < length {
                let n = pread(descriptor, raw.baseAddress! + done, length - done, off_t(offset + Int64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return done
                }
                if n == 0 { break }
                done += n
            }
            return done
        }
        if failure != 0 { throw CheckpointError.io(operation: "pread", path: path, errno: failure) }
        return buffer
    }

    /// The whole file.
    func readAll() throws(CheckpointError) -> ByteBuffer {
        try read(at: 0, length: Int(try size()))
    }

    /// Makes the written bytes durable.
    func sync() throws(CheckpointError) {
        guard CheckpointFileSystem.retryingEINTR({ fsync(descriptor) }) == 0 else {
            throw CheckpointError.io(operation: "fsync", path: path, errno: errno)
        }
    }
}

/// The directory operations snapshots need, over POSIX calls.
enum CheckpointFileSystem {
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The names in a directory, without "." and "..".
    static func list(_ path: String) throws(CheckpointError) -> [String] {
        guard let dir = opendir(path) else { throw CheckpointError.io(operation: "opendir", path: path, errno: errno) }
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

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Removes a file; a missing one is not an error.
    static func remove(_ path: String) throws(CheckpointError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw CheckpointError.io(operation: "unlink", path: path, errno: errno) }
    }

    static func rename(_ from: String, to: String) throws(CheckpointError) {
        guard systemRename(from, to) == 0 else { throw CheckpointError.io(operation: "rename", path: from, errno: errno) }
    }

    /// Makes a directory's entries (created, renamed, removed files) durable.
    static func syncDirectory(_ path: String) throws(CheckpointError) {
        let fd = retryingEINTR { systemOpen(path, O_RDONLY | O_CLOEXEC, 0) }
        guard fd >= 0 else { throw CheckpointError.io(operation: "open", path: path, errno: errno) }
        defer { _ = close(fd) }
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw CheckpointError.io(operation: "fsync", path: path, errno: errno) }
    }

    @inline(__always)
    static func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
        open(path, flags, mode)
    }

    @inline(__always)
    static func systemRename(_ from: String, _ to: String) -> Int32 {
        #if canImport(Glibc)
        Glibc.rename(from, to)
        #else
        Darwin.rename(from, to)
        #endif
    }

    static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }
}
