import KafkaProtocol

/// Incremental fetch sessions (KIP-227), as plain state: no I/O, no clock reads.
///
/// Session id 0 with epoch -1 is a sessionless full fetch; id 0 with epoch 0 opens a session (full
/// fetch, answered with a new nonzero id); id X with epoch -1 closes X (full fetch); id X with epoch
/// N > 0 is incremental: the request carries only partitions that are new or whose fetch position
/// changed, plus those to forget, and the response carries only partitions with news (records, a
/// changed high watermark or log start offset, or an error). Each incremental request must carry the
/// session's next epoch.
public struct FetchSessions: Sendable {
    public struct Partition: Hashable, Sendable {
        public var topicPartition: TopicPartition
        public var topicID: KafkaUUID
        public var fetchOffset: Int64
        public var maxBytes: Int32
        public var currentLeaderEpoch: Int32
        /// The epoch of the fetcher's last fetched batch (KIP-320, Fetch v12+), -1 when not given; and its
        /// log start offset (followers), -1 when not given.
        public var lastFetchedEpoch: Int32 = -1
        public var logStartOffset: Int64 = -1
        /// What the last response told the client, so unchanged partitions can be left out.
        public var lastHighWatermark: Int64 = -1
        public var lastLogStartOffset: Int64 = -1
    }

    struct Session: Sendable {
        var nextEpoch: Int32
        var partitions: [TopicPartition: Partition]
        /// Request order, which is also response order.
        var order: [TopicPartition]
        var lastUsed: UInt64
    }

    public enum Plan: Equatable, Sendable {
        /// Fetch these partitions; answer with `sessionID`; `incremental` means only partitions with news are sent.
        case fetch(sessionID: Int32, partitions: [Partition], incremental: Bool)
        /// Answer with this top-level error and nothing else.
        case error(ErrorCode)
    }

    public let capacity: Int
    private var sessions: [Int32: Session] = [:]
    private var lastID: Int32 = 0
    private var tick: UInt64 = 0

    public init(capacity: Int = 1000) {
        self.capacity = capacity
    }

    public var count: Int { sessions.count }

    /// Decides what a request fetches. `requested` are the partitions in the request, in order;
    /// `forgotten` those it asks to drop.
    public mutating func plan(sessionID: Int32, epoch: Int32, requested: [Partition], forgotten: [TopicPartition]) -> Plan {
        tick += 1
        switch (sessionID, epoch) {
        case (0, -1):
            return .fetch(sessionID: 0, partitions: requested, incremental: false)
        case (0, 0):
            let id = newID()
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                sessions.removeValue(forKey: oldest)
            }
            var s = Session(nextEpoch: 1, partitions: [:], order: [], lastUsed: tick)
            for p in requested { add(p, to: &s) }
            sessions[id] = s
            return .fetch(sessionID: id, partitions: requested, incremental: false)
        case (_, -1):
            sessions.removeValue(forKey: sessionID)
            return .fetch(sessionID: 0, partitions: requested, incremental: false)
        case (0, _):
            return .error(.invalidFetchSessionEpoch)
        default:
            guard var s = sessions[sessionID] else { return .error(.fetchSessionIDNotFound) }
            guard epoch == s.nextEpoch else { return .error(.invalidFetchSessionEpoch) }
            for tp in forgotten {
                s.partitions.removeValue(forKey: tp)
                s.order.removeAll { $0 == tp }
            }
            for p in requested { add(p, to: &s) }
            s.nextEpoch = epoch == Int32.max ? 1 : epoch + 1
            s.lastUsed = tick
            sessions[sessionID] = s
            return .fetch(sessionID: sessionID, partitions: s.order.compactMap { s.partitions[$0] }, incremental: true)
        }
    }

    /// Records what a response told the client about a partition.
    public mutating func noteReturned(sessionID: Int32, _ tp: TopicPartition, highWatermark: Int64, logStartOffset: Int64) {
        guard sessionID != 0 else { return }
        sessions[sessionID]?.partitions[tp]?.lastHighWatermark = highWatermark
        sessions[sessionID]?.partitions[tp]?.lastLogStartOffset = logStartOffset
    }

    private func add(_ p: Partition, to s: inout Session) {
        if var existing = s.partitions[p.topicPartition] {
            existing.fetchOffset = p.fetchOffset
            existing.maxBytes = p.maxBytes
            existing.currentLeaderEpoch = p.currentLeaderEpoch
            existing.lastFetchedEpoch = p.lastFetchedEpoch
            existing.logStartOffset = p.logStartOffset
            existing.topicID = p.topicID
            s.partitions[p.topicPartition] = existing
        } else {
            s.partitions[p.topicPartition] = p
            s.order.append(p.topicPartition)
        }
    }

    private mutating func newID() -> Int32 {
        repeat {
            lastID = lastID == Int32.max ? 1 : lastID + 1
        } while sessions[lastID] != nil
        return lastID
    }
}
