import KafkaProtocol

/// No producer id / no epoch, as record batches and Kafka's coordinator write them.
public enum NoProducer {
    public static let id: Int64 = -1
    public static let epoch: Int16 = -1
}

/// One transactional id's state at its coordinator (Kafka's `TransactionMetadata`).
///
/// Invariants: `state` and the fields beside it are what the log holds (or held when it was loaded),
/// except that markers remove `partitions` one by one as they are written; `pending`, when set, is
/// the next transition (being appended, or waiting for the markers), and no other transition starts
/// until it completes or fails. `partitions` is empty unless a transaction is open.
public struct TransactionMetadata: Hashable, Sendable {
    public let transactionalID: String
    public internal(set) var producerID: Int64
    /// The producer id before the last rotation to a new one (epoch exhausted); in the log as
    /// `TransactionLogValue` tag 0.
    public internal(set) var previousProducerID: Int64
    public internal(set) var producerEpoch: Int16
    /// The epoch before the last bump by a producer recovering with its own id and epoch (KIP-360):
    /// a retry of that InitProducerId gets the same answer. In memory only, as in Kafka 3.9.
    public internal(set) var lastProducerEpoch: Int16
    public internal(set) var timeoutMs: Int32
    public internal(set) var state: TransactionState
    public internal(set) var partitions: Set<TopicPartition>
    /// When the open transaction started (its first partition was added); -1 when none is open.
    public internal(set) var startTimestamp: Int64
    public internal(set) var lastUpdateTimestamp: Int64
    /// The transition whose record is being appended.
    public internal(set) var pending: TransactionMetadata.Transition?
    /// The transaction version the producer's last request used (0, or 2 for KIP-890 part 2: EndTxn
    /// v5, or partitions added by their leaders): with 2, every end of a transaction bumps the epoch.
    public internal(set) var clientTransactionVersion: Int16 = 0
    /// The producer id a transaction version 2 end switches to at completion, because the bumped
    /// epoch is the last one (-1 when none); in the log as tag 1 (Kafka 4.0 keeps it in memory only).
    public internal(set) var nextProducerID: Int64 = NoProducer.id

    /// A new transactional id: no epoch yet, Empty.
    public init(transactionalID: String, producerID: Int64, timeoutMs: Int32, now: Int64) {
        self.transactionalID = transactionalID
        self.producerID = producerID
        self.previousProducerID = NoProducer.id
        self.producerEpoch = NoProducer.epoch
        self.lastProducerEpoch = NoProducer.epoch
        self.timeoutMs = timeoutMs
        self.state = .empty
        self.partitions = []
        self.startTimestamp = -1
        self.lastUpdateTimestamp = now
    }

    /// A transition: the state and fields the record being written holds.
    public struct Transition: Hashable, Sendable {
        public var state: TransactionState
        public var producerID: Int64
        public var previousProducerID: Int64
        public var producerEpoch: Int16
        public var lastProducerEpoch: Int16
        public var timeoutMs: Int32
        public var partitions: Set<TopicPartition>
        public var startTimestamp: Int64
        public var lastUpdateTimestamp: Int64
        public var clientTransactionVersion: Int16 = 0
        public var nextProducerID: Int64 = NoProducer.id
    }

    /// Kafka stops bumping at Short.MaxValue - 1 and rotates to a new producer id, so that a fence
    /// (one more bump) is always possible.
    public static func isEpochExhausted(_ epoch: Int16) -> Bool { epoch >= Int16.max - 1 }

    public var isEpochExhausted: Bool { Self.isEpochExhausted(producerEpoch) }

    /// The current fields as a transition to `state`, for the prepare functions to change.
    func transition(to state: TransactionState, now: Int64) -> Transition {
        Transition(
            state: state, producerID: producerID, previousProducerID: previousProducerID, producerEpoch: producerEpoch,
            lastProducerEpoch: lastProducerEpoch, timeoutMs: timeoutMs, partitions: partitions,
            startTimestamp: startTimestamp, lastUpdateTimestamp: now, clientTransactionVersion: clientTransactionVersion,
            nextProducerID: nextProducerID)
    }

    // MARK: Transitions (Kafka's prepare* functions)

    /// InitProducerId on a finished or empty transaction: bump the epoch. `expectedEpoch` is the
    /// producer's own epoch when it re-initialises with its id (KIP-360); nil for a new producer.
    func incrementEpoch(timeoutMs: Int32, expectedEpoch: Int16?, now: Int64) -> Result<Transition, CoordinatorError> {
        precondition(!isEpochExhausted, "incrementEpoch with an exhausted epoch")
        let bumped = producerEpoch + 1
        var t = transition(to: .empty, now: now)
        switch expectedEpoch {
        case nil:
            t.producerEpoch = bumped
            t.lastProducerEpoch = NoProducer.epoch
        case let expected? where producerEpoch == NoProducer.epoch || expected == producerEpoch:
            t.producerEpoch = bumped
            t.lastProducerEpoch = producerEpoch
        case let expected? where expected == lastProducerEpoch:
            // A retry of a bump that succeeded: the same answer again.
            break
        default:
            return .failure(.producerFenced)
        }
        t.timeoutMs = timeoutMs
        t.partitions = []
        t.startTimestamp = -1
        return .success(t)
    }

