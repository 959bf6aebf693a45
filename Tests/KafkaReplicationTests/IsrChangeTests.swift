@testable import KafkaReplication
import Testing

@Suite struct IsrExpansionTests {
    @Test func needsTheHighWatermarkAndTheLeaderEpochStartOffset() throws {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = leader.leaderAppended(logEndOffset: 30, now: 1)
        _ = try leader.fetch(2, at: 20, now: 2)
        #expect(leader.highWatermark == 20)
        // At the epoch start offset but below the high watermark: not in sync.
        #expect(try leader.fetch(3, at: 10, now: 3).proposals.isEmpty)
        #expect(!leader.isFollowerInSync(replicaId: 3))
        let proposals = try leader.fetch(3, at: 20, now: 4).proposals
        #expect(proposals == [AlterPartitionProposal(
            leader: 1, leaderEpoch: 5, partitionEpoch: 7,
            newIsrWithEpochs: [BrokerState(brokerId: 1, brokerEpoch: 101), BrokerState(brokerId: 2, brokerEpoch: 102),
                               BrokerState(brokerId: 3, brokerEpoch: 103)])])
    }

    @Test func aboveTheHighWatermarkButBelowTheEpochStartIsNotEnough() throws {
        // New leader with log end offset 50 and a stale high watermark 10: a follower at 30 has passed the
        // high watermark but may miss records of earlier epochs the new leader holds (30..<50).
        var leader = makeLeader(isr: [1, 2], logEndOffset: 50, highWatermark: 10)
        #expect(try leader.fetch(3, at: 30, now: 1).proposals.isEmpty)
        #expect(try leader.fetch(3, at: 50, now: 2).proposals.map(\.newIsr) == [[1, 2, 3]])
    }

    @Test func needsAnEligibleBroker() throws {
        for status in [FollowerBrokerStatus(aliveBrokerEpoch: 103, isFenced: true),
                       FollowerBrokerStatus(aliveBrokerEpoch: 103, isShuttingDown: true),
                       FollowerBrokerStatus(aliveBrokerEpoch: nil),
                       FollowerBrokerStatus.alive(brokerEpoch: 99)] {
            var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
            #expect(try leader.fetch(3, at: 10, now: 1, status: status).proposals.isEmpty, "\(status)")
        }
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        #expect(try leader.fetch(3, at: 10, now: 1).proposals.count == 1)
    }

    @Test func aFetchFromBeforeTheBrokersRestartIsFenced() {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        #expect(throws: ReplicationError.notLeaderOrFollower) {
            try leader.followerFetched(
                FollowerFetch(replicaId: 3, brokerEpoch: 50, fetchOffset: 10, leaderLogEndOffset: 10,
                              brokerStatus: .alive(brokerEpoch: 103)), now: 1)
        }
        #expect(leader.followers[3]?.logEndOffset == -1)
        #expect(throws: ReplicationError.notLeaderOrFollower) {
            try leader.followerFetched(
                FollowerFetch(replicaId: 9, brokerEpoch: -1, fetchOffset: 10, leaderLogEndOffset: 10,
                              brokerStatus: .alive(brokerEpoch: 1)), now: 1)
        }
    }

    @Test func lastCaughtUpTimeFollowsKafkasRules() throws {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        _ = try leader.fetch(3, at: 10, now: 100)
        #expect(leader.followers[3]?.lastCaughtUpTimeMs == 100, "fetched up to the leader's end")
        _ = leader.leaderAppended(logEndOffset: 20, now: 150)
        _ = try leader.fetch(3, at: 15, now: 200)
        #expect(leader.followers[3]?.lastCaughtUpTimeMs == 100, "behind the end now, and of the previous fetch")
        _ = leader.leaderAppended(logEndOffset: 30, now: 250)
        _ = try leader.fetch(3, at: 20, now: 300)
        #expect(leader.followers[3]?.lastCaughtUpTimeMs == 200,
                "reached the end the leader had at the previous fetch: caught up as of that fetch")
        #expect(leader.followers[3]?.lastFetchLeaderLogEndOffset == 30)
        #expect(leader.followers[3]?.lastFetchTimeMs == 300)
    }
}

