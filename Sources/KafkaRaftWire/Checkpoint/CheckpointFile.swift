import KafkaLog
import NIOCore

/// An open snapshot file: KafkaLog's positioned file I/O (`LogFile`: `pread`/`pwrite`, never the
/// kernel file offset) with its errors reported as `CheckpointError`.
final class CheckpointFile {
    private let file: LogFile
    var path: String { file.path }

    private init(_ file: LogFile) {
        self.file = file
    }

    static func openForReading(_ path: String) throws(CheckpointError) -> CheckpointFile {
        try checked { () throws(LogError) in CheckpointFile(try LogFile.open(path, create: false)) }
    }

    /// Creates (or empties) for writing.
    static func create(_ path: String) throws(CheckpointError) -> CheckpointFile {
        try checked { () throws(LogError) in
            let file = try LogFile.open(path, create: true)
            try file.truncate(to: 0)
            return CheckpointFile(file)
        }
    }

    func size() throws(CheckpointError) -> Int64 {
        try Self.checked { () throws(LogError) in try file.size() }
    }

    /// Writes all readable bytes of `buffer` at `offset`.
    func write(_ buffer: ByteBuffer, at offset: Int64) throws(CheckpointError) {
        try Self.checked { () throws(LogError) in try file.write(buffer, at: offset) }
    }

    /// Up to `length` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int64, length: Int) throws(CheckpointError) -> ByteBuffer {
        try Self.checked { () throws(LogError) in
            var buffer = ByteBufferAllocator().buffer(capacity: max(0, length))
            try file.read(into: &buffer, at: offset, length: length)
            return buffer
        }
    }

    /// The whole file.
    func readAll() throws(CheckpointError) -> ByteBuffer {
        try Self.checked { () throws(LogError) in try file.readAll() }
    }

    /// Makes the written bytes durable.
    func sync() throws(CheckpointError) {
        try Self.checked { () throws(LogError) in try file.sync() }
    }

    static func checked<T>(_ body: () throws(LogError) -> T) throws(CheckpointError) -> T {
        do {
            return try body()
        } catch {
            throw CheckpointError(error)
        }
    }
}

/// The directory operations snapshots need: KafkaLog's `FileSystem`, with `CheckpointError`s.
enum CheckpointFileSystem {
    static func join(_ directory: String, _ name: String) -> String { FileSystem.join(directory, name) }

    /// The names in a directory, without "." and "..".
    static func list(_ path: String) throws(CheckpointError) -> [String] {
        try CheckpointFile.checked { () throws(LogError) in try FileSystem.list(path) }
    }

    static func exists(_ path: String) -> Bool { FileSystem.exists(path) }

    /// Removes a file; a missing one is not an error.
    static func remove(_ path: String) throws(CheckpointError) {
        try CheckpointFile.checked { () throws(LogError) in try FileSystem.remove(path) }
    }

    static func rename(_ from: String, to: String) throws(CheckpointError) {
        try CheckpointFile.checked { () throws(LogError) in try FileSystem.rename(from, to: to) }
    }

    /// Makes a directory's entries (created, renamed, removed files) durable.
    static func syncDirectory(_ path: String) throws(CheckpointError) {
        try CheckpointFile.checked { () throws(LogError) in try FileSystem.syncDirectory(path) }
    }
}

extension CheckpointError {
    /// A file-system failure as KafkaLog reports it.
    init(_ error: LogError) {
        if case let .io(operation, path, errno) = error {
            self = .io(operation: operation, path: path, errno: errno)
        } else {
            self = .io(operation: "\(error)", path: "", errno: 0)
        }
    }
}
