import KafkaGroups
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore

/// `__consumer_offsets` as Kafka lays it out: each coordinator record is a log record whose key and
/// value are Kafka's own key/value formats (a null value is a tombstone).
///
/// The group coordinator writes only to partitions this node leads, under the leader epoch it loaded
/// them in: ``append(_:partition:leaderEpoch:now:)`` goes through `Partition.appendAsLeader` (origin: the
/// coordinator), which refuses any other leadership with NOT_LEADER_OR_FOLLOWER, and is fsync'd before it
/// returns. The records count as written once the partition's high watermark covers them, that is once
/// every ISR member has them (``waitUntilCommitted(partition:offset:leaderEpoch:timeoutMs:clock:)``):
/// Kafka's coordinator runtime appends with acks=1 and answers once the high watermark passes the
/// append, without looking at `min.insync.replicas`.
///
/// The write, its fsync and the reads of a load run on the node's blocking-I/O executor.
struct ConsumerOffsetsLog: Sendable {
    static let topic = "__consumer_offsets"
    let replicas: ReplicaManager

    struct Unavailable: Error, CustomStringConvertible {
        var partition: Int32
        var description: String { "\(ConsumerOffsetsLog.topic)-\(partition) is not available on this broker" }
    }

    /// An append the partition refused or could not make durable, with the partition's error code
    /// (NOT_LEADER_OR_FOLLOWER when this node no longer leads under the epoch, KAFKA_STORAGE_ERROR, …).
    struct AppendFailure: Error, CustomStringConvertible {
        var code: ErrorCode
        var message: String
        var description: String { "\(code): \(message)" }
    }

    /// What a load read: every record of the partition in log order, and the log end offset after them.
    struct Loaded: Sendable {
        var records: [CoordinatorRecord]
        var logEndOffset: Int64
    }

    /// Appends `records` as one batch while this node leads `partition` under `leaderEpoch`, and makes
    /// them durable; returns the log end offset after them (what the high watermark must reach).
    func append(_ records: [CoordinatorRecord], partition: Int32, leaderEpoch: Int32, now: Int64) async throws -> Int64 {
        try await replicas.io.run { try appendNow(records, partition: partition, leaderEpoch: leaderEpoch, now: now) }
    }

    /// The blocking part of `append`: write and fsync.
    private func appendNow(_ records: [CoordinatorRecord], partition: Int32, leaderEpoch: Int32, now: Int64) throws -> Int64 {
        guard let replica = replicas.replica(TopicPartition(Self.topic, partition)) else {
            throw AppendFailure(code: .notLeaderOrFollower, message: Unavailable(partition: partition).description)
        }
        var builder = RecordBatchBuilder()
        for r in records { builder.append(timestamp: now, key: r.key, value: r.value, headers: []) }
        let batch = try builder.build()
        let appended: Partition.LeaderAppend
        switch replica.appendAsLeader(batch.bytes, origin: .coordinator, decompressionLimit: 0, now: now, requiredLeaderEpoch: leaderEpoch).result {
        case let .success(a): appended = a
        case let .failure(f): throw AppendFailure(code: f.code, message: f.message)
        }
        if let pending = appended.pendingFlush {
            do {
                try replica.flush(pending, now: now)
            } catch {
                throw AppendFailure(code: error.errorCode, message: error.description)
            }
        }
        // Followers long-polling this leader fetch the records now (Kafka completes delayed fetches
        // after every leader append), not at the end of replica.fetch.wait.max.ms: the reply waits
        // for them.
        replicas.appended.notify(replica.topicPartition)
        return appended.info.lastOffset + 1
    }

    /// Waits until the high watermark of `partition` reaches `offset` while this node leads it under
    /// `leaderEpoch`, at most `timeoutMs`: nil once it does, else the error an append would have had
    /// (NOT_LEADER_OR_FOLLOWER: the leadership ended first; REQUEST_TIMED_OUT).
    func waitUntilCommitted(partition: Int32, offset: Int64, leaderEpoch: Int32, timeoutMs: Int64, clock: NodeClock) async -> ErrorCode? {
        guard let replica = replicas.replica(TopicPartition(Self.topic, partition)) else { return .notLeaderOrFollower }
        switch await replica.waitForHighWatermark(offset, leaderEpoch: leaderEpoch, timeoutMs: timeoutMs, clock: clock) {
        case .reached: return nil
        case .leadershipChanged: return .notLeaderOrFollower
        case .timedOut: return .requestTimedOut
        }
    }

    /// The leader epoch this node leads `partition` under now; nil when it does not lead it (or does
    /// not hold it).
    func leaderEpoch(of partition: Int32) -> Int32? {
        replicas.replica(TopicPartition(Self.topic, partition))?.leaderEpochIfLeading
    }

    /// Every record of `partition` up to its log end, read while this node leads it under `leaderEpoch`;
    /// nil when it no longer does. Throws `Unavailable` when this node holds no log of it.
    func load(partition: Int32, leaderEpoch: Int32) async throws -> Loaded? {
        try await replicas.io.run { try loadNow(partition: partition, leaderEpoch: leaderEpoch) }
    }

    private func loadNow(partition: Int32, leaderEpoch: Int32) throws -> Loaded? {
        guard let replica = replicas.replica(TopicPartition(Self.topic, partition)) else { throw Unavailable(partition: partition) }
        return try replica.withLogIfLeading(leaderEpoch: leaderEpoch) { log -> Loaded in
            var out: [CoordinatorRecord] = []
            try log.forEachRecord { _, _, record in
                if let key = record.key { out.append(CoordinatorRecord(key: key, value: record.value)) }
            }
            return Loaded(records: out, logEndOffset: log.logEndOffset)
        }
    }

    /// Tells `listener` of this node's leadership changes on `__consumer_offsets` partitions, by
    /// partition: the leader epoch it leads under, or nil. It first hears of the partitions led now.
    func onLeadershipChange(_ listener: @escaping @Sendable ([(partition: Int32, leaderEpoch: Int32?)]) -> Void) {
        replicas.addLeadershipListener { changes in
            let mine = changes.filter { $0.topicPartition.topic == Self.topic }
                .map { (partition: $0.topicPartition.partition, leaderEpoch: $0.leaderEpochIfLeading) }
            if !mine.isEmpty { listener(mine) }
        }
    }
}