@Suite struct IsrShrinkTests {
    @Test func removesAFollowerAfterTheLagTime() throws {
        var leader = makeLeader(logEndOffset: 10, now: 0)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = leader.leaderAppended(logEndOffset: 12, now: 2)
        _ = try leader.fetch(2, at: 12, now: 3)
        #expect(leader.maybeShrinkIsr(now: 30_000).isEmpty, "3 was caught up at the election, 30 s ago")
        let proposals = leader.maybeShrinkIsr(now: 30_001).proposals
        #expect(proposals.map(\.newIsr) == [[1, 2]])
        #expect(leader.pendingIsrChange?.kind == .shrink(outOfSyncReplicas: [3]))
        #expect(proposals.first?.newIsrWithEpochs.first { $0.brokerId == 2 }?.brokerEpoch == 102)
    }

    @Test func keepsAFollowerAtTheLeaderLogEndOffset() throws {
        var leader = makeLeader(logEndOffset: 10, now: 0)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = try leader.fetch(3, at: 10, now: 1)
        #expect(leader.maybeShrinkIsr(now: 1_000_000).isEmpty, "no appends: both still at the leader's end")
        _ = leader.leaderAppended(logEndOffset: 11, now: 1_000_000)
        #expect(leader.maybeShrinkIsr(now: 1_000_001).proposals.map(\.newIsr) == [[1]])
    }

    @Test func anUnknownIsrMemberIsOutOfSync() throws {
        var leader = makeLeader(isr: [1, 2, 4], logEndOffset: 10, now: 0)
        _ = try leader.fetch(2, at: 10, now: 1)
        #expect(leader.outOfSyncReplicas(now: 2) == [4])
    }
}

@Suite struct AlterPartitionTests {
    func leaderWithPendingExpansion() throws -> (PartitionLeaderState, AlterPartitionProposal) {
        var leader = makeLeader(isr: [1, 2], logEndOffset: 10)
        let proposal = try #require(try leader.fetch(3, at: 10, now: 1).proposals.first)
        return (leader, proposal)
    }

    @Test func atMostOneInFlight() throws {
        var (leader, _) = try leaderWithPendingExpansion()
        #expect(leader.maybeShrinkIsr(now: 1_000_000).isEmpty)
        #expect(try leader.fetch(3, at: 10, now: 2).proposals.isEmpty)
        #expect(leader.isIsrChangeInFlight)
    }

