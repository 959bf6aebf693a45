import KafkaLog
import KafkaRaft
import KafkaRaftWire
import Logging

/// The durable side of the quorum's log: `__cluster_metadata-0` as a Kafka partition log whose
/// batches hold the Raft entries (`RaftEntryBatches` format), each written at its epoch.
///
/// Invariant: the core's `MemoryRaftLog` view and this file agree entry for entry. `load()` rebuilds the
/// view at start; afterwards every `appendToLog` / `truncateLog` action is mirrored here in order, and
/// `flush(upTo:)` makes a prefix durable before the core counts it.
final class MetadataRaftLog: @unchecked Sendable {
    static let topic = "__cluster_metadata"
    let log: PartitionLog
    let directory: String

    init(logDirectory: String, logger: Logger, now: Int64) throws {
        // Kafka keeps metadata segments small; retention behind snapshots is done by the quorum.
        let config = LogConfig(segmentBytes: 8 << 20, retentionMs: -1, maxMessageBytes: 8 << 20)
        log = try PartitionLog.open(logDirectory: logDirectory, topic: Self.topic, partition: 0, config: config, now: now, logger: logger)
        directory = log.directory
    }

    /// Every entry in the file, for the core's view at start.
    func load() throws -> MemoryRaftLog {
        var entries: [RaftEntry] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let data = try log.read(fetchOffset: offset, maxBytes: 8 << 20, minOneBatch: true)
            guard let range = data.records else { break }
            let decoded = try RaftEntryBatches.decode(try range.readBytes())
            guard decoded.baseOffset == offset || entries.isEmpty, !decoded.entries.isEmpty else { break }
            entries += decoded.entries
            offset = decoded.baseOffset + Int64(decoded.entries.count)
        }
        return MemoryRaftLog(entries: entries)
    }

    var logEndOffset: Int64 { log.logEndOffset }

    func append(_ entries: [RaftEntry], baseOffset: Int64, codec: RaftEntryBatches, now: Int64) throws {
        precondition(baseOffset == log.logEndOffset, "metadata log append at \(baseOffset), log end offset \(log.logEndOffset)")
        for (epoch, batch) in try codec.encode(entries, baseOffset: baseOffset, now: now) {
            _ = try log.append(batch, leaderEpoch: epoch, now: now, crcVerified: true, allowControlBatches: true)
        }
    }

    func truncate(to offset: Int64, now: Int64) throws {
        try log.truncate(to: offset, now: now)
    }

    func flush(now: Int64) throws {
        try log.flush(now: now)
    }

    func updateHighWatermark(_ offset: Int64) {
        log.updateHighWatermark(min(offset, log.logEndOffset))
    }

    func close() throws {
        try log.close()
    }
}
