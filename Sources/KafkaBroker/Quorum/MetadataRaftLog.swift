import Foundation
import KafkaLog
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import Logging

/// The durable side of the quorum's log: `__cluster_metadata-0` as a Kafka partition log whose
/// batches hold the Raft entries (`RaftEntryBatches` format), each written at its epoch.
///
/// Invariant: the core's `MemoryRaftLog` view and this file agree entry for entry. `load()` rebuilds the
/// view at start; afterwards every `appendToLog` / `truncateLog` action is mirrored here in order, and
/// `flush(upTo:)` makes a prefix durable before the core counts it.
///
/// The log is held by a `Partition`: entries are written through its `appendAsLeader` (origin: the quorum)
/// and the quorum's commits move its high watermark. The core assigns offsets itself, as leader and as
/// follower alike, so every entry is appended at the log end offset, which must equal the core's offset.
/// These calls block on the quorum's actor, as before: the core's order (a flush reported as
/// `persisted` before the next input) relies on them finishing before the actor's next message.
final class MetadataRaftLog: @unchecked Sendable {
    static let topic = "__cluster_metadata"
    /// Kafka's fixed topic id of `__cluster_metadata` (`Uuid.METADATA_TOPIC_ID`).
    static let topicID = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1)
    let partition: Partition
    let directory: String

    init(logDirectory: String, logger: Logger, now: Int64) throws {
        // Kafka keeps metadata segments small; retention behind snapshots is done by the quorum.
        let config = LogConfig(segmentBytes: 8 << 20, retentionMs: -1, maxMessageBytes: 8 << 20)
        let log = try PartitionLog.open(logDirectory: logDirectory, topic: Self.topic, partition: 0, config: config, now: now, logger: logger)
        directory = log.directory
        partition = Partition(topicPartition: TopicPartition(Self.topic, 0), topicID: Self.topicID, logDirectory: logDirectory,
                              log: log, settings: .internalOnly, leaderEpoch: 0)
    }

    /// The core's view at start: the latest `.checkpoint` (partial ones are deleted) and the entries
    /// after it. A log that ends before the snapshot (a crash during an install) restarts at the
    /// snapshot; entries the snapshot covers are left on disk until the next `deleteLogPrefix`.
    func load(now: Int64, logger: Logger) throws -> (log: MemoryRaftLog, snapshot: OffsetAndEpoch?) {
        for leftover in try CheckpointDirectory.removeLeftovers(in: directory) {
            logger.info("removed a partial metadata snapshot", metadata: ["file": "\(leftover)"])
        }
        let snapshot = try CheckpointDirectory.latest(in: directory)
        return try partition.withLog { log in try load(log, snapshot: snapshot, now: now, logger: logger) }
    }

    private func load(_ log: PartitionLog, snapshot: OffsetAndEpoch?, now: Int64, logger: Logger) throws
        -> (log: MemoryRaftLog, snapshot: OffsetAndEpoch?) {
        var from = log.logStartOffset
        var snapshotBytes: [UInt8] = []
        if let snapshot {
            snapshotBytes = try Self.readWholeFile(CheckpointDirectory.path(of: snapshot, in: directory))
            if log.logEndOffset < snapshot.offset || log.logStartOffset > snapshot.offset {
                try log.truncateFullyAndStart(at: snapshot.offset, now: now)
            }
            from = snapshot.offset
        }
        var entries: [RaftEntry] = []
        var offset = from
        while offset < log.logEndOffset {
            let data = try log.read(fetchOffset: offset, maxBytes: 8 << 20, minOneBatch: true)
            guard let range = data.records else { break }
            let decoded = try RaftEntryBatches.decode(try range.readBytes())
            guard !decoded.entries.isEmpty, decoded.baseOffset <= offset else { break }
            let skip = Int(offset - decoded.baseOffset)
            guard skip < decoded.entries.count else { break }
            entries += decoded.entries[skip...]
            offset = decoded.baseOffset + Int64(decoded.entries.count)
        }
        if offset < log.logEndOffset {
            // What could not be read as entries is dropped, so the core's view and the file agree.
            logger.warning("the metadata log has unreadable entries at its end; truncating them",
                           metadata: ["raft.offset": "\(offset)", "log.end_offset": "\(log.logEndOffset)"])
            try log.truncate(to: offset, now: now)
        }
        if let snapshot {
            return (MemoryRaftLog(snapshot: (snapshot, snapshotBytes), entries: entries), snapshot)
        }
        return (MemoryRaftLog(entries: entries), nil)
    }

    static func readWholeFile(_ path: String) throws(StorageError) -> [UInt8] {
        let bytes: [UInt8]?
        do throws(LogError) { bytes = try FileSystem.readFile(path) } catch { throw .unreadableFile(path: path, error) }
        guard let bytes else { throw .missingFile(path: path) }
        return bytes
    }

    /// Raises the log start offset to a snapshot's end, deleting segments entirely below it.
    func deletePrefix(before offset: Int64, now: Int64) throws {
        guard offset > partition.logStartOffset else { return }
        // A snapshot covers everything below `offset`: committed.
        partition.maybeIncrementHighWatermark(offset)
        try partition.withLog { log in
            if offset > log.logEndOffset {
                try log.truncateFullyAndStart(at: offset, now: now)
            } else {
                try log.deleteRecords(before: offset)
            }
        }
    }

    func restart(at offset: Int64, now: Int64) throws {
        try partition.withLog { try $0.truncateFullyAndStart(at: offset, now: now) }
    }

    var logEndOffset: Int64 { partition.logEndOffset }

    func append(_ entries: [RaftEntry], baseOffset: Int64, codec: RaftEntryBatches, now: Int64) throws {
        let end = partition.logEndOffset
        precondition(baseOffset == end, "metadata log append at \(baseOffset), log end offset \(end)")
        for (epoch, batch) in try codec.encode(entries, baseOffset: baseOffset, now: now) {
            _ = try partition.appendAsLeader(batch, origin: .raftLeader, decompressionLimit: 0, now: now, leaderEpoch: epoch).result.get()
        }
    }

    func truncate(to offset: Int64, now: Int64) throws {
        try partition.withLog { try $0.truncate(to: offset, now: now) }
    }

    func flush(now: Int64) throws {
        try partition.withLog { try $0.flush(now: now) }
    }

    /// The quorum committed everything below `offset`.
    func updateHighWatermark(_ offset: Int64) {
        partition.maybeIncrementHighWatermark(offset)
    }

    func close() throws {
        try partition.withLog { try $0.close() }
    }
}