    @Test func successCommitsAndAllowsTheNext() throws {
        var (leader, proposal) = try leaderWithPendingExpansion()
        _ = leader.alterPartitionAnswered(
            proposal, result: .success(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 8, isr: [1, 2, 3])), now: 3)
        #expect(leader.isr == [1, 2, 3])
        #expect(leader.partitionEpoch == 8)
        #expect(leader.pendingIsrChange == nil)
        let next = leader.maybeShrinkIsr(now: 1_000_000).proposals
        #expect(next.first?.partitionEpoch == 8)
    }

    @Test func retriableErrorsResendTheSameProposal() throws {
        var (leader, proposal) = try leaderWithPendingExpansion()
        #expect(leader.alterPartitionAnswered(proposal, result: .failure(.other(code: 7)), now: 3) == [.sendAlterPartition(proposal)])
        #expect(leader.pendingIsrChange?.status == .inFlight)
    }

    @Test(arguments: [ReplicationError.invalidUpdateVersion, .fencedLeaderEpoch, .newLeaderElected, .unknownTopicOrPartition])
    func staleStateErrorsWaitForMetadata(error: ReplicationError) throws {
        var (leader, proposal) = try leaderWithPendingExpansion()
        #expect(leader.alterPartitionAnswered(proposal, result: .failure(error), now: 3).isEmpty)
        #expect(leader.pendingIsrChange?.status == .awaitingMetadata)
        #expect(leader.maximalIsr == [1, 2, 3], "still counted: stricter, so safe")
        #expect(leader.maybeShrinkIsr(now: 1_000_000).isEmpty)
        // A later answer to the same proposal is ignored.
        #expect(leader.alterPartitionAnswered(
            proposal, result: .success(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 8, isr: [1, 2, 3])), now: 4).isEmpty)
        #expect(leader.isr == [1, 2])
        // New metadata resolves it.
        _ = leader.applyRegistration(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 9, isr: [1, 2], replicas: [1, 2, 3]), now: 5)
        #expect(leader.pendingIsrChange == nil)
        #expect(leader.partitionEpoch == 9)
        #expect(try leader.fetch(3, at: 10, now: 6).proposals.first?.partitionEpoch == 9)
    }

    @Test(arguments: [ReplicationError.ineligibleReplica, .operationNotAttempted])
    func refusalsReturnToTheCommittedState(error: ReplicationError) throws {
        var (leader, proposal) = try leaderWithPendingExpansion()
        #expect(leader.alterPartitionAnswered(proposal, result: .failure(error), now: 3).isEmpty)
        #expect(leader.pendingIsrChange == nil)
        #expect(leader.maximalIsr == [1, 2])
        #expect(try leader.fetch(3, at: 10, now: 4).proposals.count == 1)
    }

    @Test func successFromAnotherLeaderEpochStaysPending() throws {
        var (leader, proposal) = try leaderWithPendingExpansion()
        _ = leader.alterPartitionAnswered(
            proposal, result: .success(LeaderAndIsr(leader: 1, leaderEpoch: 6, partitionEpoch: 8, isr: [1, 2, 3])), now: 3)
        #expect(leader.isr == [1, 2])
        #expect(leader.pendingIsrChange?.status == .awaitingMetadata)
        var (other, otherProposal) = try leaderWithPendingExpansion()
        _ = other.alterPartitionAnswered(
            otherProposal, result: .success(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 6, isr: [1, 2, 3])), now: 3)
        #expect(other.isr == [1, 2], "older partition epoch")
    }

    @Test func anAnswerToAnotherProposalIsIgnored() throws {
        var (leader, proposal) = try leaderWithPendingExpansion()
        var stale = proposal
        stale.partitionEpoch = 3
        #expect(leader.alterPartitionAnswered(stale, result: .failure(.other(code: 7)), now: 3).isEmpty)
        _ = leader.alterPartitionAnswered(
            stale, result: .success(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 8, isr: [1])), now: 3)
        #expect(leader.isr == [1, 2])
        #expect(leader.pendingIsrChange?.proposal == proposal)
    }
}

@Suite struct LeaderRegistrationTests {
    @Test func anOlderPartitionEpochIsIgnored() {
        var leader = makeLeader(partitionEpoch: 7)
        #expect(leader.applyRegistration(LeaderAndIsr(leader: 2, leaderEpoch: 6, partitionEpoch: 6, isr: [2]), now: 1).isEmpty)
        #expect(leader.isr == [1, 2, 3])
    }

