import KafkaProtocol

/// Offsets committed inside transactions that have not ended (Kafka's `pendingTransactionalOffsets`),
/// by producer id, group and partition. They are invisible to OffsetFetch until the producer's COMMIT
/// marker reaches the group's `__consumer_offsets` partition, and vanish with its ABORT marker.
///
/// Invariant (Kafka's rule, by position in the log): when a transaction commits, each of its offsets
/// replaces the group's committed offset only if it was written after it. An offset commit written
/// later than a pending one (a regular commit, a tombstone, or another transaction's offset that
/// committed first while written later) marks it `superseded`, and a superseded offset never
/// materializes. Order is the order of `record`/`supersede` calls, which is log order both live and on
/// replay, so a reload decides the same.
public struct TransactionalOffsets: Hashable, Sendable {
    struct Pending: Hashable, Sendable {
        var offset: OffsetAndMetadata
        /// The pending offset's place among the offsets recorded here (log order).
        var sequence: UInt64
        var superseded: Bool
    }

    private(set) var byProducer: [Int64: [String: [TopicPartition: Pending]]] = [:]
    private var nextSequence: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { byProducer.isEmpty }

    /// An offset a transaction of `producerID` wrote for `group`.
    mutating func record(producerID: Int64, group: String, _ tp: TopicPartition, _ offset: OffsetAndMetadata) {
        nextSequence &+= 1
        byProducer[producerID, default: [:]][group, default: [:]][tp] = Pending(offset: offset, sequence: nextSequence, superseded: false)
    }

    /// A non-transactional offset record (a commit or a tombstone) for `group`/`tp` was written after
    /// every offset pending for it now.
    mutating func supersede(group: String, _ tp: TopicPartition) {
        supersede(group: group, tp, writtenBefore: .max, except: nil)
    }

    private mutating func supersede(group: String, _ tp: TopicPartition, writtenBefore sequence: UInt64, except producer: Int64?) {
        for id in byProducer.keys where id != producer {
            guard let pending = byProducer[id]?[group]?[tp], pending.sequence < sequence, !pending.superseded else { continue }
            byProducer[id]?[group]?[tp]?.superseded = true
        }
    }

    /// Whether a transaction has an offset pending for `group`/`tp` (OffsetFetch with require_stable
    /// answers UNSTABLE_OFFSET_COMMIT for it).
    public func hasPending(group: String, _ tp: TopicPartition) -> Bool {
        byProducer.values.contains { $0[group]?[tp] != nil }
    }

    /// Ends `producerID`'s transaction for the groups `inPartition` accepts (those of the
    /// `__consumer_offsets` partition the marker was written to). Returns the offsets to materialize,
    /// in group, topic, partition order: none for an abort.
    mutating func end(producerID: Int64, committed: Bool, inPartition: (String) -> Bool)
        -> [(group: String, tp: TopicPartition, offset: OffsetAndMetadata)] {
        guard let groups = byProducer[producerID] else { return [] }
        var out: [(group: String, tp: TopicPartition, offset: OffsetAndMetadata)] = []
        for group in groups.keys.sorted() where inPartition(group) {
            let offsets = groups[group]!
            byProducer[producerID]?[group] = nil
            guard committed else { continue }
            for tp in offsets.keys.sorted() {
                let pending = offsets[tp]!
                guard !pending.superseded else { continue }
                out.append((group, tp, pending.offset))
                supersede(group: group, tp, writtenBefore: pending.sequence, except: producerID)
            }
        }
        if byProducer[producerID]?.isEmpty == true { byProducer[producerID] = nil }
        return out
    }

    /// Forgets the pending offsets of the groups `matching` accepts (their partition was unloaded).
    mutating func drop(groups matching: (String) -> Bool) {
        for id in byProducer.keys {
            byProducer[id] = byProducer[id]!.filter { !matching($0.key) }
            if byProducer[id]!.isEmpty { byProducer[id] = nil }
        }
    }
}
