import KafkaGroups
import KafkaProtocol

/// `__consumer_offsets`: the group coordinator's records (``CoordinatorRecord``) in an
/// ``InternalTopicLog``; see there for how appends, commits and loads work.
struct ConsumerOffsetsLog: Sendable {
    static let topic = "__consumer_offsets"
    let replicas: ReplicaManager
    var log: InternalTopicLog { InternalTopicLog(topic: Self.topic, replicas: replicas) }

    typealias AppendFailure = InternalTopicLog.AppendFailure

    /// One item of a load, in log order: a record (with the producer whose transaction wrote it, for a
    /// TxnOffsetCommit), or a producer's transaction marker.
    enum Item: Sendable {
        case record(CoordinatorRecord, producerID: Int64?)
        case marker(producerID: Int64, committed: Bool)
    }

    /// What a load read: every record and marker of the partition in log order, and the log end offset
    /// after them.
    struct Loaded: Sendable {
        var items: [Item]
        var logEndOffset: Int64
    }

    /// Appends `records` as one batch while this node leads `partition` under `leaderEpoch`, and makes
    /// them durable; returns the log end offset after them (what the high watermark must reach). With
    /// `producer`, a transactional batch of that producer (TxnOffsetCommit).
    func append(_ records: [CoordinatorRecord], partition: Int32, leaderEpoch: Int32,
                producer: InternalTopicLog.TransactionalProducer? = nil, now: Int64) async throws -> Int64 {
        try await log.append(records.map { .init(key: $0.key, value: $0.value) }, partition: partition, leaderEpoch: leaderEpoch,
                             producer: producer, now: now)
    }

    func waitUntilCommitted(partition: Int32, offset: Int64, leaderEpoch: Int32, timeoutMs: Int64, clock: NodeClock) async -> ErrorCode? {
        await log.waitUntilCommitted(partition: partition, offset: offset, leaderEpoch: leaderEpoch, timeoutMs: timeoutMs, clock: clock)
    }

    func leaderEpoch(of partition: Int32) -> Int32? { log.leaderEpoch(of: partition) }

    func load(partition: Int32, leaderEpoch: Int32) async throws -> Loaded? {
        try await log.load(partition: partition, leaderEpoch: leaderEpoch).map { loaded in
            Loaded(items: loaded.items.map { item in
                switch item {
                case let .entry(e): .record(CoordinatorRecord(key: e.key, value: e.value), producerID: e.producerID)
                case let .marker(producerID, committed): .marker(producerID: producerID, committed: committed)
                }
            }, logEndOffset: loaded.logEndOffset)
        }
    }

    func onLeadershipChange(_ listener: @escaping @Sendable ([(partition: Int32, leaderEpoch: Int32?)]) -> Void) {
        log.onLeadershipChange(listener)
    }
}
