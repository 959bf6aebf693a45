/// The Kafka errors the replication state machines decide on or react to, by Kafka's names, with
/// Kafka's numeric codes (`code`, `init(code:)`) so the broker maps them to and from `ErrorCode`
/// without this module depending on the protocol.
///
/// Invariant: `ReplicationError(code: e.code) == e` for every case; codes not named here round-trip
/// through `.other(code:)`.
public enum ReplicationError: Error, Hashable, Sendable, CustomStringConvertible {
    case offsetOutOfRange
    case unknownTopicOrPartition
    case notLeaderOrFollower
    case notEnoughReplicas
    case notEnoughReplicasAfterAppend
    case invalidRequest
    case operationNotAttempted
    case kafkaStorageError
    case fencedLeaderEpoch
    case unknownLeaderEpoch
    case invalidUpdateVersion
    case unknownTopicId
    case inconsistentTopicId
    case ineligibleReplica
    case newLeaderElected
    /// Any other code; treated as retriable wherever Kafka retries "unexpected" errors.
    case other(code: Int16)

    private static let named: [(ReplicationError, Int16)] = [
        (.offsetOutOfRange, 1), (.unknownTopicOrPartition, 3), (.notLeaderOrFollower, 6),
        (.notEnoughReplicas, 19), (.notEnoughReplicasAfterAppend, 20), (.invalidRequest, 42),
        (.operationNotAttempted, 55), (.kafkaStorageError, 56), (.fencedLeaderEpoch, 74),
        (.unknownLeaderEpoch, 75), (.invalidUpdateVersion, 95), (.unknownTopicId, 100),
        (.inconsistentTopicId, 103), (.ineligibleReplica, 107), (.newLeaderElected, 108),
    ]

    /// The error for a non-zero Kafka error code.
    public init(code: Int16) {
        self = Self.named.first { $0.1 == code }?.0 ?? .other(code: code)
    }

    /// Kafka's numeric error code.
    public var code: Int16 {
        if case .other(let code) = self { return code }
        return Self.named.first { $0.0 == self }!.1
    }

    public var description: String {
        switch self {
        case .offsetOutOfRange: "OFFSET_OUT_OF_RANGE"
        case .unknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION"
        case .notLeaderOrFollower: "NOT_LEADER_OR_FOLLOWER"
        case .notEnoughReplicas: "NOT_ENOUGH_REPLICAS"
        case .notEnoughReplicasAfterAppend: "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
        case .invalidRequest: "INVALID_REQUEST"
        case .operationNotAttempted: "OPERATION_NOT_ATTEMPTED"
        case .kafkaStorageError: "KAFKA_STORAGE_ERROR"
        case .fencedLeaderEpoch: "FENCED_LEADER_EPOCH"
        case .unknownLeaderEpoch: "UNKNOWN_LEADER_EPOCH"
        case .invalidUpdateVersion: "INVALID_UPDATE_VERSION"
        case .unknownTopicId: "UNKNOWN_TOPIC_ID"
        case .inconsistentTopicId: "INCONSISTENT_TOPIC_ID"
        case .ineligibleReplica: "INELIGIBLE_REPLICA"
        case .newLeaderElected: "NEW_LEADER_ELECTED"
        case .other(let code): "error \(code)"
        }
    }
}
