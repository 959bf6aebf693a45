import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import Logging
import NIOCore

/// `__cluster_metadata-0` as Kafka lays it out: a partition log whose batches carry metadata
/// records (null key, value in Kafka's record frame), each batch written at the Raft epoch in its
/// partition leader epoch field. An append is fsync'd before it returns: with one voter, durable
/// is committed.
public final class ClusterMetadataLog: MetadataLogStore, @unchecked Sendable {
    public static let topic = "__cluster_metadata"
    private let log: PartitionLog

    public init(logDirectory: String, logger: Logger, now: Int64) throws {
        // Kafka keeps metadata segments small and forever; retention comes with snapshots.
        let config = LogConfig(segmentBytes: 8 << 20, retentionMs: -1, maxMessageBytes: 8 << 20)
        log = try PartitionLog.open(logDirectory: logDirectory, topic: Self.topic, partition: 0, config: config, now: now, logger: logger)
    }

    public var logEndOffset: Int64 { log.logEndOffset }

    public func append(_ records: [MetadataRecordAndVersion], epoch: Int32, now: Int64) throws -> Int64 {
        var builder = RecordBatchBuilder()
        builder.partitionLeaderEpoch = epoch
        for r in records {
            let value = try MetadataRecordSerde.encode(r)
            builder.append(timestamp: now, key: nil, value: Array(value.readableBytesView))
        }
        let batch = try builder.build()
        let info = try log.append(batch.bytes, leaderEpoch: epoch, now: now)
        try log.flush(now: now)
        log.updateHighWatermark(log.logEndOffset)
        return info.lastOffset
    }

    public func readAll() throws -> [(offset: Int64, epoch: Int32, record: MetadataRecordAndVersion)] {
        var out: [(Int64, Int32, MetadataRecordAndVersion)] = []
        try log.forEachRecord { offset, epoch, record in
            guard let value = record.value else { return }
            out.append((offset, epoch, try MetadataRecordSerde.decode(ByteBuffer(bytes: value))))
        }
        return out
    }

    public func close() throws {
        try log.close()
    }
}
