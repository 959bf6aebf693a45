import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore

/// A coordinator's internal topic (`__consumer_offsets`, `__transaction_state`) as Kafka lays it
/// out: each coordinator record is a log record whose key and value are Kafka's own version-prefixed
/// key/value formats (a null value is a tombstone).
///
/// A coordinator writes only to partitions this node leads, under the leader epoch it loaded them in:
/// ``append(_:partition:leaderEpoch:now:)`` goes through `Partition.appendAsLeader` (origin: the
/// coordinator), which refuses any other leadership with NOT_LEADER_OR_FOLLOWER, and is fsync'd before it
/// returns. The records count as written once the partition's high watermark covers them, that is once
/// every ISR member has them (``waitUntilCommitted(partition:offset:leaderEpoch:timeoutMs:clock:)``):
/// Kafka's coordinators append and answer once the high watermark passes the append.
///
/// The write, its fsync and the reads of a load run on the node's blocking-I/O executor.
struct InternalTopicLog: Sendable {
    let topic: String
    let replicas: ReplicaManager

    /// A record's key, and its value or nil for a tombstone.
    struct Entry: Sendable, Hashable {
        var key: [UInt8]
        var value: [UInt8]?
        /// The producer whose transactional batch holds the record (a TxnOffsetCommit); nil otherwise.
        var producerID: Int64? = nil
    }

    /// What a load reads, in log order: records, and the transaction markers that end the
    /// transactional ones.
    enum Item: Sendable, Hashable {
        case entry(Entry)
        case marker(producerID: Int64, committed: Bool)
    }

    /// The producer a transactional append is written for (its records wait for its marker).
    struct TransactionalProducer: Sendable, Hashable {
        var producerID: Int64
        var producerEpoch: Int16
    }

    struct Unavailable: Error, CustomStringConvertible {
        var topic: String
        var partition: Int32
        var description: String { "\(topic)-\(partition) is not available on this broker" }
    }

    /// An append the partition refused or could not make durable, with the partition's error code
    /// (NOT_LEADER_OR_FOLLOWER when this node no longer leads under the epoch, KAFKA_STORAGE_ERROR, …).
    struct AppendFailure: Error, CustomStringConvertible {
        var code: ErrorCode
        var message: String
        var description: String { "\(code): \(message)" }
    }

    /// What a load read: every record and marker of the partition in log order, and the log end offset
    /// after them.
    struct Loaded: Sendable {
        var items: [Item]
        var logEndOffset: Int64

        /// The records alone (for a log no transaction writes to).
        var entries: [Entry] {
            items.compactMap { if case let .entry(e) = $0 { e } else { nil } }
        }
    }

    /// Appends `entries` as one batch while this node leads `partition` under `leaderEpoch`, and makes
    /// them durable; returns the log end offset after them (what the high watermark must reach).
    /// With `producer`, the batch is transactional, written for that producer (at sequence 0, as Kafka's
    /// coordinators write): the partition refuses an epoch older than the producer's
    /// (INVALID_PRODUCER_EPOCH), and the producer's marker ends the records.
    func append(_ entries: [Entry], partition: Int32, leaderEpoch: Int32, producer: TransactionalProducer? = nil,
                now: Int64) async throws -> Int64 {
        try await replicas.io.run { try appendNow(entries, partition: partition, leaderEpoch: leaderEpoch, producer: producer, now: now) }
    }

    /// The blocking part of `append`: write and fsync.
    private func appendNow(_ entries: [Entry], partition: Int32, leaderEpoch: Int32, producer: TransactionalProducer?,
                           now: Int64) throws -> Int64 {
        guard let replica = replicas.replica(TopicPartition(topic, partition)) else {
            throw AppendFailure(code: .notLeaderOrFollower, message: Unavailable(topic: topic, partition: partition).description)
        }
        var builder = producer.map {
            RecordBatchBuilder(producerId: $0.producerID, producerEpoch: $0.producerEpoch, baseSequence: 0, isTransactional: true)
        } ?? RecordBatchBuilder()
        for e in entries { builder.append(timestamp: now, key: e.key, value: e.value, headers: []) }
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
        guard let replica = replicas.replica(TopicPartition(topic, partition)) else { return .notLeaderOrFollower }
        switch await replica.waitForHighWatermark(offset, leaderEpoch: leaderEpoch, timeoutMs: timeoutMs, clock: clock) {
        case .reached: return nil
        case .leadershipChanged: return .notLeaderOrFollower
        case .timedOut: return .requestTimedOut
        }
    }

    /// The leader epoch this node leads `partition` under now; nil when it does not lead it (or does
    /// not hold it).
    func leaderEpoch(of partition: Int32) -> Int32? {
        replicas.replica(TopicPartition(topic, partition))?.leaderEpochIfLeading
    }

    /// Every data record and transaction marker of `partition` up to its log end, read while this node leads it under
    /// `leaderEpoch`; nil when it no longer does. Throws `Unavailable` when this node holds no log of it.
    func load(partition: Int32, leaderEpoch: Int32) async throws -> Loaded? {
        try await replicas.io.run { try loadNow(partition: partition, leaderEpoch: leaderEpoch) }
    }

    private func loadNow(partition: Int32, leaderEpoch: Int32) throws -> Loaded? {
        guard let replica = replicas.replica(TopicPartition(topic, partition)) else { throw Unavailable(topic: topic, partition: partition) }
        return try replica.withLogIfLeading(leaderEpoch: leaderEpoch) { log -> Loaded in
            var out: [Item] = []
            try log.forEachItem { item in
                switch item {
                case let .record(_, batch, record):
                    guard let key = record.key else { return }
                    out.append(.entry(Entry(key: key, value: record.value, producerID: batch.isTransactional ? batch.producerId : nil)))
                case let .marker(batch, committed):
                    out.append(.marker(producerID: batch.producerId, committed: committed))
                }
            }
            return Loaded(items: out, logEndOffset: log.logEndOffset)
        }
    }

    /// Tells `listener` of this node's leadership changes on this topic's partitions, by partition:
    /// the leader epoch it leads under, or nil. It first hears of the partitions led now.
    func onLeadershipChange(_ listener: @escaping @Sendable ([(partition: Int32, leaderEpoch: Int32?)]) -> Void) {
        let topic = self.topic
        replicas.addLeadershipListener { changes in
            let mine = changes.filter { $0.topicPartition.topic == topic }
                .map { (partition: $0.topicPartition.partition, leaderEpoch: $0.leaderEpochIfLeading) }
            if !mine.isEmpty { listener(mine) }
        }
    }
}
