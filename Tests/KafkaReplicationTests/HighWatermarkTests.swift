@testable import KafkaReplication
import Testing

@Suite struct HighWatermarkTests {
    @Test func advancesToTheSmallestLogEndOffsetOfTheIsr() throws {
        var leader = makeLeader(logEndOffset: 10)
        #expect(leader.highWatermark == 0)
        _ = leader.leaderAppended(logEndOffset: 20, now: 1)
        #expect(try leader.fetch(2, at: 15, now: 2).highWatermarks.isEmpty, "3 has not fetched yet")
        #expect(try leader.fetch(3, at: 12, now: 3).highWatermarks == [12])
        #expect(try leader.fetch(2, at: 20, now: 4).highWatermarks.isEmpty)
        #expect(try leader.fetch(3, at: 20, now: 5).highWatermarks == [20])
        #expect(leader.highWatermark == 20)
    }

    @Test func neverMovesBackward() throws {
        var leader = makeLeader(logEndOffset: 20)
        _ = try leader.fetch(2, at: 20, now: 1)
        _ = try leader.fetch(3, at: 18, now: 1)
        #expect(leader.highWatermark == 18)
        // A follower's position drops (it truncated): the high watermark stays.
        #expect(try leader.fetch(3, at: 5, now: 2).highWatermarks.isEmpty)
        #expect(leader.highWatermark == 18)
        #expect(leader.highWatermarkCandidate(now: 2) == 5)
    }

    @Test func neverPassesALaggingIsrMemberEvenAfterTheLagTime() throws {
        var leader = makeLeader(logEndOffset: 10)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = try leader.fetch(3, at: 4, now: 1)
        _ = leader.leaderAppended(logEndOffset: 30, now: 2)
        _ = try leader.fetch(2, at: 30, now: 100_000)
        #expect(leader.highWatermark == 4, "3 is still in the committed ISR")
    }

    @Test func neverExceedsTheLeaderLogEndOffset() throws {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        _ = try leader.fetch(2, at: 10, now: 1)
        #expect(leader.highWatermark == 10)
        // A follower cannot be ahead of the leader, but if it says so the leader's end still bounds it.
        _ = try leader.fetch(2, at: 12, now: 2)
        #expect(leader.highWatermark == 10)
        #expect(leader.leaderAppended(logEndOffset: 11, now: 3).highWatermarks == [11])
    }

    @Test func doesNotMoveWhileTheIsrIsBelowMinInsync() throws {
        var leader = makeLeader(isr: [1], logEndOffset: 10, now: 0, minInsyncReplicas: 2)
        #expect(leader.isUnderMinIsr)
        #expect(leader.leaderAppended(logEndOffset: 20, now: 100_000).highWatermarks.isEmpty)
        #expect(leader.highWatermark == 0)
        // With min.insync.replicas 1 the lone leader commits its own appends.
        var alone = makeLeader(isr: [1], logEndOffset: 10, now: 0, minInsyncReplicas: 1)
        _ = alone.leaderAppended(logEndOffset: 20, now: 100_000)
        #expect(alone.highWatermark == 20)
    }

    @Test func waitsForAnEligibleCaughtUpReplicaOutsideTheIsr() throws {
        // 3 is outside the ISR but fetched recently; it is below the epoch start, so it cannot join yet.
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10, now: 0)
        _ = try leader.fetch(3, at: 5, now: 1)
        #expect(leader.pendingIsrChange == nil)
        _ = try leader.fetch(2, at: 10, now: 2)
        #expect(leader.highWatermark == 5, "held back for 3, caught up within the lag time")
        // Once 3 has lagged longer than replica.lag.time.max.ms it no longer holds the high watermark back.
        #expect(leader.leaderAppended(logEndOffset: 10, now: 30_001).highWatermarks == [10])
    }

    @Test func anIneligibleReplicaOutsideTheIsrDoesNotHoldItBack() throws {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10, now: 0)
        _ = try leader.fetch(3, at: 5, now: 1, status: FollowerBrokerStatus(aliveBrokerEpoch: 103, isFenced: true))
        _ = try leader.fetch(2, at: 10, now: 2)
        #expect(leader.highWatermark == 10)
    }

    @Test func aFollowerFencedAfterItLeftTheIsrReleasesTheHighWatermarkAtOnce() throws {
        // 3 left the ISR (the controller's fencing removes it before it marks the broker fenced) but was
        // caught up within the lag time, so it still holds the high watermark back...
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10, now: 0)
        _ = try leader.fetch(3, at: 5, now: 1)
        _ = try leader.fetch(2, at: 10, now: 2)
        #expect(leader.highWatermark == 5)
        // ...until the image says its broker is fenced: the high watermark moves then, not at the next
        // append or fetch (acks=all producers waiting on it may be the ones holding those back).
        let actions = leader.brokerStatusesChanged([3: FollowerBrokerStatus(aliveBrokerEpoch: 103, isFenced: true)], now: 3)
        #expect(actions.highWatermarks == [10])
        #expect(leader.brokerStatusesChanged([3: FollowerBrokerStatus(aliveBrokerEpoch: 103, isFenced: true)], now: 4).isEmpty)
    }

    @Test func aPendingExpansionCountsAtOnce() throws {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        _ = try leader.fetch(2, at: 10, now: 1)
        #expect(leader.highWatermark == 10)
        _ = leader.leaderAppended(logEndOffset: 20, now: 2)
        _ = try leader.fetch(3, at: 10, now: 40_000)
        #expect(leader.pendingIsrChange?.kind == .expand(newInSyncReplica: 3))
        #expect(leader.maximalIsr == [1, 2, 3])
        #expect(leader.isr == [1, 2])
        _ = try leader.fetch(2, at: 20, now: 40_001)
        #expect(leader.highWatermark == 10, "held back by the pending member 3")
    }

    @Test func aPendingShrinkDoesNotCountUntilCommitted() throws {
        var leader = makeLeader(logEndOffset: 10)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = try leader.fetch(3, at: 2, now: 1)
        let shrink = leader.maybeShrinkIsr(now: 40_000).proposals
        #expect(shrink.map(\.newIsr) == [[1, 2]])
        #expect(leader.highWatermark == 2)
        let actions = leader.alterPartitionAnswered(
            shrink[0], result: .success(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 8, isr: [1, 2])), now: 40_001)
        #expect(actions.highWatermarks == [10])
        #expect(leader.isr == [1, 2])
        #expect(leader.partitionEpoch == 8)
    }

    @Test func aNewLeaderStartsAtItsOwnHighWatermark() {
        let leader = makeLeader(isr: [1, 2], logEndOffset: 50, highWatermark: 30, now: 5)
        #expect(leader.highWatermark == 30)
        #expect(leader.leaderEpochStartOffset == 50)
        #expect(leader.followers[2]?.logEndOffset == -1)
        #expect(leader.followers[2]?.lastCaughtUpTimeMs == 5, "in the ISR: caught up as of the election")
        #expect(leader.followers[3]?.lastCaughtUpTimeMs == 0)
    }
}
