/// KIP-853 at the leader: AddRaftVoter, RemoveRaftVoter and UpdateRaftVoter append a `VotersRecord`
/// (Kafka's `AddVoterHandler`, `RemoveVoterHandler`, `UpdateVoterHandler`), and every replica follows
/// the voter set its log holds.
///
/// Checks, in order (the first failing one answers): NOT_LEADER_OR_FOLLOWER unless leading (UpdateRaftVoter
/// first FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH for another epoch); INCONSISTENT_CLUSTER_ID;
/// INVALID_REQUEST for a negative id or (add, update) no endpoint on `config.listenerName`;
/// REQUEST_TIMED_OUT while another add or remove is in flight or before the leader committed in its
/// epoch; UNSUPPORTED_VERSION under kraft.version 0; REQUEST_TIMED_OUT while the latest `VotersRecord` is
/// uncommitted; then DUPLICATE_VOTER (add), VOTER_NOT_FOUND (remove or update of an unknown voter, or
/// removing the last one), INVALID_REQUEST when the voter does not support the kraft.version, and
/// REQUEST_TIMED_OUT (add) unless the new voter is an observer that fetched within the fetch timeout
/// and reached the high watermark. Add and remove answer NONE once the new set commits (high watermark
/// beyond the record), REQUEST_TIMED_OUT at their deadline, NOT_LEADER_OR_FOLLOWER if leadership ends
/// first; an add that does not ask to be acknowledged on commit (AddRaftVoter v1's AckWhenCommitted
/// false, KIP-1186) and update answer NONE once the record is appended (the next change still waits
/// for it to commit). A leader that removed itself resigns once that change commits.
extension RaftCore {
    mutating func receiveVoterChangeRequest(_ envelope: RaftEnvelope, now: Int64, into actions: inout [RaftAction]) {
        switch envelope.message {
        case .addRaftVoterRequest(let request):
            if let error = addRaftVoter(request, envelope: envelope, now: now, into: &actions) {
                respond(.addRaftVoterResponse(RaftVoterChangeResponse(errorCode: error)), to: envelope, into: &actions)
            }
        case .removeRaftVoterRequest(let request):
            if let error = removeRaftVoter(request, envelope: envelope, now: now, into: &actions) {
                respond(.removeRaftVoterResponse(RaftVoterChangeResponse(errorCode: error)), to: envelope,
                        into: &actions)
            }
        case .updateRaftVoterRequest(let request):
            let error = updateRaftVoter(request, now: now, into: &actions)
            let leaderEndpoint = leaderID.flatMap { voters.voter($0) }?.endpoint(named: config.listenerName)
            respond(.updateRaftVoterResponse(UpdateRaftVoterResponse(
                errorCode: error, leaderID: leaderID ?? -1, leaderEpoch: epoch, host: leaderEndpoint?.host ?? "",
                port: leaderEndpoint.map { Int32($0.port) } ?? -1)), to: envelope, into: &actions)
        default:
            break
        }
    }

    /// Returns the error to answer now, or nil when the change is pending (answered later).
    private mutating func addRaftVoter(_ request: AddRaftVoterRequest, envelope: RaftEnvelope, now: Int64,
                                       into actions: inout [RaftAction]) -> RaftErrorCode? {
        guard case .leader(let leader) = state else { return .notLeaderOrFollower }
        guard hasValidClusterID(request.clusterID) else { return .inconsistentClusterID }
        guard request.voterID >= 0, hasListener(request.listeners) else { return .invalidRequest }
        if let error = voterChangePrecondition(leader, now: now, into: &actions) { return error }
        if voters.contains(request.voterID) { return .duplicateVoter }
        guard request.supportedKRaftVersions.contains(controlRecords.kraftVersion) else { return .invalidRequest }
        guard leader.isCaughtUpObserver(request.voterID, now: now, fetchTimeoutMs: config.fetchTimeoutMs) else {
            return .requestTimedOut
        }
        let voter = VoterSet.Voter(voterID: request.voterID, voterDirectoryID: request.voterDirectoryID,
                                   endpoints: request.listeners, kraftVersionFeature: request.supportedKRaftVersions)
        guard let newVoters = voters.adding(voter) else { return .duplicateVoter }
        let offset = appendVotersRecord(newVoters, now: now, into: &actions)
        guard request.ackWhenCommitted else { return RaftErrorCode.none }
        setPendingVoterChange(LeaderState.PendingVoterChange(
            kind: .add(ReplicaKey(id: request.voterID, directoryID: request.voterDirectoryID)),
            replyTo: envelope.source, correlationID: envelope.correlationID, offset: offset,
            deadline: now + Int64(max(0, request.timeoutMs))))
        return nil
    }

    private mutating func removeRaftVoter(_ request: RemoveRaftVoterRequest, envelope: RaftEnvelope, now: Int64,
                                          into actions: inout [RaftAction]) -> RaftErrorCode? {
        guard case .leader(let leader) = state else { return .notLeaderOrFollower }
        guard hasValidClusterID(request.clusterID) else { return .inconsistentClusterID }
        guard request.voterID >= 0 else { return .invalidRequest }
        if let error = voterChangePrecondition(leader, now: now, into: &actions) { return error }
        guard let newVoters = voters.removing(request.voterID, directoryID: request.voterDirectoryID) else {
            return .voterNotFound
        }
        let offset = appendVotersRecord(newVoters, now: now, into: &actions)
        setPendingVoterChange(LeaderState.PendingVoterChange(
            kind: .remove(ReplicaKey(id: request.voterID, directoryID: request.voterDirectoryID)),
            replyTo: envelope.source, correlationID: envelope.correlationID, offset: offset,
            deadline: now + config.requestTimeoutMs))
        return nil
    }

