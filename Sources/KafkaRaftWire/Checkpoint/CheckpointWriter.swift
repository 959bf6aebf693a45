import KafkaProtocol
import KafkaRaft
import KafkaRecords
import NIOCore

/// Writes one snapshot as Kafka's `RecordsSnapshotWriter` lays it out, into `<id>.checkpoint.part`,
/// renamed to `<id>.checkpoint` by ``finish()`` once synced:
///
///     offset 0       control batch: SnapshotHeaderRecord (version 0, LastContainedLogTimestamp),
///                    then any extra control records given (KRaftVersionRecord, VotersRecord)
///     offset n...    data batches: records with a null key and a metadata record frame as value,
///                    each batch at most `maxBatchBytes` (a single larger record gets a batch of its own)
///     last offset    control batch: SnapshotFooterRecord (version 0)
///
/// Offsets run on from 0 across the batches; every batch carries partitionLeaderEpoch = the snapshot's
/// epoch, no compression, CreateTime `now`, producer id/epoch/sequence -1.
///
/// Not thread-safe: one writer, one caller.
public final class CheckpointWriter {
    public let directory: String
    public let snapshotID: OffsetAndEpoch
    public let maxBatchBytes: Int
    /// The file while it is written.
    public let partialPath: String
    /// Where ``finish()`` puts it.
    public let path: String

    private let now: Int64
    private var file: CheckpointFile?
    private var position: Int64 = 0
    private var nextOffset: Int64 = 0
    private var pending = RecordBatchBuilder()
    private var pendingBytes = RecordBatchHeader.size

    /// Kafka's KRaft batch limit (`KafkaRaftClient.MAX_BATCH_SIZE_BYTES`).
    public static let defaultMaxBatchBytes = 8 * 1024 * 1024

    private init(directory: String, snapshotID: OffsetAndEpoch, maxBatchBytes: Int, now: Int64, file: CheckpointFile) {
        self.directory = directory
        self.snapshotID = snapshotID
        self.maxBatchBytes = maxBatchBytes
        self.now = now
        self.file = file
        self.partialPath = file.path
        self.path = CheckpointFileSystem.join(directory, CheckpointFileName.name(snapshotID))
    }

    /// Creates `<id>.checkpoint.part` in `directory` (replacing a stale one) and writes the header batch.
    public static func create(
        directory: String, snapshotID: OffsetAndEpoch, lastContainedLogTimestamp: Int64, now: Int64,
        controlRecords: [KRaftControlRecord] = [], maxBatchBytes: Int = defaultMaxBatchBytes
    ) throws -> CheckpointWriter {
        guard snapshotID.offset >= 0, snapshotID.epoch >= 0 else {
            throw CheckpointError.invalidName(CheckpointFileName.stem(snapshotID))
        }
        let file = try CheckpointFile.create(CheckpointFileSystem.join(directory, CheckpointFileName.partialName(snapshotID)))
        let writer = CheckpointWriter(directory: directory, snapshotID: snapshotID, maxBatchBytes: maxBatchBytes, now: now, file: file)
        do {
            let header = SnapshotHeaderRecord(version: 0, lastContainedLogTimestamp: lastContainedLogTimestamp)
            try writer.writeControl([.snapshotHeader(header)] + controlRecords)
        } catch {
            writer.abandon()
            throw error
        }
        return writer
    }

    /// Appends record values (metadata record frames), batching them.
    public func append(_ values: [[UInt8]]) throws {
        for value in values { try append(value: value) }
    }

    public func append(_ values: [ByteBuffer]) throws {
        for value in values { try append(value: Array(value.readableBytesView)) }
    }

    private func append(value: [UInt8]) throws {
        guard file != nil else { throw CheckpointError.closed(path: partialPath) }
        let size = Record(offsetDelta: Int32(pending.count), key: nil, value: value).encodedSize
        if pending.count > 0 && pendingBytes + size > maxBatchBytes { try flushPending() }
        pending.append(timestamp: now, key: nil, value: value)
        pendingBytes += size
    }

    /// Writes the pending data batch and the footer, syncs the file, renames it to `<id>.checkpoint` and
    /// syncs the directory. Returns the final path.
    @discardableResult
    public func finish() throws -> String {
        guard file != nil else { throw CheckpointError.closed(path: partialPath) }
        do {
            try flushPending()
            try writeControl([.snapshotFooter(SnapshotFooterRecord(version: 0))])
            try file?.sync()
            file = nil
            try CheckpointFileSystem.rename(partialPath, to: path)
            try CheckpointFileSystem.syncDirectory(directory)
        } catch {
            abandon()
            throw error
        }
        return path
    }

    /// Closes and deletes the partial file; nothing of the snapshot remains. Safe to call more than once.
    public func abandon() {
        file = nil
        try? CheckpointFileSystem.remove(partialPath)
    }

    /// Bytes written so far.
    public var sizeInBytes: Int64 { position }

    private func flushPending() throws {
        guard pending.count > 0 else { return }
        pending.baseOffset = nextOffset
        pending.partitionLeaderEpoch = snapshotID.epoch
        try write(try pending.build())
        pending = RecordBatchBuilder()
        pendingBytes = RecordBatchHeader.size
    }

    private func writeControl(_ records: [KRaftControlRecord]) throws {
        try write(try KRaftControlRecord.batch(records, baseOffset: nextOffset, partitionLeaderEpoch: snapshotID.epoch, timestamp: now))
    }

    private func write(_ batch: RecordBatch) throws {
        guard let file else { throw CheckpointError.closed(path: partialPath) }
        try file.write(batch.bytes, at: position)
        position += Int64(batch.bytes.readableBytes)
        nextOffset = batch.header.nextOffset
    }
}
