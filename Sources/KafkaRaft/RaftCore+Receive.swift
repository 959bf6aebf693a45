/// Dispatch of received messages, and the handling every response shares (Kafka's
/// `maybeHandleCommonResponse`).
extension RaftCore {
    mutating func receive(_ envelope: RaftEnvelope, now: Int64, into actions: inout [RaftAction]) {
        if envelope.message.isRequest {
            receiveRequest(envelope, now: now, into: &actions)
            return
        }
        guard requests.isResponseExpected(from: envelope.source, correlationID: envelope.correlationID) else { return }
        let success: Bool
        switch envelope.message {
        case .voteResponse(let response):
            success = handleVoteResponse(response, from: envelope.source, now: now, into: &actions)
        case .beginQuorumEpochResponse(let response):
            success = handleBeginQuorumEpochResponse(response, from: envelope.source, now: now, into: &actions)
        case .endQuorumEpochResponse(let response):
            success = handleEndQuorumEpochResponse(response, from: envelope.source, now: now, into: &actions)
        case .fetchResponse(let response):
            success = handleFetchResponse(response, from: envelope.source, now: now, into: &actions)
        case .fetchSnapshotResponse(let response):
            success = handleFetchSnapshotResponse(response, from: envelope.source, now: now, into: &actions)
        case .updateRaftVoterResponse(let response):
            success = handleUpdateRaftVoterResponse(response, now: now, into: &actions)
        default:
            success = false
        }
        requests.onResponse(from: envelope.source, success: success, now: now, backoffMs: config.retryBackoffMs)
    }

    private mutating func receiveRequest(_ envelope: RaftEnvelope, now: Int64, into actions: inout [RaftAction]) {
        switch envelope.message {
        case .voteRequest(let request):
            guard hasValidClusterID(request.clusterID) else {
                return respond(.voteResponse(voteResponse(.inconsistentClusterID, granted: false)), to: envelope,
                               into: &actions)
            }
            handleVoteRequest(request, envelope: envelope, now: now, into: &actions)
        case .beginQuorumEpochRequest(let request):
            guard hasValidClusterID(request.clusterID) else {
                return respond(.beginQuorumEpochResponse(BeginQuorumEpochResponse(
                    errorCode: .inconsistentClusterID, leaderID: leaderID ?? -1, leaderEpoch: epoch)),
                               to: envelope, into: &actions)
            }
            handleBeginQuorumEpochRequest(request, envelope: envelope, now: now, into: &actions)
        case .endQuorumEpochRequest(let request):
            guard hasValidClusterID(request.clusterID) else {
                return respond(.endQuorumEpochResponse(EndQuorumEpochResponse(
                    errorCode: .inconsistentClusterID, leaderID: leaderID ?? -1, leaderEpoch: epoch)),
                               to: envelope, into: &actions)
            }
            handleEndQuorumEpochRequest(request, envelope: envelope, now: now, into: &actions)
        case .fetchRequest(let request):
            guard hasValidClusterID(request.clusterID) else {
                return respond(.fetchResponse(errorFetchResponse(.inconsistentClusterID)), to: envelope, into: &actions)
            }
            handleFetchRequest(request, envelope: envelope, now: now, into: &actions)
        case .fetchSnapshotRequest(let request):
            guard hasValidClusterID(request.clusterID) else {
                return respond(.fetchSnapshotResponse(FetchSnapshotResponse(
                    errorCode: .inconsistentClusterID, snapshotID: request.snapshotID, leaderID: leaderID ?? -1,
                    leaderEpoch: epoch)), to: envelope, into: &actions)
            }
            handleFetchSnapshotRequest(request, envelope: envelope, now: now, into: &actions)
        case .addRaftVoterRequest, .removeRaftVoterRequest, .updateRaftVoterRequest:
            receiveVoterChangeRequest(envelope, now: now, into: &actions)
        default:
            break
        }
    }

    /// Whether a replica may move to `epoch` when another replica names it: `Int32.max` is refused, since a
    /// replica in it could never start another election, and negative epochs do not exist. A replica's own
    /// elections stop at `Int32.max` rather than overflow (`transitionToCandidate`).
    static func isUsableEpoch(_ epoch: Int32) -> Bool {
        epoch >= 0 && epoch < Int32.max
    }

    /// A request without a cluster id is accepted (Kafka does not enforce a missing one).
    func hasValidClusterID(_ requestClusterID: String?) -> Bool {
        requestClusterID == nil || clusterID == nil || requestClusterID == clusterID
    }

    /// Returns nil when the response is for the API handler, else whether it was handled successfully.
    mutating func handleCommonResponse(error: RaftErrorCode, leaderID reportedLeader: Int32?, epoch reportedEpoch: Int32,
                                       now: Int64, into actions: inout [RaftAction]) -> Bool? {
        // An epoch with no successor is never adopted from another replica (see `isUsableEpoch`): such an
        // answer is a failure. (A replica that reached it by its own election still hears answers in it.)
        if reportedEpoch > epoch && reportedEpoch == Int32.max { return false }
        if reportedEpoch < epoch || error == .unknownLeaderEpoch {
            return true  // we already moved on to a later epoch
        }
        if reportedEpoch > epoch || error == .fencedLeaderEpoch || error == .notLeaderOrFollower {
            maybeTransition(leaderID: reportedLeader, epoch: reportedEpoch, now: now, into: &actions)
            return true
        }
        if let reportedLeader, leaderID == nil, reportedLeader != localID, voters.contains(reportedLeader) {
            transitionToFollower(epoch: reportedEpoch, leaderID: reportedLeader, now: now, into: &actions)
            return error == .none ? nil : true
        }
        if error != .none { return false }
        return nil
    }

    func voteResponse(_ error: RaftErrorCode, granted: Bool) -> VoteResponse {
        VoteResponse(errorCode: error, leaderID: leaderID ?? -1, leaderEpoch: epoch, voteGranted: granted)
    }

    func errorFetchResponse(_ error: RaftErrorCode) -> FetchResponse {
        FetchResponse(errorCode: error, highWatermark: -1, logStartOffset: log.logStartOffset,
                      leaderID: leaderID ?? -1, leaderEpoch: epoch)
    }
}
