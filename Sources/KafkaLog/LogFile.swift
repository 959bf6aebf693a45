#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An open file of a log: a descriptor and its path, doing positioned I/O (`pread`/`pwrite`) only, so
/// the kernel file offset is never used and reads may happen from any thread.
///
/// The descriptor is closed when the last reference goes away, never explicitly: a ``LogFileRange`` handed
/// to a network writer (for `sendfile`) keeps it open and readable even if the segment is deleted, the
/// log closed or the segment's file evicted from the ``LogFileCache`` meanwhile. Truncation, in contrast,
/// is visible to such readers, who then read short.
public final class LogFile: Sendable {
    public let path: String
    public let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { _ = close(descriptor) }

    /// Opens `path` read-write; creates it (empty) when `create` is set and it does not exist, and
    /// empties it when `truncate` is set.
    public static func open(_ path: String, create: Bool, truncate: Bool = false) throws(LogError) -> LogFile {
        var flags = O_RDWR | O_CLOEXEC
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        let fd = retryingEINTR { systemOpen(path, flags, 0o644) }
        guard fd >= 0 else { throw LogError.io(operation: "open", path: path, errno: errno) }
        return LogFile(path: path, descriptor: fd)
    }

    /// The file's current size in bytes.
    public func size() throws(LogError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw LogError.io(operation: "fstat", path: path, errno: errno) }
        return Int64(info.st_size)
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(LogError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io(operation: "pwrite", path: path, errno: errno)
            }
            done += n
        }
    }

    /// Writes the buffer's readable bytes at `offset`.
    public func write(_ buffer: ByteBuffer, at offset: Int64) throws(LogError) {
        let result: Result<Void, LogError> = buffer.withUnsafeReadableBytes { raw in
            do throws(LogError) {
                try write(raw, at: offset)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws(LogError) {
        let result: Result<Void, LogError> = bytes.withUnsafeBytes { raw in
            do throws(LogError) {
                try write(raw, at: offset)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Writes the buffers' readable bytes back to back from `offset` with `pwritev` (up to 64 buffers
    /// a call), so pieces such as a patched batch header and the untouched rest of the batch reach the
    /// file without first being copied together.
    func write(_ buffers: [ByteBuffer], at offset: Int64) throws(LogError) {
        var rest = buffers.filter { $0.readableBytes > 0 }[...]
        var position = offset
        while !rest.isEmpty {
            let group = Array(rest.prefix(64))
            var n = pwritev(group, at: position)
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io(operation: "pwritev", path: path, errno: errno)
            }
            position += Int64(n)
            while n > 0, var first = rest.first {
                if first.readableBytes <= n {
                    n -= first.readableBytes
                    rest.removeFirst()
                } else {
                    first.moveReaderIndex(forwardBy: n)
                    rest[rest.startIndex] = first
                    n = 0
                }
            }
        }
    }

    /// One `pwritev` of `buffers` (their storage pinned for the call by nesting the pointer scopes).
    private func pwritev(_ buffers: [ByteBuffer], at position: Int64) -> Int {
        var vectors: [iovec] = []
        vectors.reserveCapacity(buffers.count)
        func collect(_ i: Int) -> Int {
            guard i < buffers.count else {
                return vectors.withUnsafeBufferPointer { v in
                    #if canImport(Glibc)
                    Glibc.pwritev(descriptor, v.baseAddress, Int32(v.count), off_t(position))
                    #else
                    Darwin.pwritev(descriptor, v.baseAddress, Int32(v.count), off_t(position))
                    #endif
                }
            }
            return buffers[i].withUnsafeReadableBytes { raw in
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
                return collect(i + 1)
            }
        }
        return collect(0)
    }

    /// Reads up to `length` bytes at `offset`, appending them to `buffer`; fewer only at the end of the
    /// file. Returns how many were read.
    @discardableResult
    public func read(into buffer: inout ByteBuffer, at offset: Int64, length: Int) throws(LogError) -> Int {
        guard length > 0 else { return 0 }
        var failure: Int32 = 0
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
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
        if failure != 0 { throw LogError.io(operation: "pread", path: path, errno: failure) }
        return count
    }

    /// Reads exactly `length` bytes at `offset`, or nil when the file ends first.
    func read(at offset: Int64, length: Int) throws(LogError) -> ByteBuffer? {
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        let count = try read(into: &buffer, at: offset, length: length)
        return count == length ? buffer : nil
    }

    /// Reads the whole file.
    public func readAll() throws(LogError) -> ByteBuffer {
        let size = try self.size()
        var buffer = ByteBufferAllocator().buffer(capacity: Int(size))
        try read(into: &buffer, at: 0, length: Int(size))
        return buffer
    }

    /// Makes written data durable: `fdatasync` (file size included) on Linux, `fsync` elsewhere.
    public func sync() throws(LogError) {
        #if os(Linux)
        let rc = retryingEINTR { fdatasync(descriptor) }
        #else
        let rc = retryingEINTR { fsync(descriptor) }
        #endif
        guard rc == 0 else { throw LogError.io(operation: "fsync", path: path, errno: errno) }
    }

    /// Cuts (or extends with zeros) the file to `size` bytes.
    public func truncate(to size: Int64) throws(LogError) {
        let rc = retryingEINTR { ftruncate(descriptor, off_t(size)) }
        guard rc == 0 else { throw LogError.io(operation: "ftruncate", path: path, errno: errno) }
    }
}

/// `open(2)` under a name that does not clash with ``LogFile/open(_:create:)``.
@inline(__always)
func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

/// Repeats a system call while it fails with EINTR.
@inline(__always)
func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}