    /// InitProducerId when the epoch is exhausted: a new producer id at epoch 0.
    func rotateProducerID(to newID: Int64, timeoutMs: Int32, recordLastEpoch: Bool, now: Int64) -> Transition {
        var t = transition(to: .empty, now: now)
        t.previousProducerID = producerID
        t.producerID = newID
        t.producerEpoch = 0
        t.lastProducerEpoch = recordLastEpoch ? producerEpoch : NoProducer.epoch
        t.timeoutMs = timeoutMs
        t.partitions = []
        t.startTimestamp = -1
        return t
    }

    /// AddPartitionsToTxn/AddOffsetsToTxn: the transaction is Ongoing with these partitions too.
    func addPartitions(_ added: Set<TopicPartition>, transactionVersion: Int16 = 0, now: Int64) -> Transition {
        var t = transition(to: .ongoing, now: now)
        t.clientTransactionVersion = transactionVersion
        t.partitions.formUnion(added)
        if state == .empty || state == .completeCommit || state == .completeAbort { t.startTimestamp = now }
        return t
    }

    /// The epoch an ongoing transaction is aborted with when it is fenced (timeout or a new producer).
    /// A fence whose append failed left the epoch unchanged here, so the next one bumps the same
    /// epoch again (Kafka keeps the bumped epoch in memory and reuses it: the same number). An epoch
    /// at Short.MAX_VALUE cannot be bumped; producers are never given it (see `isEpochExhausted`).
    var fencedEpoch: Int16 { producerEpoch == Int16.max ? producerEpoch : producerEpoch + 1 }

    /// EndTxn (or a fence): PrepareCommit or PrepareAbort with the same partitions.
    func prepareEnd(_ result: TransactionResult, epoch: Int16, now: Int64) -> Transition {
        var t = transition(to: result.committed ? .prepareCommit : .prepareAbort, now: now)
        if epoch != producerEpoch {
            t.producerEpoch = epoch
            t.lastProducerEpoch = NoProducer.epoch
        }
        return t
    }

    /// EndTxn with transaction version 2 (Kafka 4.0's `prepareAbortOrCommit`): PrepareCommit or
    /// PrepareAbort with the epoch bumped (the markers carry it); at the last epoch, `newProducerID`
    /// is what completion switches to. An abort from Empty or a finished transaction has no
    /// partitions and starts now.
    func prepareEndBumpingEpoch(_ result: TransactionResult, newProducerID: Int64?, now: Int64) -> Transition {
        var t = transition(to: result.committed ? .prepareCommit : .prepareAbort, now: now)
        // Short.MAX_VALUE itself is never bumped (a failover that lost the next producer id leaves a
        // producer there; its end moves it to the new id all the same).
        t.producerEpoch = producerEpoch == Int16.max ? producerEpoch : producerEpoch + 1
        t.lastProducerEpoch = producerEpoch
        t.clientTransactionVersion = 2
        t.nextProducerID = newProducerID ?? NoProducer.id
        if state != .ongoing {
            t.partitions = []
            t.startTimestamp = now
        }
        return t
    }

    /// Every marker is written: CompleteCommit or CompleteAbort, no partitions. A transaction
    /// version 2 end at the last epoch switches to the next producer id, at epoch 0.
    func complete(now: Int64) -> Transition {
        precondition(state == .prepareCommit || state == .prepareAbort, "complete from \(state)")
        var t = transition(to: state == .prepareCommit ? .completeCommit : .completeAbort, now: now)
        t.partitions = []
        if nextProducerID != NoProducer.id {
            t.previousProducerID = producerID
            t.producerID = nextProducerID
            t.producerEpoch = 0
            t.nextProducerID = NoProducer.id
        }
        return t
    }

    /// PrepareCommit or PrepareAbort: the markers are being written.
    var isPreparingEnd: Bool { state == .prepareCommit || state == .prepareAbort }

    /// The producer id and epoch a producer continues with once the pending end completes.
    var producerAfterCompletion: (id: Int64, epoch: Int16) {
        nextProducerID != NoProducer.id ? (nextProducerID, 0) : (producerID, producerEpoch)
    }

    /// Expiry of an idle transactional id: Dead, written as a tombstone.
    func expire(now: Int64) -> Transition {
        transition(to: .dead, now: now)
    }

    /// Makes a written transition the current state.
    mutating func apply(_ t: Transition) {
        precondition(t.state.validPreviousStates.contains(state), "\(transactionalID): illegal transition \(state) -> \(t.state)")
        state = t.state
        producerID = t.producerID
        previousProducerID = t.previousProducerID
        producerEpoch = t.producerEpoch
        lastProducerEpoch = t.lastProducerEpoch
        timeoutMs = t.timeoutMs
        partitions = t.partitions
        startTimestamp = t.startTimestamp
        lastUpdateTimestamp = t.lastUpdateTimestamp
        clientTransactionVersion = t.clientTransactionVersion
        nextProducerID = t.nextProducerID
        pending = nil
    }
}
