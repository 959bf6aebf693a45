import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// Kafka's partition change rules: who is elected, when the leader epoch moves, that without the ELR
/// the ISR never empties, and (KIP-966) how the eligible leader replicas follow the ISR.
@Suite struct PartitionChangeBuilderTests {
    let id = KafkaUUID(mostSignificantBits: 3, leastSignificantBits: 3)

    private func builder(_ p: PartitionRegistration, alive: Set<Int32>) -> PartitionChangeBuilder {
        PartitionChangeBuilder(partition: p, topicID: id, partitionID: 0, isAcceptableLeader: { alive.contains($0) })
    }

    @Test func nothingToChangeIsNil() {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1)
        #expect(builder(p, alive: [1, 2, 3]).build() == nil)
        // A valid leader stays even when it is not the preferred replica (online elections keep it).
        let q = PartitionRegistration(replicas: [1, 2, 3], isr: [1, 2, 3], leader: 2)
        #expect(builder(q, alive: [1, 2, 3]).build() == nil)
    }

    @Test func aLeaderThatMayNotLeadIsReplacedFromTheISRInReplicaOrder() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [3, 2, 1], leader: 1, leaderEpoch: 4, partitionEpoch: 9)
        var b = builder(p, alive: [2, 3])
        b.targetISR = [3, 2]
        let change = try #require(b.build())
        #expect(change.leader == 2 && change.isr == [3, 2])
        #expect(change.leaderRecoveryState == LeaderRecoveryState.noChange)
        let next = p.applying(change)
        #expect(next.leaderEpoch == 5 && next.partitionEpoch == 10)
    }

    @Test func anISRChangeAloneKeepsTheLeaderEpoch() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 9)
        var b = builder(p, alive: [1, 2, 3])
        b.targetISR = [1, 3]
        let change = try #require(b.build())
        #expect(change.leader == -2, "no leader change, so no leader epoch bump")
        let next = p.applying(change)
        #expect(next.isr == [1, 3] && next.leaderEpoch == 4 && next.partitionEpoch == 10)
    }

    @Test func withoutTheELRTheISRIsNeverEmptiedAndTheLastMemberStays() throws {
        let p = PartitionRegistration(replicas: [1, 2], isr: [1], leader: 1, leaderEpoch: 2)
        var b = builder(p, alive: [2])
        b.targetISR = []
        let change = try #require(b.build())
        #expect(change.leader == -1)
        #expect(change.isr == nil, "an empty target leaves the ISR as it is")
        #expect(p.applying(change).isr == [1])
    }

    @Test func uncleanElectionTakesAnAcceptableReplicaOutsideTheISR() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 2)
        var b = builder(p, alive: [3])
        b.targetISR = []
        b.election = .unclean
        let change = try #require(b.build())
        #expect(change.leader == 3 && change.isr == [3])
        #expect(change.leaderRecoveryState == LeaderRecoveryState.recovering)
        // Without unclean election nobody leads.
        var clean = builder(p, alive: [3])
        clean.targetISR = []
        #expect(try #require(clean.build()).leader == -1)
        // Already recovering: the state is not set again.
        let recovering = PartitionRegistration(replicas: [1, 2, 3], isr: [1], leader: -1, leaderRecoveryState: LeaderRecoveryState.recovering)
        var again = builder(recovering, alive: [2])
        again.election = .unclean
        let second = try #require(again.build())
        #expect(second.leader == 2 && second.leaderRecoveryState == LeaderRecoveryState.noChange)
    }

    @Test func preferredElectionTriesTheFirstReplicaFirst() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [1, 2, 3], leader: 2)
        var b = builder(p, alive: [1, 2, 3])
        b.election = .preferred
        #expect(try #require(b.build()).leader == 1)
        // The preferred replica out of the ISR: the valid leader stays, nothing changes.
        let q = PartitionRegistration(replicas: [1, 2, 3], isr: [2, 3], leader: 2)
        var c = builder(q, alive: [1, 2, 3])
        c.election = .preferred
        #expect(c.build() == nil)
    }

    @Test func leaderRecoveryStateFollowsTheTarget() throws {
        let p = PartitionRegistration(replicas: [1, 2], isr: [1], leader: 1, leaderRecoveryState: LeaderRecoveryState.recovering)
        var b = builder(p, alive: [1, 2])
        b.targetLeaderRecoveryState = LeaderRecoveryState.recovered
        b.targetISR = [1, 2]
        let change = try #require(b.build())
        #expect(change.leaderRecoveryState == LeaderRecoveryState.recovered && change.isr == [1, 2] && change.leader == -2)
    }

    private func elrBuilder(_ p: PartitionRegistration, alive: Set<Int32>, minISR: Int? = 2) -> PartitionChangeBuilder {
        var b = builder(p, alive: alive)
        b.eligibleLeaderReplicasEnabled = true
        b.minISR = minISR
        return b
    }

    @Test func theLeaversOfAnISRBelowMinISRBecomeTheELRButNotAfterAnUncleanShutdown() throws {
        let p = PartitionRegistration(replicas: [3, 1, 2], isr: [3, 2, 1], leader: 1)
        var b = elrBuilder(p, alive: [1, 2, 3])
        b.targetISR = [1]
        let change = try #require(b.build())
        #expect(change.isr == [1] && change.eligibleLeaderReplicas == [2, 3] && change.lastKnownElr == nil && change.leader == -2)
        b.uncleanShutdownReplicas = [3]
        #expect(try #require(b.build()).eligibleLeaderReplicas == [2])
        // At min.insync.replicas no ELR is kept, and one left from before empties.
        let q = PartitionRegistration(replicas: [1, 2, 3], isr: [1], leader: 1, elr: [2, 3])
        var c = elrBuilder(q, alive: [1, 2, 3])
        c.targetISR = [1, 2]
        let regrown = try #require(c.build())
        #expect(regrown.isr == [1, 2] && regrown.eligibleLeaderReplicas == [])
    }

    @Test func anEmptyISRElectsFromTheELRAndTheLeaderAloneBecomesTheISR() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 7, elr: [2, 3])
        var b = elrBuilder(p, alive: [3])
        b.targetISR = []
        let change = try #require(b.build())
        #expect(change.leader == 3 && change.isr == [3] && change.eligibleLeaderReplicas == [1, 2])
        #expect(change.leaderRecoveryState == LeaderRecoveryState.noChange)
        #expect(p.applying(change).leaderEpoch == 8)
        // The ISR not empty: the ELR does not lead.
        var d = elrBuilder(p, alive: [3])
        d.targetISR = [1]
        #expect(d.electLeader().leader == -1)
    }

    @Test func theLastKnownLeaderIsRecordedOnceAndElectedOnlyWhenISRAndELRAreEmpty() throws {
        let p = PartitionRegistration(replicas: [1, 2], isr: [1], leader: 1, leaderEpoch: 2)
        var b = elrBuilder(p, alive: [], minISR: 1)
        b.targetISR = []
        b.uncleanShutdownReplicas = [1]
        let lost = try #require(b.build())
        #expect(lost.leader == -1 && lost.isr == [] && lost.eligibleLeaderReplicas == nil && lost.lastKnownElr == [1])
        let offline = p.applying(lost)
        // Nothing else changes it while there is no leader.
        #expect(elrBuilder(offline, alive: [2], minISR: 1).build() == nil)
        var back = elrBuilder(offline, alive: [1, 2], minISR: 1)
        #expect(back.electLeader().leader == 1 && back.electLeader().unclean)
        let change = try #require(back.build())
        #expect(change.leader == 1 && change.isr == [1] && change.lastKnownElr == [])
        #expect(change.leaderRecoveryState == LeaderRecoveryState.recovering)
        back.targetELR = [2]
        #expect(try #require(back.build()).leader == 2, "an ELR member comes before the last known leader")
    }

    @Test func anUncleanElectionEmptiesTheELR() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [], leader: -1, elr: [2], lastKnownElr: [2])
        var b = elrBuilder(p, alive: [3], minISR: nil)
        #expect(b.build() == nil, "no ELR member and no last known leader may lead")
        b.election = .unclean
        let change = try #require(b.build())
        #expect(change.leader == 3 && change.isr == [3] && change.eligibleLeaderReplicas == [] && change.lastKnownElr == [])
        #expect(change.leaderRecoveryState == LeaderRecoveryState.recovering)
    }

    @Test func theELROffEmptiesALeftoverELR() throws {
        let p = PartitionRegistration(replicas: [1, 2, 3], isr: [1], leader: 1, elr: [2])
        var b = builder(p, alive: [1, 2, 3])
        b.targetISR = [1, 3]
        let change = try #require(b.build())
        #expect(change.isr == [1, 3] && change.eligibleLeaderReplicas == [])
    }
}
