import KafkaRaft
import Testing

/// Elections: timeouts, pre-votes (KIP-996), votes, and what each state grants.
@Suite struct RaftElectionTests {
    @Test func electionTimeoutStartsAPreVoteWithoutBumpingTheEpoch() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3))
        #expect(core.state.name == "Unattached")
        let early = core.handle(.tick, now: 999)
        #expect(core.state.name == "Unattached")
        #expect(early.sent.allSatisfy { $0.voteRequest == nil })
        let actions = core.handle(.tick, now: 2_000)
        #expect(core.state.name == "Prospective")
        #expect(core.epoch == 3)
        #expect(actions.persisted.isEmpty, "a pre-vote changes nothing persisted")
        let preVotes = actions.sent.compactMap(\.voteRequest)
        #expect(preVotes.count == 2)
        #expect(preVotes.allSatisfy { $0.preVote && $0.candidateEpoch == 3 && $0.candidateID == 1 })
    }

    @Test func majorityOfPreVotesMakesACandidateThatPersistsItsVoteBeforeAsking() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3), log: entries([1, 2]))
        let preVote = core.handle(.tick, now: 2_000).sent.first { $0.destination == 3 }!
        let actions = core.handle(.received(preVote.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 3, voteGranted: true)))), now: 2_001)
        #expect(core.state.name == "Candidate")
        #expect(core.epoch == 4)
        #expect(actions.persisted == [QuorumStateData(leaderEpoch: 4, leaderID: -1, votedID: 1, currentVoters: [1, 2, 3])])
        let votes = actions.sent.compactMap(\.voteRequest)
        #expect(votes.count == 2)
        #expect(votes.allSatisfy { !$0.preVote && $0.candidateEpoch == 4 && $0.lastOffset == 2 && $0.lastOffsetEpoch == 2 })
        #expect(actions.firstPersistIndex! < actions.firstSendIndex!)
    }

    @Test func majorityOfVotesMakesALeaderThatWritesALeaderChangeEntry() {
        var core = makeCore(log: entries([1, 1]))
        electLeader(&core)
        #expect(core.state.isLeader)
        #expect(core.epoch == 2, "the log's epoch 1 wins over the missing state file; the election bumps it")
        // Leader change at 2, then (no VotersRecord in the log yet) KRaftVersion(1) and the static voters.
        #expect(core.log.endOffset == OffsetAndEpoch(offset: 5, epoch: 2))
        let leaderChange = LeaderChange(leaderID: 1, voters: [ReplicaKey(id: 1), ReplicaKey(id: 2), ReplicaKey(id: 3)],
                                        grantingVoters: [ReplicaKey(id: 1), ReplicaKey(id: 2)])
        #expect(core.log.entries[2...].map(\.control) == [.leaderChange(leaderChange), .kraftVersion(1),
                                                         .voters(VoterSet([1, 2, 3]))])
        let actions = core.handle(.tick, now: 2_001)
        #expect(core.highWatermark == nil, "a new leader knows no high watermark until a majority reaches its epoch")
        _ = actions
    }

    @Test func newLeaderPersistsAndAnnouncesItself() {
        var core = makeCore()
        let prospective = core.handle(.tick, now: 2_000)
        let preVote = prospective.sent.first { $0.destination == 2 }!
        let candidate = core.handle(.received(preVote.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 0, voteGranted: true)))), now: 2_000)
        let vote = candidate.sent.first { $0.destination == 3 }!
        let actions = core.handle(.received(vote.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 1, voteGranted: true)))), now: 2_001)
        #expect(actions.contains(.becameLeader(epoch: 1, epochStartOffset: 0)))
        #expect(actions.persisted.last == QuorumStateData(leaderEpoch: 1, leaderID: 1, currentVoters: [1, 2, 3]))
        let begins = actions.sent.filter { if case .beginQuorumEpochRequest = $0.message { true } else { false } }
        #expect(begins.map(\.destination).sorted() == [2, 3])
        #expect(actions.firstPersistIndex! < actions.firstSendIndex!)
        #expect(actions.contains(.flushLog(upTo: 3)))
    }

    @Test func staleVoteIsFenced() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 5))
        let actions = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 4, candidateID: 2, lastOffsetEpoch: 0,
                                                                   lastOffset: 0)), from: 2), now: 1)
        #expect(actions.sent.first?.voteResponse == VoteResponse(errorCode: .fencedLeaderEpoch, leaderID: -1,
                                                                  leaderEpoch: 5, voteGranted: false))
        #expect(core.epoch == 5)
    }

    @Test func higherEpochVoteIsGrantedAndPersistedBeforeTheAnswer() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 5, leaderID: 3), log: entries([1, 5]))
        #expect(core.state.name == "Follower")
        let actions = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 6, candidateID: 2, lastOffsetEpoch: 5,
                                                                   lastOffset: 2)), from: 2), now: 1)
        #expect(core.epoch == 6)
        #expect(actions.persisted.last == QuorumStateData(leaderEpoch: 6, votedID: 2, currentVoters: [1, 2, 3]))
        #expect(actions.sent.compactMap(\.voteResponse).last?.voteGranted == true)
        #expect(actions.firstPersistIndex! < actions.firstSendIndex!)
    }

    @Test func voteAlreadyGrantedToAnotherCandidateIsRejected() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 6, votedID: 2))
        let other = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 6, candidateID: 3, lastOffsetEpoch: 0,
                                                                 lastOffset: 0)), from: 3), now: 1)
        #expect(other.sent.compactMap(\.voteResponse).last?.voteGranted == false)
        #expect(other.persisted.isEmpty)
        let same = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 6, candidateID: 2, lastOffsetEpoch: 0,
                                                                lastOffset: 0)), from: 2), now: 2)
        #expect(same.sent.compactMap(\.voteResponse).last?.voteGranted == true, "a repeated request gets the same answer")
    }

    @Test func candidateWithAnOlderLogIsRejected() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3), log: entries([1, 3, 3]))
        for (lastEpoch, lastOffset) in [(Int32(2), Int64(9)), (3, 2)] {
            let actions = core.handle(request(.voteRequest(VoteRequest(
                candidateEpoch: 4, candidateID: 2, lastOffsetEpoch: lastEpoch, lastOffset: lastOffset)), from: 2), now: 1)
            #expect(actions.sent.compactMap(\.voteResponse).last?.voteGranted == false)
        }
        #expect(core.state.votedID(localID: 1) == nil)
        let upToDate = core.handle(request(.voteRequest(VoteRequest(
            candidateEpoch: 4, candidateID: 2, lastOffsetEpoch: 3, lastOffset: 3)), from: 2), now: 2)
        #expect(upToDate.sent.compactMap(\.voteResponse).last?.voteGranted == true)
    }

    @Test func preVoteChangesNothing() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3))
        let before = core.state
        let actions = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 7, candidateID: 2, lastOffsetEpoch: 0,
                                                                   lastOffset: 0, preVote: true)), from: 2), now: 1)
        #expect(actions.sent.compactMap(\.voteResponse).last == VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 3,
                                                                 voteGranted: true))
        #expect(actions.persisted.isEmpty)
        #expect(core.state == before)
    }

    @Test func followerRejectsPreVotesOnceItHasFetchedFromTheLeader() {
        var (core, started) = startCore(quorumState: QuorumStateData(leaderEpoch: 3, leaderID: 2))
        let preVote = VoteRequest(candidateEpoch: 3, candidateID: 3, lastOffsetEpoch: 0, lastOffset: 0, preVote: true)
        #expect(core.handle(request(.voteRequest(preVote), from: 3), now: 1).sent.compactMap(\.voteResponse).last?.voteGranted == true)
        // A successful fetch from the leader.
        let fetch = started.sent.first { $0.fetchRequest != nil }!
        _ = core.handle(.received(fetch.reply(.fetchResponse(FetchResponse(errorCode: .none, highWatermark: 0,
                                                                            leaderID: 2, leaderEpoch: 3)))), now: 3)
        let rejected = core.handle(request(.voteRequest(preVote), from: 3), now: 4)
        #expect(rejected.sent.compactMap(\.voteResponse).last == VoteResponse(errorCode: .none, leaderID: 2, leaderEpoch: 3,
                                                                  voteGranted: false))
        // A standard vote in the same epoch is never granted by a follower.
        var vote = preVote
        vote.preVote = false
        #expect(core.handle(request(.voteRequest(vote), from: 3), now: 5).sent.compactMap(\.voteResponse).last?.voteGranted == false)
    }

    @Test func voteFromOutsideTheVoterSetIsInconsistent() {
        var core = makeCore()
        let actions = core.handle(request(.voteRequest(VoteRequest(candidateEpoch: 1, candidateID: 9, lastOffsetEpoch: 0,
                                                                   lastOffset: 0)), from: 9), now: 1)
        #expect(actions.sent.compactMap(\.voteResponse).last?.errorCode == .inconsistentVoterSet)
        #expect(core.epoch == 0)
    }

    @Test func invalidVoteRequestsAreRefused() {
        var core = makeCore()
        for vote in [VoteRequest(candidateEpoch: 2, candidateID: 2, lastOffsetEpoch: 2, lastOffset: 0),
                     VoteRequest(candidateEpoch: 2, candidateID: 2, lastOffsetEpoch: 0, lastOffset: -1),
                     VoteRequest(candidateEpoch: 2, candidateID: 2, lastOffsetEpoch: 3, lastOffset: 0, preVote: true)] {
            #expect(core.handle(request(.voteRequest(vote), from: 2), now: 1).sent.compactMap(\.voteResponse).last?.errorCode
                == .invalidRequest)
        }
    }

    @Test func prospectiveThatLosesFollowsTheLeaderItKnew() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3, leaderID: 2))
        let actions = core.handle(.tick, now: 2_000)
        #expect(core.state.name == "Prospective")
        let toThree = actions.sent.first { $0.destination == 3 && $0.voteRequest != nil }!
        _ = core.handle(.received(toThree.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: 2, leaderEpoch: 3, voteGranted: false)))), now: 2_001)
        let toTwo = actions.sent.first { $0.destination == 2 && $0.voteRequest != nil }!
        _ = core.handle(.received(toTwo.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: 2, leaderEpoch: 3, voteGranted: false)))), now: 2_002)
        #expect(core.state.name == "Follower")
        #expect(core.leaderID == 2)
        #expect(core.epoch == 3, "a partitioned replica rejoining does not bump the epoch")
    }

    @Test func candidateRejectedByAMajorityBacksOffThenTriesAPreVoteAgain() {
        var core = makeCore()
        let prospective = core.handle(.tick, now: 2_000)
        let candidate = core.handle(.received(prospective.sent.first { $0.destination == 2 }!.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 0, voteGranted: true)))), now: 2_000)
        #expect(core.state.name == "Candidate")
        for vote in candidate.sent where vote.voteRequest != nil {
            _ = core.handle(.received(vote.reply(.voteResponse(
                VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 1, voteGranted: false)))), now: 2_010)
        }
        if case .candidate(let state) = core.state {
            let backoff = try! #require(state.backoffDeadline)
            #expect(backoff <= 2_010 + 1_000, "backoff is capped by election.backoff.max.ms")
            _ = core.handle(.tick, now: backoff)
        }
        #expect(core.state.name == "Prospective")
        #expect(core.epoch == 1, "going back to Prospective keeps the epoch")
    }

    @Test func candidateTimingOutBacksOffThenTriesAPreVoteAgain() {
        var core = makeCore()
        let prospective = core.handle(.tick, now: 2_000)
        _ = core.handle(.received(prospective.sent.first { $0.destination == 2 }!.reply(.voteResponse(
            VoteResponse(errorCode: .none, leaderID: -1, leaderEpoch: 0, voteGranted: true)))), now: 2_000)
        var time: Int64 = 2_000
        while core.state.name == "Candidate" && time < 8_000 {
            time += 50
            _ = core.handle(.tick, now: time)
        }
        #expect(core.state.name == "Prospective")
        #expect(time >= 3_000, "not before the election timeout")
        #expect(time <= 2_000 + 2_000 + 1_000 + 50, "election timeout plus at most the maximum backoff")
    }

    @Test func requestsFromAnotherClusterAreRefused() {
        var core = Core(localID: 1, clusterID: "one", voters: VoterSet([1, 2, 3]), quorumState: nil,
                        log: MemoryRaftLog(), now: 0, seed: 1)
        let vote = VoteRequest(clusterID: "two", candidateEpoch: 1, candidateID: 2, lastOffsetEpoch: 0, lastOffset: 0)
        let actions = core.handle(request(.voteRequest(vote), from: 2), now: 1)
        #expect(actions.sent.compactMap(\.voteResponse).last?.errorCode == .inconsistentClusterID)
        #expect(core.epoch == 0)
        var same = vote
        same.clusterID = "one"
        #expect(core.handle(request(.voteRequest(same), from: 2), now: 2).sent.compactMap(\.voteResponse).last?.voteGranted
            == true)
    }

    @Test func preVoteAnswerFromALaterEpochEndsTheProspective() {
        var core = makeCore(quorumState: QuorumStateData(leaderEpoch: 3))
        let preVote = core.handle(.tick, now: 2_000).sent.first { $0.destination == 2 }!
        let actions = core.handle(.received(preVote.reply(.voteResponse(
            VoteResponse(errorCode: .fencedLeaderEpoch, leaderID: 2, leaderEpoch: 5, voteGranted: false)))), now: 2_001)
        #expect(core.state.name == "Follower")
        #expect(core.epoch == 5)
        #expect(core.leaderID == 2)
        #expect(actions.persisted.last == QuorumStateData(leaderEpoch: 5, leaderID: 2, currentVoters: [1, 2, 3]))
    }

    @Test func singleVoterElectsItselfAtOnce() {
        var core = Core(localID: 1, voters: VoterSet([1]), quorumState: nil, log: MemoryRaftLog(), now: 0, seed: 1)
        _ = core.handle(.tick, now: 0)
        _ = core.handle(.tick, now: 2_000)
        #expect(core.state.isLeader)
        let actions = core.handle(.persisted(upTo: 1), now: 2_001)
        #expect(actions.committed == [1])
    }
}
