/// Producer state for idempotence, per partition: for each producer id, its current epoch and last five
/// batches. A pure value; ``PartitionLog`` rebuilds it on open from batch headers and updates it on append.
///
/// Kafka's rules, checked by ``check(_:)`` in this order:
/// - a producer with no state: any epoch; any sequence (Kafka since 2.5, after retention or DeleteRecords
///   removed its batches), or only sequence 0 under ``UnknownProducerPolicy/requireSequenceZero``;
/// - same epoch and the same sequence range as one of the last five batches: a duplicate, answered with
///   the original offsets and not written again;
/// - an epoch below the current one: INVALID_PRODUCER_EPOCH (fenced);
/// - a higher epoch: its first sequence must be 0;
/// - the same epoch: the first sequence must be the last sequence + 1 (Int32.max wraps to 0).
///
/// Transactions are not tracked yet; their state (ongoing transaction, coordinator epoch) would join
/// ``ProducerStateEntry`` and markers would go through their own check.
public struct ProducerStateManager: Hashable, Sendable {
    public enum UnknownProducerPolicy: Hashable, Sendable {
        /// Kafka 2.5 and later (KIP-360): accept any sequence from a producer with no state.
        case acceptAnySequence
        /// Kafka before 2.5: UNKNOWN_PRODUCER_ID unless the sequence is 0.
        case requireSequenceZero
    }

    /// The outcome of checking one batch.
    public enum Check: Hashable, Sendable {
        case append
        /// Already appended: acknowledge with these offsets, write nothing.
        case duplicate(of: ProducerBatchMetadata)
        case rejected(ProducerStateError)
    }

    /// Entries for the producers of one append (several batches), checked against each other before
    /// the append and merged into the state by ``apply(_:)`` after it was written.
    public struct PendingUpdate: Hashable, Sendable {
        public fileprivate(set) var entries: [Int64: ProducerStateEntry] = [:]
        public init() {}
        public var isEmpty: Bool { entries.isEmpty }
    }

    public var unknownProducerPolicy: UnknownProducerPolicy
    public private(set) var producers: [Int64: ProducerStateEntry] = [:]

    public init(unknownProducerPolicy: UnknownProducerPolicy = .acceptAnySequence) {
        self.unknownProducerPolicy = unknownProducerPolicy
    }

    public func entry(for producerId: Int64) -> ProducerStateEntry? { producers[producerId] }

    /// Checks one batch against the current state.
    public func check(_ batch: ProducerBatch) -> Check {
        var pending = PendingUpdate()
        return check(batch, staging: &pending)
    }

    /// Checks `batch` against the state as `pending` already changed it; on `.append`, records it in
    /// `pending`. Duplicates are looked for among batches already in the state, as Kafka does.
    public func check(_ batch: ProducerBatch, staging pending: inout PendingUpdate) -> Check {
        let committed = producers[batch.producerId]
        if let committed, let original = committed.duplicate(of: batch) { return .duplicate(of: original) }
        guard let current = pending.entries[batch.producerId] ?? committed else {
            if unknownProducerPolicy == .requireSequenceZero, batch.firstSequence != 0 {
                return .rejected(.unknownProducerID(producerId: batch.producerId, received: batch.firstSequence))
            }
            var entry = ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch)
            entry.record(batch)
            pending.entries[batch.producerId] = entry
            return .append
        }
        if batch.producerEpoch < current.producerEpoch {
            return .rejected(.invalidProducerEpoch(producerId: batch.producerId, current: current.producerEpoch, received: batch.producerEpoch))
        }
        if batch.producerEpoch != current.producerEpoch {
            guard batch.firstSequence == 0 else {
                return .rejected(.outOfOrderSequence(producerId: batch.producerId, producerEpoch: batch.producerEpoch, expected: 0, received: batch.firstSequence))
            }
        } else if let last = current.lastSequence, !ProducerBatch.isInSequence(last: last, next: batch.firstSequence) {
            let expected = ProducerBatch.sequence(last, plus: 1)
            return .rejected(.outOfOrderSequence(producerId: batch.producerId, producerEpoch: batch.producerEpoch, expected: expected, received: batch.firstSequence))
        }
        var entry = current
        entry.record(batch)
        pending.entries[batch.producerId] = entry
        return .append
    }

    /// Merges the entries of an append that was written.
    public mutating func apply(_ pending: PendingUpdate) {
        for (id, entry) in pending.entries { producers[id] = entry }
    }

    /// Records a batch without checks: replaying the log on open, or appending what was checked.
    public mutating func update(_ batch: ProducerBatch) {
        var entry = producers[batch.producerId] ?? ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch)
        entry.record(batch)
        producers[batch.producerId] = entry
    }

    /// Forgets producers whose last batch ends below `offset` (the new log start offset): what a reload
    /// from the remaining segments would not see either.
    public mutating func removeProducers(lastOffsetBelow offset: Int64) {
        producers = producers.filter { ($0.value.lastOffset ?? Int64.min) >= offset }
    }

    public mutating func removeAll() { producers.removeAll() }
}
