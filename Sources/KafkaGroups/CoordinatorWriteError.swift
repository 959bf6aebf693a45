import KafkaProtocol

/// What a client hears when the records of its group request could not be written to
/// `__consumer_offsets` or were not committed in time: Kafka's mapping in the coordinator runtime
/// (`CoordinatorOperationExceptionHelper.handleOperationException`, Kafka 3.7 and later, the only
/// coordinator from 4.0).
///
/// - UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS and REQUEST_TIMED_OUT (the high watermark did not
///   reach the records within `offsets.commit.timeout.ms`) become COORDINATOR_NOT_AVAILABLE: retriable,
///   the client asks again (after looking the coordinator up again);
/// - NOT_LEADER_OR_FOLLOWER (the leadership ended before the records were in the ISR) and
///   KAFKA_STORAGE_ERROR become NOT_COORDINATOR: the client finds the new coordinator;
/// - MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE and INVALID_FETCH_SIZE become UNKNOWN_SERVER_ERROR;
/// - anything else is passed on.
///
/// (Kafka's older GroupMetadataManager mapped a timeout to REQUEST_TIMED_OUT for commits and to
/// REBALANCE_IN_PROGRESS for group changes; Strom follows the runtime, which also serves KIP-848 groups.)
public enum CoordinatorWriteError {
    public static func clientError(for code: ErrorCode) -> ErrorCode {
        switch code {
        case .unknownTopicOrPartition, .notEnoughReplicas, .requestTimedOut: .coordinatorNotAvailable
        case .notLeaderOrFollower, .kafkaStorageError: .notCoordinator
        case .messageTooLarge, .recordListTooLarge, .invalidFetchSize: .unknownServerError
        default: code
        }
    }
}
