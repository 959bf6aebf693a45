import KafkaRaft
import Testing

/// Requests no correct replica sends: a vote claiming to come from the replica itself, epochs with no
/// successor, fetches under negative replica ids. Each is refused, changes no epoch, and never traps.
@Suite struct RaftHostileInputTests {
    @Test func voteNamingTheReplicaItselfIsRefusedAndChangesNothing() {
        var core = makeCore()
        electLeader(&core)
        let epoch = core.epoch
        let actions = core.handle(request(.voteRequest(VoteRequest(
            candidateEpoch: epoch + 1000, candidateID: 1, lastOffsetEpoch: epoch + 999, lastOffset: 1 << 62)), from: 1),
                                  now: 2_100)
        #expect(actions.sent.compactMap(\.voteResponse).last?.errorCode == .invalidRequest)
        #expect(actions.sent.compactMap(\.voteResponse).last?.voteGranted == false)
        #expect(core.epoch == epoch)
        #expect(core.state.isLeader)
        #expect(actions.persisted.isEmpty)
    }

    @Test func votesInAnEpochWithoutSuccessorAreRefused() {
        for candidateEpoch in [Int32.max] {
            var core = makeCore()
            electLeader(&core)
            let epoch = core.epoch
            let actions = core.handle(request(.voteRequest(VoteRequest(
                candidateEpoch: candidateEpoch, candidateID: 2, lastOffsetEpoch: candidateEpoch - 1, lastOffset: 1 << 62)),
                                              from: 2), now: 2_100)
            #expect(actions.sent.compactMap(\.voteResponse).last?.errorCode == .invalidRequest)
            #expect(core.epoch == epoch)
        }
    }

    /// Int32.max - 1 is a valid epoch: the vote is granted, and the replica's own elections then stop at
    /// Int32.max instead of overflowing.
    @Test func electionsStopAtTheLastEpochWithoutTrapping() {
        var core = makeCore()
        let last = Int32.max - 1
        let granted = core.handle(request(.voteRequest(VoteRequest(
            candidateEpoch: last, candidateID: 2, lastOffsetEpoch: 0, lastOffset: 0)), from: 2), now: 1)
        #expect(granted.sent.compactMap(\.voteResponse).last?.voteGranted == true)
        #expect(core.epoch == last)
        // Replica 2 never leads: replica 1 times out, pre-votes, wins a vote in Int32.max and leads it.
        electLeader(&core, now: 10_000)
        #expect(core.epoch == Int32.max)
        #expect(core.state.isLeader)
        // Resign by losing check-quorum, then let every timeout pass many times: no overflow, no new epoch.
        var now: Int64 = 12_000
        for _ in 0..<50 {
            now += 5_000
            let actions = core.handle(.tick, now: now)
            for preVote in actions.sent where preVote.voteRequest?.preVote == true {
                _ = core.handle(.received(preVote.reply(.voteResponse(VoteResponse(
                    errorCode: .none, leaderID: -1, leaderEpoch: core.epoch, voteGranted: true)))), now: now)
            }
            #expect(core.epoch == Int32.max)
        }
        #expect(!core.state.isLeader)
        #expect(core.state.name != "Candidate")
    }

    @Test func quorumEpochRequestsInAnEpochWithoutSuccessorAreRefused() {
        var core = makeCore()
        let begin = core.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(
            leaderID: 2, leaderEpoch: Int32.max)), from: 2), now: 1)
        #expect(begin.sent.compactMap(\.beginQuorumEpochResponse).last?.errorCode == .invalidRequest)
        let end = core.handle(request(.endQuorumEpochRequest(EndQuorumEpochRequest(
            leaderID: 2, leaderEpoch: Int32.max, preferredSuccessors: [1])), from: 2), now: 2)
        #expect(end.sent.contains { if case .endQuorumEpochResponse(let r) = $0.message { r.errorCode == .invalidRequest } else { false } })
        let selfNamed = core.handle(request(.beginQuorumEpochRequest(BeginQuorumEpochRequest(
            leaderID: 1, leaderEpoch: 5)), from: 2), now: 3)
        #expect(selfNamed.sent.compactMap(\.beginQuorumEpochResponse).last?.errorCode == .invalidRequest)
        #expect(core.epoch == 0)
    }

    @Test func answersNamingAnEpochWithoutSuccessorAreNotAdopted() {
        var core = makeCore()
        let prospective = core.handle(.tick, now: 2_000)
        let preVote = prospective.sent.first { $0.destination == 2 && $0.voteRequest != nil }!
        _ = core.handle(.received(preVote.reply(.voteResponse(VoteResponse(
            errorCode: .fencedLeaderEpoch, leaderID: 2, leaderEpoch: Int32.max, voteGranted: false)))), now: 2_001)
        #expect(core.epoch == 0)
    }

    @Test func fetchesUnderNegativeReplicaIDsAreRefusedAndNotListed() {
        var core = makeCore()
        let now = electLeader(&core)
        for replica: Int32 in [-1, -5, Int32.min] {
            let actions = core.handle(request(.fetchRequest(FetchRequest(
                replicaID: replica, maxWaitMs: 0, currentLeaderEpoch: core.epoch, fetchOffset: 0, lastFetchedEpoch: 0)),
                                              from: replica), now: now + 1)
            #expect(actions.sent.compactMap(\.fetchResponse).last?.errorCode == .invalidRequest)
        }
        let snapshot = core.handle(request(.fetchSnapshotRequest(FetchSnapshotRequest(
            replicaID: -5, maxBytes: 100, currentLeaderEpoch: core.epoch, snapshotID: OffsetAndEpoch(offset: 1, epoch: 1),
            position: 0)), from: -5), now: now + 2)
        #expect(snapshot.sent.contains { if case .fetchSnapshotResponse(let r) = $0.message { r.errorCode == .invalidRequest } else { false } })
        let described = core.describeQuorum(now: now + 3)
        #expect(described.observers.allSatisfy { $0.replicaID >= 0 })
        #expect(described.observers.isEmpty)
    }
}
