/// Fetch (API 1) as the quorum uses it: followers and observers pull from the leader, naming the offset
/// they want next and the epoch of their last entry so the leader can detect a diverging log.
public struct FetchRequest: Hashable, Sendable {
    public var clusterID: String?
    /// `ReplicaState.ReplicaId` (v15+; `ReplicaId` before): who is fetching.
    public var replicaID: Int32
    public var maxWaitMs: Int64
    public var currentLeaderEpoch: Int32
    public var fetchOffset: Int64
    /// The epoch of the entry just before `fetchOffset` (0 for an empty log).
    public var lastFetchedEpoch: Int32
    /// The high watermark the fetcher knows (Fetch v18, KIP-1166; -1 when it knows none): the leader
    /// answers at once while its own is higher. `Int64.max` (the default, and every version before 18)
    /// says nothing.
    public var highWatermark: Int64

    public init(clusterID: String? = nil, replicaID: Int32, maxWaitMs: Int64, currentLeaderEpoch: Int32,
                fetchOffset: Int64, lastFetchedEpoch: Int32, highWatermark: Int64 = .max) {
        self.clusterID = clusterID
        self.replicaID = replicaID
        self.maxWaitMs = maxWaitMs
        self.currentLeaderEpoch = currentLeaderEpoch
        self.fetchOffset = fetchOffset
        self.lastFetchedEpoch = lastFetchedEpoch
        self.highWatermark = highWatermark
    }
}

public struct FetchResponse: Hashable, Sendable {
    /// FetchResponse's `EpochEndOffset`: the largest epoch and its end offset the two logs may share.
    public struct EpochEndOffset: Hashable, Sendable {
        public var epoch: Int32
        public var endOffset: Int64

        public init(epoch: Int32, endOffset: Int64) {
            self.epoch = epoch
            self.endOffset = endOffset
        }
    }

    public var errorCode: RaftErrorCode
    /// -1 when the leader does not know it yet.
    public var highWatermark: Int64
    public var logStartOffset: Int64
    /// Set when the fetcher's log diverges: truncate to this, then fetch again.
    public var divergingEpoch: EpochEndOffset?
    /// `SnapshotId` (KIP-630): set when the fetch offset is below the log start; fetch this snapshot.
    public var snapshotID: OffsetAndEpoch?
    /// `CurrentLeader.LeaderId`, -1 when unknown.
    public var leaderID: Int32
    /// `CurrentLeader.LeaderEpoch`.
    public var leaderEpoch: Int32
    /// Offset of the first entry in `records` (the request's fetch offset).
    public var recordsBaseOffset: Int64
    public var records: [RaftEntry]

    public init(errorCode: RaftErrorCode, highWatermark: Int64, logStartOffset: Int64 = 0,
                divergingEpoch: EpochEndOffset? = nil, leaderID: Int32, leaderEpoch: Int32,
                recordsBaseOffset: Int64 = 0, records: [RaftEntry] = [], snapshotID: OffsetAndEpoch? = nil) {
        self.errorCode = errorCode
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.divergingEpoch = divergingEpoch
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
        self.recordsBaseOffset = recordsBaseOffset
        self.records = records
        self.snapshotID = snapshotID
    }
}

/// DescribeQuorum (API 55) as answered by the leader: every voter's and recent observer's progress.
public struct DescribeQuorumResponse: Hashable, Sendable {
    /// DescribeQuorumResponse's `ReplicaState`.
    public struct ReplicaState: Hashable, Sendable {
        public var replicaID: Int32
        /// -1 when unknown.
        public var logEndOffset: Int64
        /// -1 when unknown.
        public var lastFetchTimestamp: Int64
        /// -1 when unknown.
        public var lastCaughtUpTimestamp: Int64

        public init(replicaID: Int32, logEndOffset: Int64, lastFetchTimestamp: Int64, lastCaughtUpTimestamp: Int64) {
            self.replicaID = replicaID
            self.logEndOffset = logEndOffset
            self.lastFetchTimestamp = lastFetchTimestamp
            self.lastCaughtUpTimestamp = lastCaughtUpTimestamp
        }
    }

    public var errorCode: RaftErrorCode
    public var leaderID: Int32
    public var leaderEpoch: Int32
    public var highWatermark: Int64
    public var currentVoters: [ReplicaState]
    public var observers: [ReplicaState]
}
