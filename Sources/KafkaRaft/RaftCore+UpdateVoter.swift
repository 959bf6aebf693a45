/// KIP-853 at a voter: once it follows a leader and has fetched from it, a voter whose entry in the voter
/// set differs from what it is (`QuorumConfig.localListeners`, `localDirectoryID`, Strom's kraft.version
/// range) sends UpdateRaftVoter in place of its next Fetch, until the leader accepts it in this epoch
/// (Kafka's `pollFollowerAsVoter`). It waits until it knows a high watermark (the leader committed in its
/// epoch). A refused update (REQUEST_TIMED_OUT while another change is pending, ...) is retried after
/// `requestTimeoutMs`, fetching meanwhile: the leader connection is not backed off, or the leader would
/// miss this voter's fetches.
extension RaftCore {
    /// The voter entry this replica would have the leader write.
    var localVoter: VoterSet.Voter {
        let current = voters.voter(localID)
        return VoterSet.Voter(voterID: localID,
                              voterDirectoryID: config.localDirectoryID == .zero
                                  ? current?.voterDirectoryID ?? .zero : config.localDirectoryID,
                              endpoints: config.localListeners, kraftVersionFeature: .strom)
    }

    func shouldSendUpdateRaftVoter(_ follower: FollowerState, now: Int64) -> Bool {
        guard !config.localListeners.isEmpty, controlRecords.kraftVersion >= 1, follower.hasFetchedFromLeader,
              follower.highWatermark != nil, !follower.hasUpdatedLeader, now >= follower.updateVoterRetryAt,
              let current = voters.voter(localID) else { return false }
        return current != localVoter
    }

    mutating func sendUpdateRaftVoter(to leader: Int32, now: Int64, into actions: inout [RaftAction]) {
        let voter = localVoter
        send(.updateRaftVoterRequest(UpdateRaftVoterRequest(
            clusterID: clusterID, currentLeaderEpoch: epoch, voterID: localID, voterDirectoryID: voter.voterDirectoryID,
            listeners: voter.endpoints, kraftVersionFeature: voter.kraftVersionFeature)),
             to: leader, now: now, into: &actions)
    }

    mutating func handleUpdateRaftVoterResponse(_ response: UpdateRaftVoterResponse, now: Int64,
                                                into actions: inout [RaftAction]) -> Bool {
        let handled = handleCommonResponse(error: response.errorCode,
                                           leaderID: response.leaderID >= 0 ? response.leaderID : nil,
                                           epoch: response.leaderEpoch, now: now, into: &actions)
        guard handled != true, case .follower(var follower) = state else { return true }
        if handled == nil {
            follower.hasUpdatedLeader = true
        } else {
            follower.updateVoterRetryAt = now + config.requestTimeoutMs
        }
        state = .follower(follower)
        return true
    }
}
