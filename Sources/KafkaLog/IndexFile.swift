#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A segment's `.index` or `.timeindex` on disk, read and written whole and in passing: opened, read or
/// written (and fsync'd when asked), closed before returning. So index files hold no descriptor; their
/// entries live in memory (``OffsetIndex``, ``TimeIndex``), and the segment decides when the files must
/// match them (see ``LogSegment/IndexFilesState``).
enum IndexFile {
    /// The file's bytes, or nil when it does not exist.
    static func read(_ path: String) throws(LogError) -> [UInt8]? {
        let file: LogFile
        do throws(LogError) {
            file = try LogFile.open(path, create: false)
        } catch {
            if case let .io(_, _, code) = error, code == ENOENT { return nil }
            throw error
        }
        return Array(buffer: try file.readAll())
    }

    /// Replaces the file's content with `bytes` (creating it if needed), then fsyncs it when `sync` is set.
    /// Written in place, as Kafka does: a crash midway leaves a file that recovery rebuilds or that
    /// fails the sanity checks of ``OffsetIndex/init(decoding:baseOffset:maxEntries:logSize:)``.
    static func write(_ bytes: [UInt8], to path: String, sync: Bool) throws(LogError) {
        let file = try LogFile.open(path, create: true, truncate: true)
        try file.write(bytes, at: 0)
        if sync { try file.sync() }
    }

    /// Appends `bytes` at the end of the file (creating it if needed); nothing is fsync'd.
    static func append(_ bytes: [UInt8], to path: String) throws(LogError) {
        let file = try LogFile.open(path, create: true)
        try file.write(bytes, at: try file.size())
    }

    /// fsyncs the file as it is.
    static func sync(_ path: String) throws(LogError) {
        try LogFile.open(path, create: false).sync()
    }
}
