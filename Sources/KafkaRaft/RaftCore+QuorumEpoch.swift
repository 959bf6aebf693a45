/// BeginQuorumEpoch (a new leader announces itself) and EndQuorumEpoch (a leader resigns and names its
/// preferred successors).
extension RaftCore {
    /// Errors: FENCED_LEADER_EPOCH for an epoch below ours, INCONSISTENT_VOTER_SET when the leader is not
    /// a voter, INVALID_REQUEST when it names us or a negative id, or an epoch with no successor.
    mutating func handleBeginQuorumEpochRequest(_ request: BeginQuorumEpochRequest, envelope: RaftEnvelope,
                                                now: Int64, into actions: inout [RaftAction]) {
        if let error = validateVoterOnlyRequest(leaderID: request.leaderID, epoch: request.leaderEpoch,
                                                voterID: request.voterID) {
            return respond(.beginQuorumEpochResponse(BeginQuorumEpochResponse(
                errorCode: error, leaderID: leaderID ?? -1, leaderEpoch: epoch)), to: envelope, into: &actions)
        }
        maybeTransition(leaderID: request.leaderID, epoch: request.leaderEpoch, now: now, into: &actions)
        respond(.beginQuorumEpochResponse(BeginQuorumEpochResponse(
            errorCode: .none, leaderID: leaderID ?? -1, leaderEpoch: epoch)), to: envelope, into: &actions)
    }

    mutating func handleBeginQuorumEpochResponse(_ response: BeginQuorumEpochResponse, from source: Int32, now: Int64,
                                                 into actions: inout [RaftAction]) -> Bool {
        if let handled = handleCommonResponse(error: response.errorCode, leaderID: response.leaderID >= 0 ? response.leaderID : nil,
                                              epoch: response.leaderEpoch, now: now, into: &actions) {
            return handled
        }
        if case .leader(var leader) = state {
            leader.addAcknowledgement(from: source)
            state = .leader(leader)
        }
        return true
    }

    /// A follower of the resigning leader shortens its fetch timeout by its place among the preferred
    /// successors: the first starts an election at once.
    mutating func handleEndQuorumEpochRequest(_ request: EndQuorumEpochRequest, envelope: RaftEnvelope, now: Int64,
                                              into actions: inout [RaftAction]) {
        if let error = validateVoterOnlyRequest(leaderID: request.leaderID, epoch: request.leaderEpoch, voterID: -1) {
            return respond(.endQuorumEpochResponse(EndQuorumEpochResponse(
                errorCode: error, leaderID: leaderID ?? -1, leaderEpoch: epoch)), to: envelope, into: &actions)
        }
        maybeTransition(leaderID: request.leaderID, epoch: request.leaderEpoch, now: now, into: &actions)
        if case .follower(var follower) = state, follower.leaderID == request.leaderID {
            let position = request.preferredSuccessors.firstIndex(of: localID) ?? request.preferredSuccessors.count
            follower.fetchDeadline = now + strictExponentialElectionBackoffMs(
                position: position, successors: request.preferredSuccessors.count)
            state = .follower(follower)
        }
        respond(.endQuorumEpochResponse(EndQuorumEpochResponse(
            errorCode: .none, leaderID: leaderID ?? -1, leaderEpoch: epoch)), to: envelope, into: &actions)
    }

    mutating func handleEndQuorumEpochResponse(_ response: EndQuorumEpochResponse, from source: Int32, now: Int64,
                                               into actions: inout [RaftAction]) -> Bool {
        if let handled = handleCommonResponse(error: response.errorCode, leaderID: response.leaderID >= 0 ? response.leaderID : nil,
                                              epoch: response.leaderEpoch, now: now, into: &actions) {
            return handled
        }
        if case .resigned(var resigned) = state {
            resigned.unackedVoters.remove(source)
            state = .resigned(resigned)
        }
        return true
    }

    /// Kafka's `validateVoterOnlyRequest`, plus KIP-595's voter-set check.
    func validateVoterOnlyRequest(leaderID requestLeader: Int32, epoch requestEpoch: Int32,
                                  voterID: Int32) -> RaftErrorCode? {
        if requestEpoch < epoch { return .fencedLeaderEpoch }
        if requestLeader < 0 || requestLeader == localID || !Self.isUsableEpoch(requestEpoch) { return .invalidRequest }
        // The leader we follow stays acceptable after it left the voter set (KIP-853: it resigns then).
        let isKnownLeader = requestLeader == leaderID && requestEpoch == epoch
        if (!voters.contains(requestLeader) && !isKnownLeader) || (voterID >= 0 && voterID != localID) {
            return .inconsistentVoterSet
        }
        return nil
    }
}
