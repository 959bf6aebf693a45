import KafkaGroups
import KafkaProtocol

/// `__consumer_offsets`: the group coordinator's records (``CoordinatorRecord``) in an
/// ``InternalTopicLog``; see there for how appends, commits and loads work.
struct ConsumerOffsetsLog: Sendable {
    static let topic = "__consumer_offsets"
    let replicas: ReplicaManager
    var log: InternalTopicLog { InternalTopicLog(topic: Self.topic, replicas: replicas) }

    typealias AppendFailure = InternalTopicLog.AppendFailure

    /// What a load read: every record of the partition in log order, and the log end offset after them.
    struct Loaded: Sendable {
        var records: [CoordinatorRecord]
        var logEndOffset: Int64
    }

    /// Appends `records` as one batch while this node leads `partition` under `leaderEpoch`, and makes
    /// them durable; returns the log end offset after them (what the high watermark must reach).
    func append(_ records: [CoordinatorRecord], partition: Int32, leaderEpoch: Int32, now: Int64) async throws -> Int64 {
        try await log.append(records.map { .init(key: $0.key, value: $0.value) }, partition: partition, leaderEpoch: leaderEpoch, now: now)
    }

    func waitUntilCommitted(partition: Int32, offset: Int64, leaderEpoch: Int32, timeoutMs: Int64, clock: NodeClock) async -> ErrorCode? {
        await log.waitUntilCommitted(partition: partition, offset: offset, leaderEpoch: leaderEpoch, timeoutMs: timeoutMs, clock: clock)
    }

    func leaderEpoch(of partition: Int32) -> Int32? { log.leaderEpoch(of: partition) }

    func load(partition: Int32, leaderEpoch: Int32) async throws -> Loaded? {
        try await log.load(partition: partition, leaderEpoch: leaderEpoch).map { loaded in
            Loaded(records: loaded.entries.map { CoordinatorRecord(key: $0.key, value: $0.value) }, logEndOffset: loaded.logEndOffset)
        }
    }

    func onLeadershipChange(_ listener: @escaping @Sendable ([(partition: Int32, leaderEpoch: Int32?)]) -> Void) {
        log.onLeadershipChange(listener)
    }
}
