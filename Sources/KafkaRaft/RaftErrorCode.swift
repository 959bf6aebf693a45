/// A Kafka error code as carried by the Raft RPCs (`ErrorCode` in Vote, BeginQuorumEpoch, EndQuorumEpoch,
/// Fetch, FetchSnapshot, DescribeQuorum, AddRaftVoter, RemoveRaftVoter and UpdateRaftVoter), kept as a
/// raw-value struct so codes this module does not name survive.
///
/// The values are Kafka's (`error-codes.tsv`); KafkaRaft does not depend on KafkaProtocol, so the few codes
/// the quorum uses are repeated here.
public struct RaftErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let none = RaftErrorCode(rawValue: 0)
    public static let notLeaderOrFollower = RaftErrorCode(rawValue: 6)
    public static let requestTimedOut = RaftErrorCode(rawValue: 7)
    public static let brokerNotAvailable = RaftErrorCode(rawValue: 8)
    public static let unsupportedVersion = RaftErrorCode(rawValue: 35)
    public static let invalidRequest = RaftErrorCode(rawValue: 42)
    public static let fencedLeaderEpoch = RaftErrorCode(rawValue: 74)
    public static let unknownLeaderEpoch = RaftErrorCode(rawValue: 75)
    public static let inconsistentVoterSet = RaftErrorCode(rawValue: 94)
    public static let inconsistentClusterID = RaftErrorCode(rawValue: 104)
    public static let snapshotNotFound = RaftErrorCode(rawValue: 98)
    public static let positionOutOfRange = RaftErrorCode(rawValue: 99)
    public static let duplicateVoter = RaftErrorCode(rawValue: 126)
    public static let voterNotFound = RaftErrorCode(rawValue: 127)

    public var description: String {
        switch self {
        case .none: "NONE"
        case .notLeaderOrFollower: "NOT_LEADER_OR_FOLLOWER"
        case .requestTimedOut: "REQUEST_TIMED_OUT"
        case .brokerNotAvailable: "BROKER_NOT_AVAILABLE"
        case .unsupportedVersion: "UNSUPPORTED_VERSION"
        case .invalidRequest: "INVALID_REQUEST"
        case .fencedLeaderEpoch: "FENCED_LEADER_EPOCH"
        case .unknownLeaderEpoch: "UNKNOWN_LEADER_EPOCH"
        case .inconsistentVoterSet: "INCONSISTENT_VOTER_SET"
        case .inconsistentClusterID: "INCONSISTENT_CLUSTER_ID"
        case .snapshotNotFound: "SNAPSHOT_NOT_FOUND"
        case .positionOutOfRange: "POSITION_OUT_OF_RANGE"
        case .duplicateVoter: "DUPLICATE_VOTER"
        case .voterNotFound: "VOTER_NOT_FOUND"
        default: "error \(rawValue)"
        }
    }
}
