/// The state transitions (Kafka's `QuorumState.transitionTo*`). Each durable transition emits
/// `persistQuorumState` before anything else it causes, and every transition forgets in-flight requests.
extension RaftCore {
    /// Moves to `newState`; `durable` transitions persist the new election state first.
    mutating func transition(to newState: EpochState, durable: Bool, now: Int64, into actions: inout [RaftAction]) {
        let oldState = state
        state = newState
        requests.resetAll()
        if durable {
            actions.append(.persistQuorumState(newState.election(localID: localID, voters: voters)))
        }
        if case .follower(let follower) = oldState, let fetching = follower.fetchingSnapshot {
            abandonPartialSnapshot(fetching.id, into: &actions)
        }
        if case .leader(let leader) = oldState, !newState.isLeader {
            if let pending = leader.pendingVoterChange {
                actions.append(.send(RaftEnvelope(source: localID, destination: pending.replyTo,
                                                  correlationID: pending.correlationID,
                                                  message: pending.response(.notLeaderOrFollower))))
            }
            // Parked fetches learn of the change right away instead of waiting out their long poll.
            for parked in leader.parkedFetches {
                actions.append(.send(RaftEnvelope(
                    source: localID, destination: parked.source, correlationID: parked.correlationID,
                    message: .fetchResponse(errorFetchResponse(.notLeaderOrFollower)))))
            }
        }
        switch newState {
        case .follower(let follower) where !isSameFollower(oldState, follower):
            actions.append(.becameFollower(leaderID: follower.leaderID, epoch: follower.epoch))
        case .resigned(let resigned):
            actions.append(.resigned(epoch: resigned.epoch))
        default:
            break
        }
    }

    private func isSameFollower(_ old: EpochState, _ new: FollowerState) -> Bool {
        if case .follower(let previous) = old { return previous.epoch == new.epoch && previous.leaderID == new.leaderID }
        return false
    }

    /// A higher epoch without a known leader (or Prospective giving up in its own epoch, or Resigned
    /// moving on to `epoch + 1`). A vote cast in the same epoch is kept.
    mutating func transitionToUnattached(epoch newEpoch: Int32, now: Int64, into actions: inout [RaftAction]) {
        precondition(newEpoch > epoch || { if case .prospective = state { true } else { false } }(),
                     "Unattached in epoch \(newEpoch) from \(state.name) in epoch \(epoch)")
        let deadline: Int64
        switch state {
        case _ where !isVoter: deadline = .max
        case .candidate(let candidate): deadline = candidate.electionDeadline
        case .unattached(let unattached): deadline = unattached.electionDeadline
        case .prospective(let prospective) where !prospective.election.isVoteRejected:
            deadline = prospective.electionDeadline
        case .resigned(let resigned): deadline = resigned.electionDeadline
        default: deadline = now + randomElectionTimeoutMs()
        }
        let votedID = newEpoch == epoch ? state.votedID(localID: localID) : nil
        transition(to: .unattached(UnattachedState(epoch: newEpoch, votedID: votedID, electionDeadline: deadline,
                                                   highWatermark: state.highWatermark)),
                   durable: true, now: now, into: &actions)
    }

    /// Follow `leaderID` in `epoch` (equal to or above the current one). A vote cast in the same epoch is kept.
    mutating func transitionToFollower(epoch newEpoch: Int32, leaderID newLeader: Int32, now: Int64,
                                       into actions: inout [RaftAction]) {
        precondition(newLeader != localID && newEpoch >= epoch, "Follower of \(newLeader) in \(newEpoch) from \(state)")
        let votedID = newEpoch == epoch ? state.votedID(localID: localID) : nil
        transition(to: .follower(FollowerState(epoch: newEpoch, leaderID: newLeader, votedID: votedID,
                                               fetchDeadline: now + config.fetchTimeoutMs,
                                               highWatermark: state.highWatermark)),
                   durable: true, now: now, into: &actions)
    }

    /// Fetch or election timeout, or a lost election: ask for pre-votes in the current epoch. Nothing
    /// persisted changes, so nothing is written.
    mutating func transitionToProspective(now: Int64, into actions: inout [RaftAction]) {
        precondition(isVoter, "observer \(localID) cannot become Prospective")
        var retries = 1
        if case .candidate(let candidate) = state { retries = candidate.retries + 1 }
        let prospective = ProspectiveState(
            epoch: epoch, leaderID: state.leaderID(localID: localID).flatMap { $0 == localID ? nil : $0 },
            votedID: state.votedID(localID: localID).flatMap { $0 == localID ? nil : $0 },
            election: EpochElection(voters: voters, localID: localID), retries: retries,
            electionDeadline: now + randomElectionTimeoutMs(), highWatermark: state.highWatermark)
        transition(to: .prospective(prospective), durable: false, now: now, into: &actions)
    }

    /// A majority granted pre-votes: bump the epoch and vote for ourselves (persisted).
    /// At `Int32.max` there is no next epoch: the election is given up as lost (the replica keeps its
    /// epoch and tries again after its election timeout) instead of overflowing. Other replicas never move
    /// a replica there (`isUsableEpoch`); only about 2^31 elections of its own could.
    mutating func transitionToCandidate(now: Int64, into actions: inout [RaftAction]) {
        guard epoch < Int32.max else { return prospectiveLostElection(now: now, into: &actions) }
        var retries = 1
        if case .prospective(let prospective) = state { retries = prospective.retries }
        let candidate = CandidateState(
            epoch: epoch + 1, election: EpochElection(voters: voters, localID: localID), retries: retries,
            electionDeadline: now + randomElectionTimeoutMs(), backoffDeadline: nil, highWatermark: state.highWatermark)
        transition(to: .candidate(candidate), durable: true, now: now, into: &actions)
    }

