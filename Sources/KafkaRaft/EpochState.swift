/// The replica's state in the current epoch. `QuorumState`-style transitions (see `RaftCore+Transitions`)
/// are the only way it changes:
///
///     Unattached  -> Unattached (higher epoch, or a vote cast), Prospective (election timeout), Follower
///     Prospective -> Unattached (higher epoch, or lost with no known leader), Candidate (majority of
///                    pre-votes), Follower (leader found, or lost while a leader was known)
///     Candidate   -> Unattached (higher epoch), Prospective (lost or timed out, after backoff), Leader
///     Leader      -> Unattached (higher epoch), Resigned (check-quorum or shutdown), Follower
///     Follower    -> Unattached (higher epoch), Prospective (fetch timeout), Follower (higher epoch)
///     Resigned    -> Unattached (higher epoch, or election timeout: epoch + 1), Follower
///
/// Observers only move between Unattached and Follower.
public enum EpochState: Hashable, Sendable {
    case unattached(UnattachedState)
    case prospective(ProspectiveState)
    case candidate(CandidateState)
    case leader(LeaderState)
    case follower(FollowerState)
    case resigned(ResignedState)

    public var epoch: Int32 {
        switch self {
        case .unattached(let state): state.epoch
        case .prospective(let state): state.epoch
        case .candidate(let state): state.epoch
        case .leader(let state): state.epoch
        case .follower(let state): state.epoch
        case .resigned(let state): state.epoch
        }
    }

    /// The leader of the epoch as far as this replica knows (itself when Leader or Resigned).
    public func leaderID(localID: Int32) -> Int32? {
        switch self {
        case .unattached, .candidate: nil
        case .prospective(let state): state.leaderID
        case .leader, .resigned: localID
        case .follower(let state): state.leaderID
        }
    }

    /// The replica this one voted for in the epoch (itself when Candidate).
    public func votedID(localID: Int32) -> Int32? {
        switch self {
        case .unattached(let state): state.votedID
        case .prospective(let state): state.votedID
        case .candidate: localID
        case .follower(let state): state.votedID
        case .leader, .resigned: nil
        }
    }

    public var highWatermark: Int64? {
        switch self {
        case .unattached(let state): state.highWatermark
        case .prospective(let state): state.highWatermark
        case .candidate(let state): state.highWatermark
        case .leader(let state): state.highWatermark
        case .follower(let state): state.highWatermark
        case .resigned: nil
        }
    }

    /// What the `quorum-state` file holds for this state.
    public func election(localID: Int32, voters: VoterSet) -> QuorumStateData {
        QuorumStateData(
            leaderEpoch: epoch,
            leaderID: leaderID(localID: localID) ?? -1,
            votedID: votedID(localID: localID) ?? -1,
            currentVoters: voters.sorted
        )
    }

    public var name: String {
        switch self {
        case .unattached: "Unattached"
        case .prospective: "Prospective"
        case .candidate: "Candidate"
        case .leader: "Leader"
        case .follower: "Follower"
        case .resigned: "Resigned"
        }
    }

    public var isLeader: Bool { if case .leader = self { true } else { false } }
}
