/// Unattached: the replica knows an epoch but no leader for it. It may have cast its (binding) vote in
/// this epoch (`votedID`; Kafka 3.9 called this the Voted state). A voter becomes Prospective when the
/// election deadline passes; an observer (deadline `Int64.max`) waits to learn the leader.
public struct UnattachedState: Hashable, Sendable {
    public var epoch: Int32
    public var votedID: Int32?
    public var electionDeadline: Int64
    public var highWatermark: Int64?

    /// Kafka's `unattachedOrProspectiveCanGrantVote`: a pre-vote needs only an up-to-date log; a vote goes
    /// to the candidate already voted for, or, with no vote and no known leader, to an up-to-date one.
    static func canGrantVote(leaderID: Int32?, votedID: Int32?, candidateID: Int32, isLogUpToDate: Bool,
                             isPreVote: Bool) -> Bool {
        if isPreVote { return isLogUpToDate }
        if let votedID { return votedID == candidateID }
        if leaderID != nil { return false }
        return isLogUpToDate
    }
}

/// Prospective (KIP-996): the replica's election or fetch timeout expired and it asks the voters for
/// pre-votes in its current epoch, without bumping it. A majority of grants makes it a Candidate; losing
/// or timing out sends it back to following `leaderID` if it knew one, else to Unattached.
public struct ProspectiveState: Hashable, Sendable {
    public var epoch: Int32
    public var leaderID: Int32?
    public var votedID: Int32?
    public var election: EpochElection
    public var retries: Int
    public var electionDeadline: Int64
    public var highWatermark: Int64?
}

/// Candidate: the replica bumped the epoch, voted for itself (persisted) and asks for votes. Losing or
/// timing out starts a randomised backoff, after which it goes back to Prospective.
public struct CandidateState: Hashable, Sendable {
    public var epoch: Int32
    public var election: EpochElection
    public var retries: Int
    public var electionDeadline: Int64
    /// Set once the election is lost or timed out: when the backoff ends.
    public var backoffDeadline: Int64?
    public var highWatermark: Int64?
}

/// Follower: the replica knows the leader of its epoch and fetches from it. A voter that has not had a
/// successful Fetch for `fetchTimeoutMs` becomes Prospective; an observer looks for the leader elsewhere.
public struct FollowerState: Hashable, Sendable {
    public var epoch: Int32
    public var leaderID: Int32
    /// A vote cast earlier in this epoch, kept so the replica never votes twice in one epoch.
    public var votedID: Int32?
    public var fetchDeadline: Int64
    /// True once a Fetch to the leader succeeded in this state; until then a pre-vote may be granted.
    public var hasFetchedFromLeader = false
    /// True once the leader accepted this voter's UpdateRaftVoter in this state (KIP-853).
    public var hasUpdatedLeader = false
    /// After a refused UpdateRaftVoter, when to try again (fetching meanwhile).
    public var updateVoterRetryAt: Int64 = 0
    public var highWatermark: Int64?
    /// KIP-630: the leader's snapshot being downloaded instead of fetching entries.
    public var fetchingSnapshot: FetchingSnapshot?
}

/// A snapshot a follower downloads with FetchSnapshot: `position` bytes of it are written so far, of `size`
/// (known from the first answer).
public struct FetchingSnapshot: Hashable, Sendable {
    public var id: OffsetAndEpoch
    public var position: Int64 = 0
    public var size: Int64?
}

/// Resigned: the replica was leader of `epoch` and steps down (check-quorum, shutdown, or a restart of a
/// former leader). It tells the voters with EndQuorumEpoch until each acknowledges, and after its election
/// timeout moves to Unattached in the next epoch.
public struct ResignedState: Hashable, Sendable {
    public var epoch: Int32
    public var preferredSuccessors: [Int32]
    public var unackedVoters: Set<Int32>
    public var electionDeadline: Int64
}
