/// Vote and pre-vote (KIP-595, KIP-996): granting at the voter, tallying at the nominee.
extension RaftCore {
    /// Errors: INVALID_REQUEST for a negative last offset or epoch, a last epoch not below the
    /// candidate's epoch (not above it for a pre-vote), a candidate epoch that has no successor
    /// (`Int32.max`: no election could follow it), or a candidate that claims to be this replica (only
    /// this replica votes for itself, and never over the wire); FENCED_LEADER_EPOCH for an epoch below ours;
    /// INCONSISTENT_VOTER_SET when the candidate or this replica is not a voter. A standard vote with a
    /// higher epoch moves us to Unattached in that epoch first; a pre-vote changes nothing here.
    mutating func handleVoteRequest(_ request: VoteRequest, envelope: RaftEnvelope, now: Int64,
                                    into actions: inout [RaftAction]) {
        let illegalEpoch = request.preVote
            ? request.lastOffsetEpoch > request.candidateEpoch
            : request.lastOffsetEpoch >= request.candidateEpoch
        if request.lastOffset < 0 || request.lastOffsetEpoch < 0 || illegalEpoch || request.candidateID < 0
            || request.candidateID == localID || !Self.isUsableEpoch(request.candidateEpoch) {
            return respond(.voteResponse(voteResponse(.invalidRequest, granted: false)), to: envelope, into: &actions)
        }
        if request.candidateEpoch < epoch {
            return respond(.voteResponse(voteResponse(.fencedLeaderEpoch, granted: false)), to: envelope, into: &actions)
        }
        if !voters.contains(request.candidateID) || !isVoter
            || (request.voterID >= 0 && request.voterID != localID) {
            return respond(.voteResponse(voteResponse(.inconsistentVoterSet, granted: false)), to: envelope,
                           into: &actions)
        }
        if request.candidateEpoch > epoch && !request.preVote {
            transitionToUnattached(epoch: request.candidateEpoch, now: now, into: &actions)
        }
        let upToDate = isLogUpToDate(lastOffsetEpoch: request.lastOffsetEpoch, lastOffset: request.lastOffset)
        let granted = canGrantVote(candidateID: request.candidateID, isLogUpToDate: upToDate,
                                   isPreVote: request.preVote)
        if granted && !request.preVote {
            addVotedState(candidateID: request.candidateID, now: now, into: &actions)
        }
        respond(.voteResponse(voteResponse(.none, granted: granted)), to: envelope, into: &actions)
    }

    /// Each state's rule: Unattached and Prospective per `UnattachedState.canGrantVote`; a Follower grants
    /// only a pre-vote, and only before it has fetched from its leader; Candidate, Leader and Resigned never.
    func canGrantVote(candidateID: Int32, isLogUpToDate: Bool, isPreVote: Bool) -> Bool {
        switch state {
        case .unattached(let unattached):
            UnattachedState.canGrantVote(leaderID: nil, votedID: unattached.votedID, candidateID: candidateID,
                                         isLogUpToDate: isLogUpToDate, isPreVote: isPreVote)
        case .prospective(let prospective):
            UnattachedState.canGrantVote(leaderID: prospective.leaderID, votedID: prospective.votedID,
                                         candidateID: candidateID, isLogUpToDate: isLogUpToDate, isPreVote: isPreVote)
        case .follower(let follower):
            isPreVote && !follower.hasFetchedFromLeader && isLogUpToDate
        case .candidate, .leader, .resigned:
            false
        }
    }

    mutating func handleVoteResponse(_ response: VoteResponse, from source: Int32, now: Int64,
                                     into actions: inout [RaftAction]) -> Bool {
        let reportedLeader = response.leaderID >= 0 ? response.leaderID : nil
        if let handled = handleCommonResponse(error: response.errorCode, leaderID: reportedLeader,
                                              epoch: response.leaderEpoch, now: now, into: &actions) {
            return handled
        }
        switch state {
        case .prospective(var prospective):
            prospective.election.record(source, granted: response.voteGranted)
            state = .prospective(prospective)
            if prospective.election.isVoteGranted {
                transitionToCandidate(now: now, into: &actions)
            } else if prospective.election.isVoteRejected {
                prospectiveLostElection(now: now, into: &actions)
            }
        case .candidate(var candidate):
            candidate.election.record(source, granted: response.voteGranted)
            if candidate.election.isVoteRejected && candidate.backoffDeadline == nil {
                // Gridlocked: back off now rather than waiting out the election timeout.
                candidate.backoffDeadline = now + binaryExponentialElectionBackoffMs(retries: candidate.retries)
            }
            state = .candidate(candidate)
            if candidate.election.isVoteGranted {
                transitionToLeader(now: now, into: &actions)
            }
        default:
            break
        }
        return true
    }

    /// KIP-996: a Prospective that loses or times out follows the leader it knew, else waits Unattached.
    mutating func prospectiveLostElection(now: Int64, into actions: inout [RaftAction]) {
        guard case .prospective(let prospective) = state else { return }
        if let leader = prospective.leaderID {
            transitionToFollower(epoch: prospective.epoch, leaderID: leader, now: now, into: &actions)
        } else {
            transitionToUnattached(epoch: prospective.epoch, now: now, into: &actions)
        }
    }

    /// Kafka's `binaryExponentialElectionBackoffMs`: a random multiple of the base, the range doubling
    /// with each retry, capped at `electionBackoffMaxMs`.
    mutating func binaryExponentialElectionBackoffMs(retries: Int) -> Int64 {
        let range = Int64(2) << Int64(min(20, max(retries, 1) - 1))
        return min(config.electionBackoffBaseMs * random.below(range), config.electionBackoffMaxMs)
    }

    /// Kafka's `strictExponentialElectionBackoffMs`: the first preferred successor starts at once, the
    /// others wait longer the further down the list they are; replicas not on it wait the maximum.
    func strictExponentialElectionBackoffMs(position: Int, successors: Int) -> Int64 {
        if position == 0 { return 0 }
        if position < 0 || position >= successors { return config.electionBackoffMaxMs }
        let base = config.electionBackoffMaxMs >> Int64(successors - 1)
        return min(config.electionBackoffMaxMs, base << Int64(position - 1))
    }
}
