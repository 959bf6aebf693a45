/// DescribeQuorum (API 55): the leader's view of every voter and of observers heard from recently (a
/// removed voter that never fetched is not listed).
extension RaftCore {
    /// NOT_LEADER_OR_FOLLOWER unless this replica leads; the leader reports itself as caught up now.
    public func describeQuorum(now: Int64) -> DescribeQuorumResponse {
        guard case .leader(let leader) = state else {
            return DescribeQuorumResponse(errorCode: .notLeaderOrFollower, leaderID: leaderID ?? -1, leaderEpoch: epoch,
                                          highWatermark: -1, currentVoters: [], observers: [])
        }
        func described(_ replica: LeaderState.ReplicaState) -> DescribeQuorumResponse.ReplicaState {
            let isLocal = replica.replicaID == localID
            return .init(replicaID: replica.replicaID, logEndOffset: replica.endOffset ?? -1,
                         lastFetchTimestamp: isLocal ? now : replica.lastFetchTimestamp,
                         lastCaughtUpTimestamp: isLocal ? now : replica.lastCaughtUpTimestamp)
        }
        let voterStates = leader.voterStates.values.sorted { $0.replicaID < $1.replicaID }.map(described)
        let observerStates = leader.observerStates.values
            .filter { $0.lastFetchTimestamp >= 0 && now - $0.lastFetchTimestamp < config.observerSessionTimeoutMs }
            .sorted { $0.replicaID < $1.replicaID }
            .map(described)
        return DescribeQuorumResponse(errorCode: .none, leaderID: localID, leaderEpoch: epoch,
                                      highWatermark: leader.highWatermark ?? -1, currentVoters: voterStates,
                                      observers: observerStates)
    }
}
