/// KIP-853's membership RPCs, answered by the leader. AddRaftVoter and RemoveRaftVoter come from admin
/// clients: the shell delivers them in an envelope whose `source` is `RaftEnvelope.adminClient` and whose
/// `correlationID` it chose to find the client connection again; the answer is a `send` action with
/// destination `RaftEnvelope.adminClient` and that correlation id. UpdateRaftVoter comes from a voter
/// (its id as `source`) and is answered like any replica request.
extension RaftEnvelope {
    /// The reserved `source`/`destination` of an admin client (replica ids are never negative).
    public static let adminClient: Int32 = -1

    public var isForAdminClient: Bool { destination == Self.adminClient }
}

/// AddRaftVoter (API 80).
public struct AddRaftVoterRequest: Hashable, Sendable {
    public var clusterID: String?
    /// How long the leader waits for the new voter set to commit before answering REQUEST_TIMED_OUT.
    public var timeoutMs: Int32
    public var voterID: Int32
    public var voterDirectoryID: DirectoryID
    public var listeners: [VoterSet.Endpoint]
    /// Not a field of the request: Kafka learns it from an ApiVersions round trip to the new voter. The
    /// shell does that round trip, or leaves the default (what every Strom replica supports).
    public var supportedKRaftVersions: VoterSet.KRaftVersionRange
    /// v1 (KIP-1186): false answers once the `VotersRecord` is appended, without waiting for the new
    /// voter set to commit (which may need the new voter itself).
    public var ackWhenCommitted: Bool

    public init(clusterID: String? = nil, timeoutMs: Int32, voterID: Int32, voterDirectoryID: DirectoryID,
                listeners: [VoterSet.Endpoint], supportedKRaftVersions: VoterSet.KRaftVersionRange = .strom,
                ackWhenCommitted: Bool = true) {
        self.clusterID = clusterID
        self.timeoutMs = timeoutMs
        self.voterID = voterID
        self.voterDirectoryID = voterDirectoryID
        self.listeners = listeners
        self.supportedKRaftVersions = supportedKRaftVersions
        self.ackWhenCommitted = ackWhenCommitted
    }
}

/// AddRaftVoterResponse and RemoveRaftVoterResponse (`ThrottleTimeMs` is the shell's).
public struct RaftVoterChangeResponse: Hashable, Sendable {
    public var errorCode: RaftErrorCode
    public var errorMessage: String?

    public init(errorCode: RaftErrorCode, errorMessage: String? = nil) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// RemoveRaftVoter (API 81).
public struct RemoveRaftVoterRequest: Hashable, Sendable {
    public var clusterID: String?
    public var voterID: Int32
    public var voterDirectoryID: DirectoryID

    public init(clusterID: String? = nil, voterID: Int32, voterDirectoryID: DirectoryID) {
        self.clusterID = clusterID
        self.voterID = voterID
        self.voterDirectoryID = voterDirectoryID
    }
}

/// UpdateRaftVoter (API 82): a voter tells the leader its current endpoints and supported kraft.version.
public struct UpdateRaftVoterRequest: Hashable, Sendable {
    public var clusterID: String?
    /// -1 when the voter does not know the epoch.
    public var currentLeaderEpoch: Int32
    public var voterID: Int32
    public var voterDirectoryID: DirectoryID
    public var listeners: [VoterSet.Endpoint]
    public var kraftVersionFeature: VoterSet.KRaftVersionRange

    public init(clusterID: String? = nil, currentLeaderEpoch: Int32, voterID: Int32, voterDirectoryID: DirectoryID,
                listeners: [VoterSet.Endpoint], kraftVersionFeature: VoterSet.KRaftVersionRange) {
        self.clusterID = clusterID
        self.currentLeaderEpoch = currentLeaderEpoch
        self.voterID = voterID
        self.voterDirectoryID = voterDirectoryID
        self.listeners = listeners
        self.kraftVersionFeature = kraftVersionFeature
    }
}

public struct UpdateRaftVoterResponse: Hashable, Sendable {
    public var errorCode: RaftErrorCode
    /// `CurrentLeader.LeaderId`, -1 when unknown.
    public var leaderID: Int32
    /// `CurrentLeader.LeaderEpoch`.
    public var leaderEpoch: Int32
    /// `CurrentLeader.Host`/`Port`: the leader's endpoint on the configured listener ("" and -1 when unknown).
    public var host: String
    public var port: Int32

    public init(errorCode: RaftErrorCode, leaderID: Int32, leaderEpoch: Int32, host: String = "", port: Int32 = -1) {
        self.errorCode = errorCode
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
        self.host = host
        self.port = port
    }
}
