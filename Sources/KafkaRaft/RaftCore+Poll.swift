/// Timers and idle sends for the current state (Kafka's `pollCurrentState`), run after every input.
extension RaftCore {
    mutating func poll(now: Int64, into actions: inout [RaftAction]) {
        // A poll may chain transitions (a lone voter goes Prospective -> Candidate -> Leader at once).
        for _ in 0..<8 {
            guard pollOnce(now: now, into: &actions) else { return }
        }
    }

    /// Returns true when the state changed and the new state should be polled too.
    private mutating func pollOnce(now: Int64, into actions: inout [RaftAction]) -> Bool {
        switch state {
        case .leader(var leader):
            if leader.hasCheckQuorumExpired(now: now) {
                transitionToResigned(preferredSuccessors: leader.nonLeaderVotersByDescendingFetchOffset, now: now,
                                     into: &actions)
                return true
            }
            completeParkedFetches(now: now, onlyWithData: false, into: &actions)
            if pollPendingVoterChange(now: now, into: &actions) { return true }
            guard case .leader(let current) = state else { return true }
            leader = current
            if now >= leader.beginQuorumEpochDeadline {
                leader.beginQuorumEpochDeadline = now + config.beginQuorumEpochTimeoutMs
                state = .leader(leader)
                for voter in voters.sorted where voter != localID && requests.isReady(voter, now: now) {
                    send(.beginQuorumEpochRequest(BeginQuorumEpochRequest(
                        clusterID: clusterID, voterID: voter, leaderID: localID, leaderEpoch: epoch)),
                         to: voter, now: now, into: &actions)
                }
            }
            return false

        case .candidate(var candidate):
            if candidate.election.isVoteGranted {
                transitionToLeader(now: now, into: &actions)
                return true
            }
            if let backoff = candidate.backoffDeadline {
                guard now >= backoff else { return false }
                transitionToProspective(now: now, into: &actions)
                return true
            }
            if now >= candidate.electionDeadline {
                candidate.backoffDeadline = now + binaryExponentialElectionBackoffMs(retries: candidate.retries)
                state = .candidate(candidate)
                return candidate.backoffDeadline! <= now
            }
            sendVoteRequests(to: candidate.election.unrecordedVoters, preVote: false, now: now, into: &actions)
            return false

        case .prospective(let prospective):
            if prospective.election.isVoteGranted {
                transitionToCandidate(now: now, into: &actions)
                return true
            }
            if now >= prospective.electionDeadline {
                prospectiveLostElection(now: now, into: &actions)
                return true
            }
            sendVoteRequests(to: prospective.election.unrecordedVoters, preVote: true, now: now, into: &actions)
            return false

        case .follower(let follower):
            if now >= follower.fetchDeadline {
                if isVoter {
                    transitionToProspective(now: now, into: &actions)
                    return true
                }
                abandonSnapshotFetch(into: &actions)
                sendFetchToAnyVoter(now: now, into: &actions)
                return false
            }
            if requests.hasTimedOut(follower.leaderID, now: now) {
                // No answer from the leader: look for the leader elsewhere while it stays unanswered (a
                // snapshot download is given up; the leader names its snapshot again).
                requests.reset(follower.leaderID)
                abandonSnapshotFetch(into: &actions)
                sendFetchToAnyVoter(now: now, into: &actions)
            } else if requests.isBackingOff(follower.leaderID, now: now) {
                if follower.fetchingSnapshot == nil { sendFetchToAnyVoter(now: now, into: &actions) }
            } else if !requests.hasInflightRequest(now: now), let fetching = follower.fetchingSnapshot {
                sendFetchSnapshot(fetching, to: follower.leaderID, now: now, into: &actions)
            } else if !requests.hasInflightRequest(now: now), isLogDurableForFetch {
                if shouldSendUpdateRaftVoter(follower, now: now) {
                    sendUpdateRaftVoter(to: follower.leaderID, now: now, into: &actions)
                } else {
                    sendFetch(to: follower.leaderID, now: now, into: &actions)
                }
            }
            return false

        case .unattached(let unattached):
            if isVoter && now >= unattached.electionDeadline {
                transitionToProspective(now: now, into: &actions)
                return true
            }
            sendFetchToAnyVoter(now: now, into: &actions)
            return false

        case .resigned(let resigned):
            for voter in resigned.unackedVoters.sorted() where requests.isReady(voter, now: now) {
                send(.endQuorumEpochRequest(EndQuorumEpochRequest(
                    clusterID: clusterID, leaderID: localID, leaderEpoch: epoch,
                    preferredSuccessors: resigned.preferredSuccessors)), to: voter, now: now, into: &actions)
            }
            if now >= resigned.electionDeadline {
                guard epoch < Int32.max else {
                    // No later epoch to move to: wait for another election timeout (see transitionToCandidate).
                    var waiting = resigned
                    waiting.electionDeadline = now + randomElectionTimeoutMs()
                    state = .resigned(waiting)
                    return false
                }
                transitionToUnattached(epoch: epoch + 1, now: now, into: &actions)
                return true
            }
            return false
        }
    }

