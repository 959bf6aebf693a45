/// The quorum RPCs as values, one partition each (the `__cluster_metadata-0` partition), with the field
/// names of Kafka's schemas (`VoteRequest.json` and friends) so the later wire translation is mechanical:
/// the single `Topics[0].Partitions[0]` entry is flattened into the message.
///
/// A request and its response share a `correlationID` in their `RaftEnvelope`; responses a replica no
/// longer waits for are ignored.
public enum RaftMessage: Hashable, Sendable {
    case voteRequest(VoteRequest)
    case voteResponse(VoteResponse)
    case beginQuorumEpochRequest(BeginQuorumEpochRequest)
    case beginQuorumEpochResponse(BeginQuorumEpochResponse)
    case endQuorumEpochRequest(EndQuorumEpochRequest)
    case endQuorumEpochResponse(EndQuorumEpochResponse)
    case fetchRequest(FetchRequest)
    case fetchResponse(FetchResponse)
    case fetchSnapshotRequest(FetchSnapshotRequest)
    case fetchSnapshotResponse(FetchSnapshotResponse)
    case addRaftVoterRequest(AddRaftVoterRequest)
    case addRaftVoterResponse(RaftVoterChangeResponse)
    case removeRaftVoterRequest(RemoveRaftVoterRequest)
    case removeRaftVoterResponse(RaftVoterChangeResponse)
    case updateRaftVoterRequest(UpdateRaftVoterRequest)
    case updateRaftVoterResponse(UpdateRaftVoterResponse)

    public var isRequest: Bool {
        switch self {
        case .voteRequest, .beginQuorumEpochRequest, .endQuorumEpochRequest, .fetchRequest, .fetchSnapshotRequest,
             .addRaftVoterRequest, .removeRaftVoterRequest, .updateRaftVoterRequest: true
        default: false
        }
    }
}

/// One message in flight between two replicas.
public struct RaftEnvelope: Hashable, Sendable {
    public var source: Int32
    public var destination: Int32
    public var correlationID: Int32
    public var message: RaftMessage

    public init(source: Int32, destination: Int32, correlationID: Int32, message: RaftMessage) {
        self.source = source
        self.destination = destination
        self.correlationID = correlationID
        self.message = message
    }
}

/// Vote (API 52). `PreVote` is KIP-996's field (VoteRequest v2, Kafka 4.0): a pre-vote carries the
/// prospective's current epoch, not a bumped one, and changes no state at the receiver.
public struct VoteRequest: Hashable, Sendable {
    public var clusterID: String?
    /// The replica the request is meant for (`VoterId`, v1+), -1 when unknown.
    public var voterID: Int32 = -1
    /// The candidate's epoch (`CandidateEpoch`; `ReplicaEpoch` from v2).
    public var candidateEpoch: Int32
    public var candidateID: Int32
    public var lastOffsetEpoch: Int32
    public var lastOffset: Int64
    public var preVote: Bool = false

    public init(clusterID: String? = nil, voterID: Int32 = -1, candidateEpoch: Int32, candidateID: Int32,
                lastOffsetEpoch: Int32, lastOffset: Int64, preVote: Bool = false) {
        self.clusterID = clusterID
        self.voterID = voterID
        self.candidateEpoch = candidateEpoch
        self.candidateID = candidateID
        self.lastOffsetEpoch = lastOffsetEpoch
        self.lastOffset = lastOffset
        self.preVote = preVote
    }
}

public struct VoteResponse: Hashable, Sendable {
    public var errorCode: RaftErrorCode
    /// The responder's known leader, -1 when unknown.
    public var leaderID: Int32
    /// The responder's epoch.
    public var leaderEpoch: Int32
    public var voteGranted: Bool

    public init(errorCode: RaftErrorCode, leaderID: Int32, leaderEpoch: Int32, voteGranted: Bool) {
        self.errorCode = errorCode
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
        self.voteGranted = voteGranted
    }
}

/// BeginQuorumEpoch (API 53): a new leader announces itself to the voters.
public struct BeginQuorumEpochRequest: Hashable, Sendable {
    public var clusterID: String?
    public var voterID: Int32 = -1
    public var leaderID: Int32
    public var leaderEpoch: Int32

    public init(clusterID: String? = nil, voterID: Int32 = -1, leaderID: Int32, leaderEpoch: Int32) {
        self.clusterID = clusterID
        self.voterID = voterID
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
    }
}

public struct BeginQuorumEpochResponse: Hashable, Sendable {
    public var errorCode: RaftErrorCode
    public var leaderID: Int32
    public var leaderEpoch: Int32

    public init(errorCode: RaftErrorCode, leaderID: Int32, leaderEpoch: Int32) {
        self.errorCode = errorCode
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
    }
}

/// EndQuorumEpoch (API 54): a resigning leader names its preferred successors, most caught up first
/// (`PreferredSuccessors` in v0, `PreferredCandidates[].CandidateId` in v1).
public struct EndQuorumEpochRequest: Hashable, Sendable {
    public var clusterID: String?
    public var leaderID: Int32
    public var leaderEpoch: Int32
    public var preferredSuccessors: [Int32]

    public init(clusterID: String? = nil, leaderID: Int32, leaderEpoch: Int32, preferredSuccessors: [Int32]) {
        self.clusterID = clusterID
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
        self.preferredSuccessors = preferredSuccessors
    }
}

public struct EndQuorumEpochResponse: Hashable, Sendable {
    public var errorCode: RaftErrorCode
    public var leaderID: Int32
    public var leaderEpoch: Int32

    public init(errorCode: RaftErrorCode, leaderID: Int32, leaderEpoch: Int32) {
        self.errorCode = errorCode
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
    }
}
