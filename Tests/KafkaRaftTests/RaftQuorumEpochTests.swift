import KafkaRaft
import Testing

/// BeginQuorumEpoch, EndQuorumEpoch with preferred successors, check-quorum and restarts.
@Suite struct RaftQuorumEpochTests {
    @Test func beginQuorumEpochMakesAVoterFollow() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 2))
        let actions = core.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(leaderID: 3, leaderEpoch: 4)),
                                          from: 3), now: 1)
        #expect(core.state.name == "Follower")
        #expect(core.leaderID == 3)
        #expect(actions.persisted.last == QuorumStateData(leaderEpoch: 4, leaderID: 3, currentVoters: [1, 2, 3]))
        #expect(actions.contains(.becameFollower(leaderID: 3, epoch: 4)))
        let answer = try! #require(actions.sent.first { $0.beginQuorumEpochResponse != nil })
        #expect(answer.beginQuorumEpochResponse == BeginQuorumEpochResponse(errorCode: .none, leaderID: 3, leaderEpoch: 4))
        #expect(actions.firstPersistIndex! < actions.firstSendIndex!)
    }

    @Test func staleBeginQuorumEpochIsFencedAndOutsidersAreInconsistent() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 5, leaderID: 2))
        let stale = core.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(leaderID: 3, leaderEpoch: 4)),
                                        from: 3), now: 1)
        #expect(stale.sent.compactMap(\.beginQuorumEpochResponse).last == BeginQuorumEpochResponse(
            errorCode: .fencedLeaderEpoch, leaderID: 2, leaderEpoch: 5))
        let outsider = core.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(leaderID: 9, leaderEpoch: 6)),
                                           from: 9), now: 2)
        #expect(outsider.sent.compactMap(\.beginQuorumEpochResponse).last?.errorCode == .inconsistentVoterSet)
        #expect(core.epoch == 5)
        #expect(core.leaderID == 2)
    }

    @Test func endQuorumEpochLetsTheFirstPreferredSuccessorStartAtOnce() {
        var first = makeCore(id: 2, quorumState: QuorumStateData(leaderEpoch: 5, leaderID: 1))
        let end = EndQuorumEpochRequest(leaderID: 1, leaderEpoch: 5, preferredSuccessors: [2, 3])
        _ = first.handle(request(.endQuorumEpochRequest(end), from: 1, to: 2), now: 100)
        #expect(first.state.name == "Prospective", "position 0 waits no time")

        var second = makeCore(id: 3, quorumState: QuorumStateData(leaderEpoch: 5, leaderID: 1))
        _ = second.handle(request(.endQuorumEpochRequest(end), from: 1, to: 3), now: 100)
        #expect(second.state.name == "Follower")
        _ = second.handle(.tick, now: 599)
        #expect(second.state.name == "Follower")
        _ = second.handle(.tick, now: 600)
        #expect(second.state.name == "Prospective", "position 1 of 2 waits election.backoff.max.ms / 2")
        #expect(second.epoch == 5)

        var plain = makeCore(id: 3, quorumState: QuorumStateData(leaderEpoch: 5, leaderID: 1))
        _ = plain.handle(.tick, now: 600)
        #expect(plain.state.name == "Follower", "without EndQuorumEpoch the fetch timeout is 2 s")
    }

    @Test func leaderThatLosesItsMajorityResignsAndNamesSuccessors() {
        var core = makeCore()
        let now = electLeader(&core)
        _ = core.handle(.persisted(upTo: 1), now: now)
        // Voter 3 fetches once, then nobody does.
        _ = core.handle(request(.fetchRequest(FetchRequest(replicaID: 3, maxWaitMs: 0, currentLeaderEpoch: 1,
                                                           fetchOffset: 1, lastFetchedEpoch: 1)), from: 3), now: now + 10)
        #expect(core.handle(.tick, now: now + 10 + 2_999).contains(.resigned(epoch: 1)) == false)
        #expect(core.state.isLeader)
        let actions = core.handle(.tick, now: now + 10 + 3_000)
        #expect(actions.contains(.resigned(epoch: 1)))
        #expect(core.state.name == "Resigned")
        let ends = actions.sent.compactMap(\.endQuorumEpochRequest)
        #expect(ends.count == 2)
        #expect(ends.allSatisfy { $0.preferredSuccessors == [3, 2] && $0.leaderEpoch == 1 && $0.leaderID == 1 })
        #expect(core.handle(.append([[1]]), now: now + 3_020).contains(.appendRejected(.notLeaderOrFollower)))
    }

    @Test func fetchingMajorityKeepsTheLeader() {
        var core = makeCore()
        var now = electLeader(&core)
        _ = core.handle(.persisted(upTo: 1), now: now)
        for _ in 0..<10 {
            now += 1_000
            _ = core.handle(request(.fetchRequest(FetchRequest(replicaID: 2, maxWaitMs: 0, currentLeaderEpoch: 1,
                                                               fetchOffset: 1, lastFetchedEpoch: 1)), from: 2), now: now)
        }
        #expect(core.state.isLeader)
    }

    @Test func restartedLeaderComesBackResignedInItsEpoch() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 7, leaderID: 1), log: entries([7]))
        #expect(core.state.name == "Resigned")
        #expect(core.epoch == 7)
        // It cannot vote for another candidate in epoch 7.
        let vote = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 7, candidateID: 2, lastOffsetEpoch: 7,
                                                                lastOffset: 5)), from: 2), now: 1)
        #expect(vote.sent.compactMap(\.voteResponse).last?.voteGranted == false)
        // After its election timeout it moves on to epoch 8 and campaigns.
        _ = core.handle(.tick, now: 2_000)
        #expect(core.epoch == 8)
        #expect(core.state.name == "Prospective")
    }

    @Test func logFromALaterEpochThanTheStateFileWins() {
        let core = makeCore(quorumState: QuorumStateData(leaderEpoch: 2, leaderID: 2), log: entries([1, 4]))
        #expect(core.state.name == "Unattached")
        #expect(core.epoch == 4)
    }

    @Test func restartedCandidateKeepsItsVote() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3, votedID: 1))
        #expect(core.state.name == "Candidate")
        let vote = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 3, candidateID: 2, lastOffsetEpoch: 0,
                                                                lastOffset: 0)), from: 2), now: 1)
        #expect(vote.sent.compactMap(\.voteResponse).last?.voteGranted == false)
    }

    @Test func restartedVoterKeepsItsVoteInTheEpoch() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3, votedID: 2))
        #expect(core.state.votedID(localID: 1) == 2)
        let vote = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 3, candidateID: 3, lastOffsetEpoch: 0,
                                                                lastOffset: 0)), from: 3), now: 1)
        #expect(vote.sent.compactMap(\.voteResponse).last?.voteGranted == false)
    }

    @Test func gracefulResignHandsOverToTheMostCaughtUp() {
        var core = makeCore()
        let now = electLeader(&core)
        _ = core.handle(.persisted(upTo: 1), now: now)
        _ = core.handle(request(.fetchRequest(FetchRequest(replicaID: 2, maxWaitMs: 0, currentLeaderEpoch: 1,
                                                           fetchOffset: 1, lastFetchedEpoch: 1)), from: 2), now: now + 1)
        let actions = core.handle(.resign, now: now + 2)
        #expect(actions.sent.compactMap(\.endQuorumEpochRequest).first?.preferredSuccessors == [2, 3])
    }
}
