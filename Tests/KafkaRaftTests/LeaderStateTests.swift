@testable import KafkaRaft
import Testing

@Suite struct LeaderStateTests {
    func leader(voters: [Int32] = [1, 2, 3], epochStartOffset: Int64 = 10) -> LeaderState {
        LeaderState(epoch: 4, localID: 1, epochStartOffset: epochStartOffset, voters: VoterSet(voters),
                    grantingVoters: [1, 2], now: 0, config: QuorumConfig())
    }

    @Test func highWatermarkIsTheMajorityPositionBeyondTheEpochStart() {
        var state = leader()
        let advanced1 = state.updateLocalState(endOffset: 11, now: 1)
        #expect(!advanced1)
        #expect(state.highWatermark == nil)
        // A follower at the epoch start offset does not commit anything: only entries of epoch 4 commit.
        let advanced2 = state.updateReplicaState(replicaID: 2, fetchOffset: 10, now: 2, leaderEndOffset: 11)
        #expect(!advanced2)
        #expect(state.highWatermark == nil)
        let advanced3 = state.updateReplicaState(replicaID: 3, fetchOffset: 11, now: 3, leaderEndOffset: 11)
        #expect(advanced3)
        #expect(state.highWatermark == 11)
        let advanced4 = state.updateLocalState(endOffset: 15, now: 4)
        #expect(!advanced4)
        let advanced5 = state.updateReplicaState(replicaID: 2, fetchOffset: 14, now: 5, leaderEndOffset: 15)
        #expect(advanced5)
        #expect(state.highWatermark == 14)
    }

    @Test func highWatermarkNeverMovesBack() {
        var state = leader()
        _ = state.updateLocalState(endOffset: 20, now: 1)
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 18, now: 2, leaderEndOffset: 20)
        #expect(state.highWatermark == 18)
        // Follower 2 restarted with less data; follower 3 is behind too.
        let advanced6 = state.updateReplicaState(replicaID: 2, fetchOffset: 12, now: 3, leaderEndOffset: 20)
        #expect(!advanced6)
        #expect(state.highWatermark == 18)
    }

    @Test func observersDoNotCount() {
        var state = leader()
        _ = state.updateLocalState(endOffset: 20, now: 1)
        let advanced7 = state.updateReplicaState(replicaID: 100, fetchOffset: 20, now: 2, leaderEndOffset: 20)
        #expect(!advanced7)
        #expect(state.highWatermark == nil)
        #expect(state.observerStates[100]?.endOffset == 20)
    }

    @Test func checkQuorumNeedsAMajorityOfFetchesPerPeriod() {
        var state = leader(voters: [1, 2, 3, 4, 5])
        #expect(state.checkQuorumDeadline == 3_000)
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 0, now: 1_000, leaderEndOffset: 0)
        #expect(state.checkQuorumDeadline == 3_000)
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 0, now: 1_500, leaderEndOffset: 0)
        #expect(state.checkQuorumDeadline == 3_000, "the same voter twice is not a majority")
        _ = state.updateReplicaState(replicaID: 3, fetchOffset: 0, now: 2_000, leaderEndOffset: 0)
        #expect(state.checkQuorumDeadline == 5_000)
        #expect(!state.hasCheckQuorumExpired(now: 4_999))
        #expect(state.hasCheckQuorumExpired(now: 5_000))
    }

    @Test func caughtUpTimestampsFollowKafka() {
        var state = leader()
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 5, now: 100, leaderEndOffset: 12)
        #expect(state.voterStates[2]?.lastCaughtUpTimestamp == -1)
        // Reaching the end offset the leader had at the previous fetch: caught up as of that fetch.
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 12, now: 200, leaderEndOffset: 15)
        #expect(state.voterStates[2]?.lastCaughtUpTimestamp == 100)
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 15, now: 300, leaderEndOffset: 15)
        #expect(state.voterStates[2]?.lastCaughtUpTimestamp == 300)
        #expect(state.voterStates[2]?.lastFetchTimestamp == 300)
    }

    @Test func successorsAreOrderedByFetchOffset() {
        var state = leader()
        _ = state.updateReplicaState(replicaID: 2, fetchOffset: 3, now: 1, leaderEndOffset: 9)
        _ = state.updateReplicaState(replicaID: 3, fetchOffset: 7, now: 1, leaderEndOffset: 9)
        #expect(state.nonLeaderVotersByDescendingFetchOffset == [3, 2])
    }
}