    /// Always answered at once (Kafka does not wait for the update to commit).
    private mutating func updateRaftVoter(_ request: UpdateRaftVoterRequest, now: Int64,
                                          into actions: inout [RaftAction]) -> RaftErrorCode {
        if request.currentLeaderEpoch >= 0 {
            if request.currentLeaderEpoch < epoch { return .fencedLeaderEpoch }
            if request.currentLeaderEpoch > epoch { return .unknownLeaderEpoch }
        }
        guard case .leader(let leader) = state else { return .notLeaderOrFollower }
        guard hasValidClusterID(request.clusterID) else { return .inconsistentClusterID }
        guard request.voterID >= 0, hasListener(request.listeners) else { return .invalidRequest }
        if let error = voterChangePrecondition(leader, now: now, into: &actions) { return error }
        guard request.kraftVersionFeature.contains(controlRecords.kraftVersion) else { return .invalidRequest }
        let voter = VoterSet.Voter(voterID: request.voterID, voterDirectoryID: request.voterDirectoryID,
                                   endpoints: request.listeners, kraftVersionFeature: request.kraftVersionFeature)
        guard let newVoters = voters.updating(voter) else { return .voterNotFound }
        _ = appendVotersRecord(newVoters, now: now, into: &actions)
        return .none
    }

    /// The checks every change shares: none in flight (an expired one is answered first), the epoch
    /// committed, kraft.version 1, the latest voter set committed.
    private mutating func voterChangePrecondition(_ leader: LeaderState, now: Int64,
                                                  into actions: inout [RaftAction]) -> RaftErrorCode? {
        expirePendingVoterChange(now: now, into: &actions)
        guard case .leader(let current) = state, current.pendingVoterChange == nil else { return .requestTimedOut }
        guard let highWatermark = leader.highWatermark else { return .requestTimedOut }
        guard controlRecords.kraftVersion >= 1 else { return .unsupportedVersion }
        guard let lastVoters = controlRecords.lastVoterSetOffset, lastVoters < highWatermark else {
            return .requestTimedOut
        }
        return nil
    }

    private func hasListener(_ endpoints: [VoterSet.Endpoint]) -> Bool {
        guard let listenerName = config.listenerName else { return !endpoints.isEmpty }
        return endpoints.contains { $0.name == listenerName }
    }

    /// Appends a `VotersRecord` at the leader (effective at once) and returns its offset.
    private mutating func appendVotersRecord(_ newVoters: VoterSet, now: Int64, into actions: inout [RaftAction]) -> Int64 {
        let offset = log.endOffset.offset
        appendToLog([RaftEntry(epoch: epoch, control: .voters(newVoters))], now: now, into: &actions)
        actions.append(.flushLog(upTo: log.endOffset.offset))
        completeParkedFetches(now: now, onlyWithData: true, into: &actions)
        return offset
    }

    private mutating func setPendingVoterChange(_ pending: LeaderState.PendingVoterChange) {
        guard case .leader(var leader) = state else { return }
        leader.pendingVoterChange = pending
        state = .leader(leader)
    }

    private mutating func expirePendingVoterChange(now: Int64, into actions: inout [RaftAction]) {
        guard case .leader(var leader) = state, let pending = leader.pendingVoterChange, now >= pending.deadline else {
            return
        }
        leader.pendingVoterChange = nil
        state = .leader(leader)
        reply(to: pending, .requestTimedOut, into: &actions)
    }

    private func reply(to pending: LeaderState.PendingVoterChange, _ error: RaftErrorCode,
                       into actions: inout [RaftAction]) {
        actions.append(.send(RaftEnvelope(source: localID, destination: pending.replyTo,
                                          correlationID: pending.correlationID, message: pending.response(error))))
    }

    /// Run by the leader's poll: answers a change that committed or expired, and resigns once a voter set
    /// without this replica has committed. Returns true when the leader resigned.
    mutating func pollPendingVoterChange(now: Int64, into actions: inout [RaftAction]) -> Bool {
        guard case .leader(var leader) = state else { return false }
        if let pending = leader.pendingVoterChange, let highWatermark = leader.highWatermark,
           highWatermark > pending.offset {
            leader.pendingVoterChange = nil
            state = .leader(leader)
            reply(to: pending, .none, into: &actions)
        }
        expirePendingVoterChange(now: now, into: &actions)
        if !isVoter, let highWatermark = leader.highWatermark, let lastVoters = controlRecords.lastVoterSetOffset,
           highWatermark > lastVoters {
            transitionToResigned(preferredSuccessors: leader.nonLeaderVotersByDescendingFetchOffset, now: now,
                                 into: &actions)
            return true
        }
        return false
    }

    /// The effective voter set changed (a `VotersRecord` appended or truncated away): the shell hears of it
    /// (`votersChanged`), the leader re-counts its majority, an Unattached replica that became a voter
    /// starts its election timer and one that stopped being a voter stops it. Followers check `isVoter`
    /// when their fetch times out.
    mutating func onVotersChanged(from old: VoterSet, now: Int64, into actions: inout [RaftAction]) {
        actions.append(.votersChanged(voters))
        switch state {
        case .leader(var leader):
            let advanced = leader.updateVoters(voters)
            state = .leader(leader)
            if advanced, let highWatermark = leader.highWatermark {
                actions.append(.committed(highWatermark: highWatermark))
            }
        case .unattached(var unattached):
            if isVoter, unattached.electionDeadline == .max {
                unattached.electionDeadline = now + randomElectionTimeoutMs()
            } else if !isVoter {
                unattached.electionDeadline = .max
            }
            state = .unattached(unattached)
        default:
            break
        }
    }
}
