/// Kafka's `ReplicaKey`: a replica id and its log directory id (`.zero` when unknown).
public struct ReplicaKey: Hashable, Sendable, CustomStringConvertible {
    public var id: Int32
    public var directoryID: DirectoryID

    public init(id: Int32, directoryID: DirectoryID = .zero) {
        self.id = id
        self.directoryID = directoryID
    }

    public var description: String { directoryID == .zero ? "\(id)" : "\(id)/\(directoryID)" }
}

/// A control entry of the replicated log, one per Kafka control record the quorum writes. The wire layer
/// maps each case to its record (ControlRecordType and value schema):
///
///     leaderChange  2 LEADER_CHANGE  LeaderChangeMessage  (LeaderId, Voters, GrantingVoters)
///     kraftVersion  5 KRAFT_VERSION  KRaftVersionRecord   (KRaftVersion)
///     voters        6 KRAFT_VOTERS   VotersRecord         (Voters: VoterId, VoterDirectoryId, Endpoints,
///                                                          KRaftVersionFeature)
///
/// Invariant: the latest `voters` entry in a log (committed or not) is that replica's voter set, and the
/// latest `kraftVersion` entry its kraft.version; truncating the log below them reverts both.
public enum RaftControlRecord: Hashable, Sendable {
    case leaderChange(LeaderChange)
    case kraftVersion(Int16)
    case voters(VoterSet)
}

/// `LeaderChangeMessage`: written by a new leader as the first entry of its epoch; committing it commits
/// the epoch.
public struct LeaderChange: Hashable, Sendable {
    public var leaderID: Int32
    /// The voter set the leader was elected in.
    public var voters: [ReplicaKey]
    /// The voters that granted it their vote.
    public var grantingVoters: [ReplicaKey]

    public init(leaderID: Int32, voters: [ReplicaKey], grantingVoters: [ReplicaKey]) {
        self.leaderID = leaderID
        self.voters = voters
        self.grantingVoters = grantingVoters
    }
}