    @Test func anotherLeaderEndsTheLeadership() {
        var leader = makeLeader()
        #expect(leader.applyRegistration(LeaderAndIsr(leader: 2, leaderEpoch: 6, partitionEpoch: 8, isr: [2, 3]), now: 1)
                == [.resigned(leader: 2, leaderEpoch: 6)])
    }

    @Test func aNewLeaderEpochForTheSameLeaderRestartsTheEpoch() throws {
        var leader = makeLeader(isr: [1, 2, 3], logEndOffset: 10)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = leader.leaderAppended(logEndOffset: 25, now: 2)
        let actions = leader.applyRegistration(
            LeaderAndIsr(leader: 1, leaderEpoch: 6, partitionEpoch: 9, isr: [1, 2], replicas: [1, 2, 3]), now: 50)
        #expect(actions.first == .leaderEpochStarted(leaderEpoch: 6, startOffset: 25))
        #expect(leader.leaderEpoch == 6)
        #expect(leader.leaderEpochStartOffset == 25)
        #expect(leader.followers[2]?.logEndOffset == 10, "positions are kept")
        #expect(leader.followers[2]?.lastCaughtUpTimeMs == 50)
        #expect(leader.followers[3]?.lastCaughtUpTimeMs == 0)
        #expect(leader.isr == [1, 2])
    }

    @Test func aReassignmentAddsAndRemovesFollowers() {
        var leader = makeLeader()
        _ = leader.applyRegistration(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 8, isr: [1, 2], replicas: [1, 2, 4]), now: 1)
        #expect(Set(leader.followers.keys) == [2, 4])
        #expect(leader.replicas == [1, 2, 4])
    }
}

@Suite struct ProduceCheckTests {
    @Test func minIsrCheckBeforeAppend() {
        let leader = makeLeader(isr: [1])
        #expect(leader.minIsrCheck(requiredAcks: -1, minInsyncReplicas: 2) == .notEnoughReplicas)
        #expect(leader.minIsrCheck(requiredAcks: 1, minInsyncReplicas: 2) == nil)
        #expect(leader.minIsrCheck(requiredAcks: 0, minInsyncReplicas: 2) == nil)
        #expect(leader.minIsrCheck(requiredAcks: -1, minInsyncReplicas: 1) == nil)
        let full = makeLeader(isr: [1, 2, 3])
        #expect(full.minIsrCheck(requiredAcks: -1, minInsyncReplicas: 5) == nil, "capped at the replication factor")
        #expect(makeLeader(isr: [1, 2]).minIsrCheck(requiredAcks: -1, minInsyncReplicas: 5) == .notEnoughReplicas)
    }

    @Test func acksAllOutcomes() throws {
        var leader = makeLeader(logEndOffset: 10)
        #expect(leader.acksAllOutcome(requiredOffset: 10, minInsyncReplicas: 2) == .notYet)
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = try leader.fetch(3, at: 10, now: 1)
        #expect(leader.acksAllOutcome(requiredOffset: 10, minInsyncReplicas: 2) == .done)
        // The ISR shrinks to the leader after the append was committed: the produce fails after append.
        _ = leader.applyRegistration(LeaderAndIsr(leader: 1, leaderEpoch: 5, partitionEpoch: 8, isr: [1], replicas: [1, 2, 3]), now: 2)
        #expect(leader.acksAllOutcome(requiredOffset: 10, minInsyncReplicas: 2) == .notEnoughReplicasAfterAppend)
        #expect(leader.acksAllOutcome(requiredOffset: 10, minInsyncReplicas: 1) == .done)
    }

    @Test func aPendingExpansionCountsForAcksAll() throws {
        var leader = makeLeader(isr: [1], logEndOffset: 10, minInsyncReplicas: 1)
        _ = try leader.fetch(2, at: 10, now: 1)
        #expect(leader.maximalIsr == [1, 2])
        #expect(leader.acksAllOutcome(requiredOffset: 10, minInsyncReplicas: 2) == .done)
    }
}

@Suite struct ReplicationErrorTests {
    @Test func codesRoundTrip() {
        for code in Int16(-1)...120 {
            #expect(ReplicationError(code: code).code == code)
        }
        #expect(ReplicationError(code: 74) == .fencedLeaderEpoch)
        #expect(ReplicationError.notEnoughReplicasAfterAppend.code == 20)
        #expect(ReplicationError.ineligibleReplica.description == "INELIGIBLE_REPLICA")
    }
}
