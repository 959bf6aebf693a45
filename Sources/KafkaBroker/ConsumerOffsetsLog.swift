import KafkaGroups
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore

/// `__consumer_offsets` as Kafka lays it out: each coordinator record is a log record whose key and
/// value are Kafka's own key/value formats (a null value is a tombstone). Appends go through
/// `Partition.appendAsLeader` (origin: the coordinator) and are fsync'd before they return, and before the
/// high watermark covers them, so a group change is durable before any client hears of it.
///
/// The write and its fsync run on the node's blocking-I/O executor; the group coordinator keeps its
/// order (records durable before the next request sees the state they describe) by letting one request
/// at a time through its gate, the append's wait included.
struct ConsumerOffsetsLog: Sendable {
    static let topic = "__consumer_offsets"
    let replicas: ReplicaManager

    struct Unavailable: Error, CustomStringConvertible {
        var partition: Int32
        var description: String { "\(ConsumerOffsetsLog.topic)-\(partition) is not available on this broker" }
    }

    func append(_ records: [CoordinatorRecord], partition: Int32, now: Int64) async throws {
        guard !records.isEmpty else { return }
        try await replicas.io.run { try appendNow(records, partition: partition, now: now) }
    }

    /// The blocking part of `append`: write and fsync.
    private func appendNow(_ records: [CoordinatorRecord], partition: Int32, now: Int64) throws {
        guard let replica = replicas.replica(TopicPartition(Self.topic, partition)) else { throw Unavailable(partition: partition) }
        var builder = RecordBatchBuilder()
        for r in records { builder.append(timestamp: now, key: r.key, value: r.value, headers: []) }
        let batch = try builder.build()
        let append = try replica.appendAsLeader(batch.bytes, origin: .coordinator, decompressionLimit: 0, now: now).result.get()
        if let pending = append.pendingFlush { try replica.flush(pending, now: now) }
    }

    /// Every record of a partition, in log order.
    func readAll(partition: Int32) throws -> [CoordinatorRecord] {
        guard let replica = replicas.replica(TopicPartition(Self.topic, partition)) else { throw Unavailable(partition: partition) }
        return try replica.withLog { log -> [CoordinatorRecord] in
            var out: [CoordinatorRecord] = []
            try log.forEachRecord { _, _, record in
                if let key = record.key { out.append(CoordinatorRecord(key: key, value: record.value)) }
            }
            return out
        }
    }
}