    /// A majority granted votes: lead the epoch, starting it with a leader-change entry. The high
    /// watermark is not carried over; it is known again once a majority reaches the new epoch.
    ///
    /// Bootstrap of kraft.version 1 (Strom's choice; Kafka writes these records when formatting the
    /// storage): when the log holds no `VotersRecord` yet, the leader follows its leader-change entry with
    /// `KRaftVersion(config.kraftVersion)` and a `VotersRecord` of the static voters, so from then on the
    /// voter set lives in the log. Both commit with the leader-change entry.
    mutating func transitionToLeader(now: Int64, into actions: inout [RaftAction]) {
        guard case .candidate(let candidate) = state, candidate.election.isVoteGranted else {
            preconditionFailure("Leader without a won election from \(state)")
        }
        let epochStartOffset = log.endOffset.offset
        let leader = LeaderState(epoch: candidate.epoch, localID: localID, epochStartOffset: epochStartOffset,
                                 voters: voters, grantingVoters: candidate.election.granted, now: now, config: config)
        transition(to: .leader(leader), durable: true, now: now, into: &actions)
        actions.append(.becameLeader(epoch: leader.epoch, epochStartOffset: epochStartOffset))
        let electedIn = voters.voterList.map { ReplicaKey(id: $0.voterID, directoryID: $0.voterDirectoryID) }
        var entries = [RaftEntry(epoch: leader.epoch, control: .leaderChange(LeaderChange(
            leaderID: localID, voters: electedIn,
            grantingVoters: electedIn.filter { candidate.election.granted.contains($0.id) })))]
        if config.kraftVersion >= 1, controlRecords.lastVoterSetOffset == nil {
            if controlRecords.kraftVersion < config.kraftVersion {
                entries.append(RaftEntry(epoch: leader.epoch, control: .kraftVersion(config.kraftVersion)))
            }
            entries.append(RaftEntry(epoch: leader.epoch, control: .voters(controlRecords.staticVoters)))
        }
        appendToLog(entries, now: now, into: &actions)
        actions.append(.flushLog(upTo: log.endOffset.offset))
    }

    /// Step down from leadership, naming the successors; not persisted (a restarted leader resigns anyway).
    mutating func transitionToResigned(preferredSuccessors: [Int32], now: Int64, into actions: inout [RaftAction]) {
        precondition(state.isLeader, "Resigned from \(state.name)")
        let resigned = ResignedState(epoch: epoch, preferredSuccessors: preferredSuccessors,
                                     unackedVoters: voters.ids.subtracting([localID]),
                                     electionDeadline: now + randomElectionTimeoutMs())
        transition(to: .resigned(resigned), durable: false, now: now, into: &actions)
    }

    /// Vote granted while Unattached or Prospective without a vote: record it durably before answering.
    mutating func addVotedState(candidateID: Int32, now: Int64, into actions: inout [RaftAction]) {
        switch state {
        case .unattached(var unattached) where unattached.votedID == nil:
            unattached.votedID = candidateID
            unattached.electionDeadline = now + randomElectionTimeoutMs()
            transition(to: .unattached(unattached), durable: true, now: now, into: &actions)
        case .prospective(var prospective) where prospective.votedID == nil:
            prospective.votedID = candidateID
            prospective.electionDeadline = now + randomElectionTimeoutMs()
            transition(to: .prospective(prospective), durable: true, now: now, into: &actions)
        default:
            break
        }
    }

    /// Kafka's `maybeTransition`: act on the leader and epoch a request or response reports.
    mutating func maybeTransition(leaderID reportedLeader: Int32?, epoch reportedEpoch: Int32, now: Int64,
                                  into actions: inout [RaftAction]) {
        if let reportedLeader, reportedLeader == localID, reportedEpoch == epoch, !state.isLeader {
            if case .resigned = state { return }
            violation("told it leads epoch \(reportedEpoch) while \(state.name)")
            return
        }
        if reportedEpoch > epoch {
            if let reportedLeader, reportedLeader != localID, voters.contains(reportedLeader) {
                transitionToFollower(epoch: reportedEpoch, leaderID: reportedLeader, now: now, into: &actions)
            } else {
                transitionToUnattached(epoch: reportedEpoch, now: now, into: &actions)
            }
        } else if reportedEpoch == epoch, let reportedLeader, reportedLeader != localID {
            switch state {
            case .unattached, .candidate:
                transitionToFollower(epoch: reportedEpoch, leaderID: reportedLeader, now: now, into: &actions)
            case .prospective(let prospective):
                if let known = prospective.leaderID, known != reportedLeader {
                    violation("epoch \(epoch) has leaders \(known) and \(reportedLeader)")
                } else {
                    transitionToFollower(epoch: reportedEpoch, leaderID: reportedLeader, now: now, into: &actions)
                }
            case .leader, .resigned:
                violation("epoch \(epoch) has leaders \(localID) and \(reportedLeader)")
            case .follower(let follower):
                if follower.leaderID != reportedLeader {
                    violation("epoch \(epoch) has leaders \(follower.leaderID) and \(reportedLeader)")
                }
            }
        }
    }
}