    /// A replica fetches only once its log is durable to its end, so the position it reports is durable
    /// (an observer's too: the leader counts it once the observer becomes a voter).
    var isLogDurableForFetch: Bool { flushedOffset >= log.endOffset.offset }

    private mutating func sendVoteRequests(to voterIDs: [Int32], preVote: Bool, now: Int64,
                                           into actions: inout [RaftAction]) {
        let end = log.endOffset
        for voter in voterIDs where voter != localID && requests.isReady(voter, now: now) {
            send(.voteRequest(VoteRequest(clusterID: clusterID, voterID: voter, candidateEpoch: epoch,
                                          candidateID: localID, lastOffsetEpoch: end.epoch, lastOffset: end.offset,
                                          preVote: preVote)),
                 to: voter, now: now, into: &actions)
        }
    }

    /// Discover the leader (Kafka's "fetch to any bootstrap server"): one Fetch at a time to a random
    /// ready voter.
    private mutating func sendFetchToAnyVoter(now: Int64, into actions: inout [RaftAction]) {
        guard !requests.hasInflightRequest(now: now), isLogDurableForFetch else { return }
        let ready = voters.sorted.filter { $0 != localID && requests.isReady($0, now: now) }
        guard !ready.isEmpty else { return }
        sendFetch(to: ready[Int(random.below(Int64(ready.count)))], now: now, into: &actions)
    }

    /// The earliest future time a timer of the current state, a request timeout or a backoff ends.
    func nextDeadline(now: Int64) -> Int64 {
        var deadlines: [Int64] = []
        switch state {
        case .leader(let leader):
            if !voters.isOnlyVoter(localID) { deadlines.append(leader.checkQuorumDeadline) }
            if let pending = leader.pendingVoterChange { deadlines.append(pending.deadline) }
            deadlines.append(leader.beginQuorumEpochDeadline)
            deadlines += leader.parkedFetches.map(\.deadline)
        case .candidate(let candidate):
            deadlines.append(candidate.backoffDeadline ?? candidate.electionDeadline)
        case .prospective(let prospective):
            deadlines.append(prospective.electionDeadline)
        case .follower(let follower):
            deadlines.append(follower.fetchDeadline)
        case .unattached(let unattached):
            deadlines.append(unattached.electionDeadline)
            // An observer has no election timer: it looks for the leader again after a backoff.
            if !isVoter && !requests.hasInflightRequest(now: now) { deadlines.append(now + config.retryBackoffMs) }
        case .resigned(let resigned):
            deadlines.append(resigned.electionDeadline)
        }
        if let requestDeadline = requests.nextDeadline(after: now) { deadlines.append(requestDeadline) }
        return deadlines.filter { $0 > now }.min() ?? now + config.fetchTimeoutMs
    }
}
