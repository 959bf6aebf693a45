/// Leader: the replica won the election for `epoch`. It tracks how far each voter and observer has
/// fetched and advances the high watermark to the offset a majority of voters has reached.
///
/// Invariants (Kafka's `LeaderState`): the leader's own position counts only once flushed; the high
/// watermark moves only when the majority position is beyond `epochStartOffset` -- so only entries of the
/// leader's own epoch (starting with its leader-change entry) commit the log -- and it never moves back.
/// `voterStates` holds exactly the current `voters` (the latest voter set in the leader's log, see
/// `LeaderState+Voters.swift`); a leader that removed itself keeps its own state among the observers.
public struct LeaderState: Hashable, Sendable {
    /// A replica's progress as the leader sees it (DescribeQuorum's `ReplicaState`).
    public struct ReplicaState: Hashable, Sendable {
        public var replicaID: Int32
        public var endOffset: Int64?
        public var lastFetchTimestamp: Int64 = -1
        public var lastCaughtUpTimestamp: Int64 = -1
        /// The leader's end offset at this replica's previous fetch.
        var lastFetchLeaderLogEndOffset: Int64 = -1
        public var hasAcknowledgedLeader = false

        /// Kafka's `ReplicaState.updateFollowerState`: a fetch at or past the leader's end offset means
        /// caught up now; a fetch past the end offset the leader had at the previous fetch means caught up
        /// as of that previous fetch.
        mutating func recordFetch(offset: Int64, now: Int64, leaderEndOffset: Int64) {
            if offset >= leaderEndOffset {
                lastCaughtUpTimestamp = max(lastCaughtUpTimestamp, now)
            } else if lastFetchLeaderLogEndOffset > 0, offset >= lastFetchLeaderLogEndOffset {
                lastCaughtUpTimestamp = max(lastCaughtUpTimestamp, lastFetchTimestamp)
            }
            lastFetchLeaderLogEndOffset = leaderEndOffset
            lastFetchTimestamp = max(lastFetchTimestamp, now)
            endOffset = offset
        }
    }

    /// A Fetch that found no new data, parked until data arrives or `deadline` (long poll).
    struct ParkedFetch: Hashable, Sendable {
        var source: Int32
        var correlationID: Int32
        var request: FetchRequest
        var deadline: Int64
    }

    public let epoch: Int32
    public let localID: Int32
    public let epochStartOffset: Int64
    public internal(set) var voters: VoterSet
    public let grantingVoters: Set<Int32>
    public internal(set) var voterStates: [Int32: ReplicaState]
    public internal(set) var observerStates: [Int32: ReplicaState] = [:]
    public internal(set) var highWatermark: Int64?
    /// Voters (besides the leader) that fetched since the check-quorum timer was last reset.
    var fetchedVoters: Set<Int32> = []
    /// The AddRaftVoter or RemoveRaftVoter in progress (at most one).
    public internal(set) var pendingVoterChange: PendingVoterChange?
    public private(set) var checkQuorumDeadline: Int64
    var beginQuorumEpochDeadline: Int64
    var parkedFetches: [ParkedFetch] = []
    let checkQuorumTimeoutMs: Int64

    init(epoch: Int32, localID: Int32, epochStartOffset: Int64, voters: VoterSet, grantingVoters: Set<Int32>,
         now: Int64, config: QuorumConfig) {
        self.epoch = epoch
        self.localID = localID
        self.epochStartOffset = epochStartOffset
        self.voters = voters
        self.grantingVoters = grantingVoters
        voterStates = Dictionary(uniqueKeysWithValues: voters.ids.map { ($0, ReplicaState(replicaID: $0)) })
        voterStates[localID]?.hasAcknowledgedLeader = true
        checkQuorumTimeoutMs = config.checkQuorumTimeoutMs
        checkQuorumDeadline = now + config.checkQuorumTimeoutMs
        beginQuorumEpochDeadline = now
    }

    /// The leader's flushed end offset moved; returns true when the high watermark advanced.
    mutating func updateLocalState(endOffset: Int64, now: Int64) -> Bool {
        var local = voterStates[localID] ?? observerStates[localID] ?? ReplicaState(replicaID: localID)
        local.endOffset = endOffset
        local.lastFetchTimestamp = now
        local.lastCaughtUpTimestamp = now
        if voters.contains(localID) { voterStates[localID] = local } else { observerStates[localID] = local }
        return maybeUpdateHighWatermark()
    }

    /// A valid Fetch from `replicaID` at `fetchOffset`; returns true when the high watermark advanced.
    mutating func updateReplicaState(replicaID: Int32, fetchOffset: Int64, now: Int64, leaderEndOffset: Int64) -> Bool {
        guard replicaID != localID else { return false }
        if voters.contains(replicaID) {
            voterStates[replicaID, default: ReplicaState(replicaID: replicaID)]
                .recordFetch(offset: fetchOffset, now: now, leaderEndOffset: leaderEndOffset)
            recordVoterFetch(replicaID, now: now)
            return maybeUpdateHighWatermark()
        }
        observerStates[replicaID, default: ReplicaState(replicaID: replicaID)]
            .recordFetch(offset: fetchOffset, now: now, leaderEndOffset: leaderEndOffset)
        return false
    }

    /// Check-quorum bookkeeping: once a majority (counting the leader) has fetched, restart the timer.
    mutating func recordVoterFetch(_ voterID: Int32, now: Int64) {
        fetchedVoters.insert(voterID)
        if fetchedVoters.count + (voters.contains(localID) ? 1 : 0) >= voters.majority {
            fetchedVoters.removeAll()
            checkQuorumDeadline = now + checkQuorumTimeoutMs
        }
    }

    mutating func addAcknowledgement(from voterID: Int32) {
        voterStates[voterID]?.hasAcknowledgedLeader = true
    }

    /// The `majority`-th largest voter end offset becomes the high watermark if it lies beyond the epoch
    /// start offset and above the current one.
    mutating func maybeUpdateHighWatermark() -> Bool {
        let offsets = voterStates.values.map { $0.endOffset ?? -1 }.sorted(by: >)
        let candidate = offsets[voters.majority - 1]
        guard candidate > epochStartOffset else { return false }
        if let highWatermark, candidate <= highWatermark { return false }
        highWatermark = candidate
        return true
    }

    /// Voters other than the leader, the furthest fetched first (ties by id): the preferred successors.
    public var nonLeaderVotersByDescendingFetchOffset: [Int32] {
        voterStates.values
            .filter { $0.replicaID != localID }
            .sorted { ($0.endOffset ?? -1, -$0.replicaID) > ($1.endOffset ?? -1, -$1.replicaID) }
            .map(\.replicaID)
    }

    /// True when the check-quorum timer expired: a majority has not fetched within the timeout.
    func hasCheckQuorumExpired(now: Int64) -> Bool {
        !voters.isOnlyVoter(localID) && now >= checkQuorumDeadline
    }
}
