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
/// - the same epoch: the first sequence must be the last sequence + 1 (Int32.max wraps to 0), or 0
///   when no batch of the epoch is retained (a marker bumped it);
/// - with a transaction open, the batch must be transactional (INVALID_TXN_STATE); a transactional
///   batch with none open opens one at its first offset.
///
/// Transactions (Kafka's `ProducerStateManager` with `ProducerAppendInfo`): each open transaction is
/// in ``ongoingTransactions`` from its first offset until its marker; a transaction ended by a marker
/// above the high watermark stays in ``unreplicatedTransactions`` until the high watermark passes the
/// marker. Together they give ``firstUnstableOffset``, below which every transaction is decided and
/// replicated: the log's last stable offset is the smaller of it and the high watermark.
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
    /// Producer id → the first offset of its open transaction.
    public private(set) var ongoingTransactions: [Int64: Int64] = [:]
    /// Transactions whose marker is written but not yet below the high watermark, in marker order.
    public private(set) var unreplicatedTransactions: [CompletedTransaction] = []

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
    ///
    /// `checksSequences` false is a coordinator's own write (Kafka's origin COORDINATOR: a group
    /// coordinator's transactional offset commit, always at sequence 0): only the epoch is checked, and
    /// there are no duplicates.
    public func check(_ batch: ProducerBatch, staging pending: inout PendingUpdate, checksSequences: Bool = true) -> Check {
        let committed = producers[batch.producerId]
        if !checksSequences {
            var entry = pending.entries[batch.producerId] ?? committed ?? ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch)
            if batch.producerEpoch < entry.producerEpoch {
                return .rejected(.invalidProducerEpoch(producerId: batch.producerId, current: entry.producerEpoch, received: batch.producerEpoch))
            }
            if let open = entry.currentTransactionFirstOffset, !batch.isTransactional {
                return .rejected(.invalidTxnState(producerId: batch.producerId, transactionFirstOffset: open))
            }
            entry.record(batch)
            if batch.isTransactional && entry.currentTransactionFirstOffset == nil { entry.currentTransactionFirstOffset = batch.firstOffset }
            pending.entries[batch.producerId] = entry
            return .append
        }
        if let committed, let original = committed.duplicate(of: batch) { return .duplicate(of: original) }
        guard let current = pending.entries[batch.producerId] ?? committed else {
            if unknownProducerPolicy == .requireSequenceZero, batch.firstSequence != 0 {
                return .rejected(.unknownProducerID(producerId: batch.producerId, received: batch.firstSequence))
            }
            var entry = ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch)
            entry.record(batch)
            if batch.isTransactional { entry.currentTransactionFirstOffset = batch.firstOffset }
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
        } else if current.producerEpoch != -1,
                  !ProducerBatch.isInSequence(last: current.lastSequence ?? -1, next: batch.firstSequence) {
            // With no batch retained at this epoch (a transaction version 2 marker bumped it), the
            // next batch starts the epoch at sequence 0, as Kafka's `checkSequence` has it.
            let expected = ProducerBatch.sequence(current.lastSequence ?? -1, plus: 1)
            return .rejected(.outOfOrderSequence(producerId: batch.producerId, producerEpoch: batch.producerEpoch, expected: expected, received: batch.firstSequence))
        }
        if let open = current.currentTransactionFirstOffset, !batch.isTransactional {
            return .rejected(.invalidTxnState(producerId: batch.producerId, transactionFirstOffset: open))
        }
        var entry = current
        entry.record(batch)
        if batch.isTransactional && entry.currentTransactionFirstOffset == nil { entry.currentTransactionFirstOffset = batch.firstOffset }
        pending.entries[batch.producerId] = entry
        return .append
    }

    /// Merges the entries of an append that was written.
    public mutating func apply(_ pending: PendingUpdate) {
        for (id, entry) in pending.entries {
            producers[id] = entry
            if let first = entry.currentTransactionFirstOffset, ongoingTransactions[id] == nil { ongoingTransactions[id] = first }
        }
    }

    /// Records a batch without checks: replaying the log on open, or appending what was checked (a
    /// follower's append). A transactional batch opens its producer's transaction if none is open.
    public mutating func update(_ batch: ProducerBatch) {
        var entry = producers[batch.producerId] ?? ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch)
        entry.record(batch)
        if batch.isTransactional && entry.currentTransactionFirstOffset == nil {
            entry.currentTransactionFirstOffset = batch.firstOffset
            ongoingTransactions[batch.producerId] = batch.firstOffset
        }
        producers[batch.producerId] = entry
    }

    /// Forgets producers whose last batch ends below `offset` (the new log start offset), with their
    /// open transactions, and transactions whose marker is below it. A producer with no batch, only a
    /// marker that bumped its epoch, stays: that epoch fences its zombie (Kafka keeps such entries
    /// until they expire).
    public mutating func removeProducers(lastOffsetBelow offset: Int64) {
        producers = producers.filter { ($0.value.lastOffset ?? Int64.max) >= offset }
        ongoingTransactions = ongoingTransactions.filter { producers[$0.key] != nil }
        unreplicatedTransactions.removeAll { $0.lastOffset < offset }
    }

    /// Puts back a producer's entry as a snapshot kept it (with its open transaction).
    mutating func restore(_ entry: ProducerStateEntry) {
        producers[entry.producerId] = entry
        if let first = entry.currentTransactionFirstOffset { ongoingTransactions[entry.producerId] = first }
    }

    /// Kafka's producer expiry (`producer.id.expiration.ms`): forgets every producer with no open
    /// transaction whose last batch or marker is at least `expirationMs` older than `now` (its
    /// timestamp, as the batch carried it). Returns how many were forgotten.
    @discardableResult
    public mutating func removeExpiredProducers(now: Int64, expirationMs: Int64) -> Int {
        let before = producers.count
        producers = producers.filter { $0.value.currentTransactionFirstOffset != nil || now - $0.value.lastTimestamp < expirationMs }
        return before - producers.count
    }

    public mutating func removeAll() {
        producers.removeAll()
        ongoingTransactions.removeAll()
        unreplicatedTransactions.removeAll()
    }
}

