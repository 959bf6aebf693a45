/// The election state a replica persists in its `quorum-state` file before it announces a vote or a
/// leadership (Kafka's `QuorumStateData`, schema `raft/QuorumStateData.json`, versions 0-1).
///
/// Fields: `leaderEpoch`, `leaderId` (-1 when unknown), `votedId` (-1 when no vote in this epoch),
/// `votedDirectoryId` (v1), and in v0 `clusterId`, `appliedOffset` and `currentVoters`. The file is one
/// JSON object on one line with an extra `data_version` field (see `QuorumStateData+JSON.swift`).
/// Invariant: a replica never writes an epoch lower than one it wrote before.
public struct QuorumStateData: Hashable, Sendable {
    public var leaderEpoch: Int32
    public var leaderID: Int32
    public var votedID: Int32
    public var votedDirectoryID: DirectoryID
    /// v0 only; Kafka writes "".
    public var clusterID: String
    /// v0 only; Kafka writes 0.
    public var appliedOffset: Int64
    /// v0 only: the static voter set (nil is JSON null). v1 leaves voters to the log (KIP-853).
    public var currentVoters: [Int32]?

    public init(
        leaderEpoch: Int32,
        leaderID: Int32 = -1,
        votedID: Int32 = -1,
        votedDirectoryID: DirectoryID = .zero,
        clusterID: String = "",
        appliedOffset: Int64 = 0,
        currentVoters: [Int32]? = nil
    ) {
        self.leaderEpoch = leaderEpoch
        self.leaderID = leaderID
        self.votedID = votedID
        self.votedDirectoryID = votedDirectoryID
        self.clusterID = clusterID
        self.appliedOffset = appliedOffset
        self.currentVoters = currentVoters
    }

    public var hasLeader: Bool { leaderID >= 0 }
    public var hasVoted: Bool { votedID >= 0 }
}
