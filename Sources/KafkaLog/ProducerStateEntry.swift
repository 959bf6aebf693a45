import KafkaProtocol
import KafkaRecords

/// A batch from an idempotent producer, as producer state sees it: who wrote it, its sequence range and
/// the offsets it was given.
public struct ProducerBatch: Hashable, Sendable {
    public var producerId: Int64
    public var producerEpoch: Int16
    public var firstSequence: Int32
    public var lastSequence: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The batch's maxTimestamp.
    public var timestamp: Int64
    /// Part of a transaction (attributes bit 4).
    public var isTransactional: Bool

    public init(producerId: Int64, producerEpoch: Int16, firstSequence: Int32, lastSequence: Int32, firstOffset: Int64, lastOffset: Int64,
                timestamp: Int64, isTransactional: Bool = false) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.timestamp = timestamp
        self.isTransactional = isTransactional
    }

    /// The batch described by a header (its offsets as the header states them); nil when the batch has
    /// no producer id (producerId < 0, a non-idempotent producer) or is a control batch (a transaction
    /// marker ends a transaction rather than continuing the producer's sequence: see ``TransactionMarker``).
    public init?(header: RecordBatchHeader) {
        guard header.producerId >= 0, !header.isControl else { return nil }
        self.init(
            producerId: header.producerId, producerEpoch: header.producerEpoch, firstSequence: header.baseSequence,
            lastSequence: Self.sequence(header.baseSequence, plus: header.lastOffsetDelta),
            firstOffset: header.baseOffset, lastOffset: header.lastOffset, timestamp: header.maxTimestamp,
            isTransactional: header.isTransactional
        )
    }

    /// `sequence + increment`, wrapping from Int32.max to 0 as Kafka's sequences do.
    public static func sequence(_ sequence: Int32, plus increment: Int32) -> Int32 {
        let sum = Int64(sequence) + Int64(increment)
        return sum > Int64(Int32.max) ? Int32(sum - Int64(Int32.max) - 1) : Int32(sum)
    }

    /// Whether `next` is the sequence right after `last` (Int32.max is followed by 0).
    public static func isInSequence(last: Int32, next: Int32) -> Bool {
        Int64(next) == Int64(last) + 1 || (next == 0 && last == Int32.max)
    }
}

/// What producer state remembers of one appended batch.
public struct ProducerBatchMetadata: Hashable, Sendable {
    public var firstSequence: Int32
    public var lastSequence: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var timestamp: Int64

    public init(firstSequence: Int32, lastSequence: Int32, firstOffset: Int64, lastOffset: Int64, timestamp: Int64) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.timestamp = timestamp
    }
}

/// One producer's state: its current epoch, its last (at most five) batches, oldest first, and its
/// open transaction in this partition, if any.
public struct ProducerStateEntry: Hashable, Sendable {
    /// Kafka retains five batches per producer: the most a producer may have in flight.
    public static let retainedBatches = 5

    public let producerId: Int64
    public private(set) var producerEpoch: Int16
    public private(set) var batches: [ProducerBatchMetadata]
    /// The first offset of the producer's open transaction here: its first transactional batch since
    /// the last marker. Nil when no transaction is open.
    public internal(set) var currentTransactionFirstOffset: Int64?
    /// The coordinator epoch of the last marker written for this producer (-1 before any): markers
    /// from an older coordinator are refused.
    public internal(set) var coordinatorEpoch: Int32 = -1
    /// The timestamp of the producer's last batch or marker (-1 before any).
    public internal(set) var lastTimestamp: Int64 = -1

    public init(producerId: Int64, producerEpoch: Int16, batches: [ProducerBatchMetadata] = []) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.batches = Array(batches.suffix(Self.retainedBatches))
    }

    /// A marker ends the open transaction (Kafka's `ProducerStateEntry.update`): its epoch becomes the
    /// producer's (a newer epoch forgets the batches of the older one), its coordinator epoch is kept.
    mutating func endTransaction(producerEpoch epoch: Int16, coordinatorEpoch: Int32, timestamp: Int64) {
        if epoch != producerEpoch {
            producerEpoch = epoch
            batches.removeAll()
        }
        currentTransactionFirstOffset = nil
        self.coordinatorEpoch = coordinatorEpoch
        lastTimestamp = timestamp
    }

    public var lastSequence: Int32? { batches.last?.lastSequence }
    public var lastOffset: Int64? { batches.last?.lastOffset }

    /// One of the retained batches with the same epoch and exactly the same sequence range.
    public func duplicate(of batch: ProducerBatch) -> ProducerBatchMetadata? {
        guard batch.producerEpoch == producerEpoch else { return nil }
        return batches.first { $0.firstSequence == batch.firstSequence && $0.lastSequence == batch.lastSequence }
    }

    /// Records an appended batch. A different epoch replaces the epoch and forgets the older batches.
    public mutating func record(_ batch: ProducerBatch) {
        if batch.producerEpoch != producerEpoch {
            producerEpoch = batch.producerEpoch
            batches.removeAll()
        }
        batches.append(ProducerBatchMetadata(
            firstSequence: batch.firstSequence, lastSequence: batch.lastSequence,
            firstOffset: batch.firstOffset, lastOffset: batch.lastOffset, timestamp: batch.timestamp
        ))
        lastTimestamp = batch.timestamp
        if batches.count > Self.retainedBatches { batches.removeFirst(batches.count - Self.retainedBatches) }
    }
}

/// Why producer state rejects a batch.
public enum ProducerStateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The first sequence does not follow the producer's last one (or is not 0 in a new epoch).
    case outOfOrderSequence(producerId: Int64, producerEpoch: Int16, expected: Int32, received: Int32)
    /// The batch's epoch is older than the producer's current one: a fenced (zombie) producer.
    case invalidProducerEpoch(producerId: Int64, current: Int16, received: Int16)
    /// The producer is unknown and the batch does not start at sequence 0 (only under
    /// ``ProducerStateManager/UnknownProducerPolicy/requireSequenceZero``).
    case unknownProducerID(producerId: Int64, received: Int32)
    /// A non-transactional batch from a producer with a transaction open here.
    case invalidTxnState(producerId: Int64, transactionFirstOffset: Int64)
    /// A marker from a coordinator older than the last one that wrote a marker for this producer.
    case coordinatorFenced(producerId: Int64, current: Int32, received: Int32)

    public var errorCode: ErrorCode {
        switch self {
        case .outOfOrderSequence: .outOfOrderSequenceNumber
        case .invalidProducerEpoch: .invalidProducerEpoch
        case .unknownProducerID: .unknownProducerID
        case .invalidTxnState: .invalidTxnState
        case .coordinatorFenced: .transactionCoordinatorFenced
        }
    }

    public var description: String {
        switch self {
        case let .outOfOrderSequence(id, epoch, expected, received):
            return "producer \(id) epoch \(epoch): out of order sequence \(received), expected \(expected)"
        case let .invalidProducerEpoch(id, current, received):
            return "producer \(id): epoch \(received) is older than the current epoch \(current)"
        case let .unknownProducerID(id, received):
            return "producer \(id) is unknown and its batch starts at sequence \(received), not 0"
        case let .invalidTxnState(id, first):
            return "producer \(id) sent a non-transactional batch while its transaction from offset \(first) is open"
        case let .coordinatorFenced(id, current, received):
            return "producer \(id): marker from coordinator epoch \(received), older than \(current)"
        }
    }
}