// MARK: Transactions

/// A COMMIT or ABORT marker for one producer, as a partition writes it (a control batch of one
/// control record, at `offset`).
public struct TransactionMarker: Hashable, Sendable {
    public var producerId: Int64
    public var producerEpoch: Int16
    public var coordinatorEpoch: Int32
    public var isAbort: Bool
    public var offset: Int64
    public var timestamp: Int64

    public init(producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32, isAbort: Bool, offset: Int64, timestamp: Int64) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.coordinatorEpoch = coordinatorEpoch
        self.isAbort = isAbort
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// A transaction a marker ended: the offsets of its first batch and of its marker.
public struct CompletedTransaction: Hashable, Sendable {
    public var producerId: Int64
    public var firstOffset: Int64
    /// The marker's offset.
    public var lastOffset: Int64
    public var isAborted: Bool

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, isAborted: Bool) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.isAborted = isAborted
    }
}

extension ProducerStateManager {
    /// Checks a marker from the transaction coordinator (Kafka's `appendEndTxnMarker` for the
    /// coordinator origin): its epoch may not be older than the producer's (INVALID_PRODUCER_EPOCH),
    /// nor, for a marker of transaction version 2 (`bumpedEpoch`, KIP-1228: the coordinator bumped the
    /// epoch to end the transaction), the same; nor its coordinator epoch older than the last marker's
    /// (TRANSACTION_COORDINATOR_FENCED). Replicated markers are not checked: the leader did.
    public func check(_ marker: TransactionMarker, bumpedEpoch: Bool = false) -> ProducerStateError? {
        guard let entry = producers[marker.producerId] else { return nil }
        if marker.producerEpoch < entry.producerEpoch || (bumpedEpoch && marker.producerEpoch == entry.producerEpoch) {
            return .invalidProducerEpoch(producerId: marker.producerId, current: entry.producerEpoch, received: marker.producerEpoch)
        }
        if entry.coordinatorEpoch > marker.coordinatorEpoch {
            return .coordinatorFenced(producerId: marker.producerId, current: entry.coordinatorEpoch, received: marker.coordinatorEpoch)
        }
        return nil
    }

    /// Records a written marker: the producer's open transaction, if any, is complete (returned) and
    /// stays unstable until ``onHighWatermarkUpdated(_:)`` passes the marker. A marker with no open
    /// transaction (a retry, or a transaction with no data here) completes nothing.
    @discardableResult
    public mutating func apply(_ marker: TransactionMarker) -> CompletedTransaction? {
        var entry = producers[marker.producerId] ?? ProducerStateEntry(producerId: marker.producerId, producerEpoch: marker.producerEpoch)
        let completed = entry.currentTransactionFirstOffset.map {
            CompletedTransaction(producerId: marker.producerId, firstOffset: $0, lastOffset: marker.offset, isAborted: marker.isAbort)
        }
        entry.endTransaction(producerEpoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, timestamp: marker.timestamp)
        producers[marker.producerId] = entry
        if let completed {
            ongoingTransactions[marker.producerId] = nil
            unreplicatedTransactions.append(completed)
        }
        return completed
    }

    /// The last stable offset right after a transaction completed (what Kafka records with an aborted
    /// transaction): the first offset of the earliest transaction still open, else the offset after
    /// the marker.
    public func lastStableOffset(after completed: CompletedTransaction) -> Int64 {
        ongoingTransactions.values.min() ?? completed.lastOffset + 1
    }

    /// The first offset of the earliest transaction still open or not yet replicated; nil when none.
    public var firstUnstableOffset: Int64? {
        let open = ongoingTransactions.values.min()
        let unreplicated = unreplicatedTransactions.map(\.firstOffset).min()
        switch (open, unreplicated) {
        case let (a?, b?): return min(a, b)
        case let (a, b): return a ?? b
        }
    }

    /// The high watermark moved: transactions whose marker is below it are stable.
    public mutating func onHighWatermarkUpdated(_ highWatermark: Int64) {
        unreplicatedTransactions.removeAll { $0.lastOffset < highWatermark }
    }
}
