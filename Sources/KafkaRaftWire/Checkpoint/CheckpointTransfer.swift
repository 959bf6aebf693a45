import KafkaRaft
import NIOCore

/// The sending side of FetchSnapshot: raw byte ranges of a complete snapshot, read with `pread`
/// (Kafka's `UnalignedRecords`: a chunk may end inside a batch).
public final class CheckpointChunkReader {
    public let snapshotID: OffsetAndEpoch
    public let path: String
    /// The file's size when opened; FetchSnapshot's `Size`.
    public let size: Int64
    private let file: CheckpointFile

    public init(directory: String, snapshotID: OffsetAndEpoch) throws(CheckpointError) {
        self.snapshotID = snapshotID
        self.path = CheckpointDirectory.path(of: snapshotID, in: directory)
        self.file = try CheckpointFile.openForReading(path)
        self.size = try file.size()
    }

    /// Up to `maxBytes` from `position`; empty at or past the end. A negative position is an error.
    public func read(position: Int64, maxBytes: Int) throws(CheckpointError) -> ByteBuffer {
        guard position >= 0, maxBytes >= 0 else {
            throw CheckpointError.corrupt(path: path, position: position, reason: "negative position or length")
        }
        guard position < size else { return ByteBuffer() }
        return try file.read(at: position, length: Int(min(Int64(maxBytes), size - position)))
    }
}

/// The receiving side of FetchSnapshot: chunks written at their positions into `<id>.checkpoint.part`;
/// ``finish(expectedSize:)`` checks the size and the whole content (as ``CheckpointReader``), syncs,
/// renames to `<id>.checkpoint` and syncs the directory. A failed check deletes the partial file.
public final class CheckpointChunkWriter {
    public let directory: String
    public let snapshotID: OffsetAndEpoch
    public let partialPath: String
    public let path: String
    private var file: CheckpointFile?
    /// One past the highest byte written so far.
    public private(set) var size: Int64 = 0

    public init(directory: String, snapshotID: OffsetAndEpoch) throws(CheckpointError) {
        self.directory = directory
        self.snapshotID = snapshotID
        self.partialPath = CheckpointFileSystem.join(directory, CheckpointFileName.partialName(snapshotID))
        self.path = CheckpointDirectory.path(of: snapshotID, in: directory)
        self.file = try CheckpointFile.create(partialPath)
    }

    /// Writes `chunk` at `position`.
    public func write(_ chunk: ByteBuffer, at position: Int64) throws(CheckpointError) {
        guard let file else { throw CheckpointError.closed(path: partialPath) }
        guard position >= 0 else { throw CheckpointError.corrupt(path: partialPath, position: position, reason: "negative position") }
        try file.write(chunk, at: position)
        size = max(size, position + Int64(chunk.readableBytes))
    }

    /// Validates, syncs and renames; returns the checked snapshot.
    @discardableResult
    public func finish(expectedSize: Int64) throws(CheckpointError) -> CheckpointReader {
        guard let file else { throw CheckpointError.closed(path: partialPath) }
        do throws(CheckpointError) {
            let actual = try file.size()
            guard actual == expectedSize else { throw CheckpointError.sizeMismatch(path: partialPath, expected: expectedSize, actual: actual) }
            let snapshot = try CheckpointReader(bytes: try file.readAll(), path: path)
            try file.sync()
            self.file = nil
            try CheckpointFileSystem.rename(partialPath, to: path)
            try CheckpointFileSystem.syncDirectory(directory)
            return snapshot
        } catch {
            abandon()
            throw error
        }
    }

    /// Closes and deletes the partial file.
    public func abandon() {
        file = nil
        try? CheckpointFileSystem.remove(partialPath)
    }
}
