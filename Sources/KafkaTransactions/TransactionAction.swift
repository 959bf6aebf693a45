import KafkaProtocol

/// What the shell must do after feeding the coordinator an input, in list order.
///
/// `.append` is followed, once the record is committed to its `__transaction_state` partition or
/// has failed, by exactly one `appendCompleted` call for that transactional id; no other transition of
/// that id starts before it. `.writeMarkers` is followed by one `markersWritten` call per marker
/// request, carrying a result for each partition it named.
public enum TransactionAction: Hashable, Sendable {
    case append(partition: Int32, coordinatorEpoch: Int32, transactionalID: String, TransactionRecord)
    case respond(TransactionReply)
    /// Send these markers (WriteTxnMarkers) to each partition's leader. Markers that must be sent
    /// again come out of a later `tick`, after `markerRetryBackoffMs`.
    case writeMarkers(TransactionMarkers)
}

/// The answer to a request the shell passed in with `requestID`.
public enum TransactionReply: Hashable, Sendable {
    case initProducerID(requestID: UInt64, ErrorCode, producerID: Int64, producerEpoch: Int16)
    /// AddPartitionsToTxn or AddOffsetsToTxn: one error for every partition of the request.
    case addPartitions(requestID: UInt64, ErrorCode)
    /// With transaction version 2 (EndTxn v5), a success also gives the producer id and epoch the
    /// producer continues with (the epoch bumped, or a new id at epoch 0); -1 otherwise.
    case endTransaction(requestID: UInt64, ErrorCode, producerID: Int64 = -1, producerEpoch: Int16 = -1)

    public var requestID: UInt64 {
        switch self {
        case let .initProducerID(id, _, _, _), let .addPartitions(id, _), let .endTransaction(id, _, _, _): id
        }
    }
}

/// One transaction's markers: WriteTxnMarkers' `WritableTxnMarker`, plus the id they complete.
public struct TransactionMarkers: Hashable, Sendable {
    public var transactionalID: String
    public var producerID: Int64
    public var producerEpoch: Int16
    public var result: TransactionResult
    /// The leader epoch of the coordinator's `__transaction_state` partition: partitions refuse
    /// markers from an older coordinator (TRANSACTION_COORDINATOR_FENCED).
    public var coordinatorEpoch: Int32
    public var partitions: Set<TopicPartition>
}

/// How a partition answered a marker, as the coordinator acts on it (Kafka's
/// `TransactionMarkerRequestCompletionHandler`).
public enum MarkerOutcome: Hashable, Sendable {
    /// The marker is in the partition's log.
    case written
    /// The partition's topic no longer exists: there is nothing to mark.
    case partitionDeleted
    /// Send again later: no leader, not enough replicas, a timeout.
    case retry(ErrorCode)
    /// This coordinator was replaced (a newer coordinator epoch or producer epoch is at the
    /// partition): stop sending; the new coordinator completes the transaction.
    case fenced(ErrorCode)

    /// `topicExists` is whether the topic is still in the metadata image: a leader's
    /// UNKNOWN_TOPIC_OR_PARTITION for an existing topic (a replica not yet created) is retried.
    public init(_ code: ErrorCode, topicExists: Bool) {
        switch code {
        case .noError: self = .written
        case _ where !topicExists: self = .partitionDeleted
        case .invalidProducerEpoch, .transactionCoordinatorFenced: self = .fenced(code)
        default: self = .retry(code)
        }
    }
}
