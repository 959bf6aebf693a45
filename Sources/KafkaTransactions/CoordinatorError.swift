import KafkaProtocol

/// An error a transaction coordinator answers with, as a thrown/`Result` error.
public struct CoordinatorError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public init(_ code: ErrorCode) { self.code = code }
    public var description: String { "\(code)" }

    public static let producerFenced = CoordinatorError(.producerFenced)
    public static let concurrentTransactions = CoordinatorError(.concurrentTransactions)
    public static let invalidProducerIDMapping = CoordinatorError(.invalidProducerIDMapping)
    public static let invalidTxnState = CoordinatorError(.invalidTxnState)
    public static let notCoordinator = CoordinatorError(.notCoordinator)
    public static let loadInProgress = CoordinatorError(.coordinatorLoadInProgress)

    /// What a failed `__transaction_state` append answers (Kafka's `appendTransactionToLog`).
    public static func appendFailure(_ code: ErrorCode) -> CoordinatorError {
        switch code {
        case .unknownTopicOrPartition, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut:
            CoordinatorError(.coordinatorNotAvailable)
        case .notLeaderOrFollower, .kafkaStorageError, .notCoordinator:
            .notCoordinator
        case .coordinatorLoadInProgress, .coordinatorNotAvailable:
            CoordinatorError(code)
        default:
            CoordinatorError(.unknownServerError)
        }
    }

    /// Clients before these versions do not know PRODUCER_FENCED (KIP-588) and get
    /// INVALID_PRODUCER_EPOCH, which they handle the same way: InitProducerId v4, AddPartitionsToTxn,
    /// AddOffsetsToTxn, EndTxn and TxnOffsetCommit v2.
    public static func forClient(_ code: ErrorCode, firstVersionWithProducerFenced: Int16, version: Int16) -> ErrorCode {
        code == .producerFenced && version < firstVersionWithProducerFenced ? .invalidProducerEpoch : code
    }
}
