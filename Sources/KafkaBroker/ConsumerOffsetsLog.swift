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
/// The fsync runs on the group coordinator's actor, as before: the coordinator's order (records durable
/// before the next request sees the state they describe) relies on the append finishing before the actor
/// takes its next message, and an `await` on the blocking-I/O executor would let the actor interleave.
struct ConsumerOffsetsLog: Sendable {
    static let topic = "__consumer_offsets"
    let replicas: ReplicaManager

    struct Unavailable: Error, CustomStringConvertible {
        var partition: Int32
        var description: String { "\(ConsumerOffsetsLog.topic)-\(partition) is not available on this broker" }
    }

    func append(_ records: [CoordinatorRecord], partition: Int32, now: Int64) throws {
        guard !records.isEmpty else { return }
        guard let replica = replicas.replica(TopicPartition(Self.topic, partition)) else { throw Unavailable(partition: partition) }
        var builder = RecordBatchBuilder()
        for r in records { builder.append(timestamp: now, key: r.key, value: r.value, headers: []) }
        let batch = try builder.build()
        let append = try replica.appendAsLeader(batch.bytes, origin: .coordinator, decompressionLimit: 0, now: now).result.get()
        guard let pending = append.pendingFlush else { return }
        do {
            try pending.perform()
        } catch {
            replica.failFlush(error)
            throw error
        }
        replica.completeFlush(pending, now: now)
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
