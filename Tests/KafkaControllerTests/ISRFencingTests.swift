import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// Fencing and unfencing brokers that hold replicas of replicated partitions.
@Suite struct ISRFencingTests {
    let clean = ClusterFixture.clean

    @Test func fencingMovesLeadershipAndShrinksISRs() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1, 2, 3], [1, 2, 3], 1), ([2, 1, 3], [2, 1, 3], 2), ([2, 3], [2, 3], 2)])
        let before = cluster.partition("t", 1)
        let records = BrokerLifecycle.fence(cluster.broker(1), image: cluster.image, unclean: clean)
        #expect(ClusterFixture.changes(records).count == 2, "the partition without broker 1 is untouched")
        #expect(records.last?.record is BrokerRegistrationChangeRecord, "partitions first, then the fence, as Kafka")
        try cluster.apply(records)
        #expect(cluster.broker(1).fenced)
        let led = cluster.partition("t", 0)
        #expect(led.leader == 2 && led.isr == [2, 3] && led.leaderEpoch == 1)
        let followed = cluster.partition("t", 1)
        #expect(followed.leader == 2 && followed.isr == [2, 3])
        #expect(followed.leaderEpoch == before.leaderEpoch && followed.partitionEpoch == before.partitionEpoch + 1)
    }

    @Test func theLastISRMemberStaysAndLeavesThePartitionLeaderless() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([1, 2], [1], 1)])
        try cluster.apply(BrokerLifecycle.fence(cluster.broker(1), image: cluster.image, unclean: clean))
        let p = cluster.partition("t", 0)
        #expect(p.leader == -1 && p.isr == [1] && p.leaderEpoch == 1)
        // Broker 2 coming back (it is not in the ISR) does not lead: that would be unclean.
        try cluster.apply(BrokerLifecycle.fence(cluster.broker(2), image: cluster.image, unclean: clean))
        try cluster.apply(BrokerLifecycle.unfence(cluster.broker(2), image: cluster.image, unclean: clean))
        #expect(cluster.partition("t", 0).leader == -1)
        // Broker 1, the last ISR member, does.
        try cluster.apply(BrokerLifecycle.unfence(cluster.broker(1), image: cluster.image, unclean: clean))
        #expect(cluster.partition("t", 0).leader == 1 && cluster.partition("t", 0).leaderEpoch == 2)
    }

    @Test func uncleanElectionWhenTheTopicAllowsIt() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([1, 2], [1], 1)], configs: ["unclean.leader.election.enable": "true"])
        try cluster.addTopic("u", [([1, 2], [1], 1)])
        try cluster.apply(BrokerLifecycle.fence(cluster.broker(1), image: cluster.image, unclean: clean))
        let p = cluster.partition("t", 0)
        #expect(p.leader == 2 && p.isr == [2] && p.leaderRecoveryState == LeaderRecoveryState.recovering)
        #expect(cluster.partition("u", 0).leader == -1, "the topic without the override follows the broker default (false)")
        // The broker default applies where the topic does not say.
        var other = try ClusterFixture(brokers: [1, 2])
        try other.addTopic("u", [([1, 2], [1], 1)])
        try other.apply(BrokerLifecycle.fence(other.broker(1), image: other.image, unclean: UncleanLeaderElection(brokerDefault: true)))
        #expect(other.partition("u", 0).leader == 2)
    }

    @Test func unfencingElectsOnlyWhereTheISRHoldsTheBrokerUnlessUnclean() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3], fenced: [1, 2, 3])
        try cluster.addTopic("t", [([1, 2], [2, 1], -1), ([1, 2], [2], -1), ([3, 1], [3], 1)])
        try cluster.addTopic("loose", [([1, 2], [2], -1)], configs: ["unclean.leader.election.enable": "true"])
        let records = BrokerLifecycle.unfence(cluster.broker(1), image: cluster.image, unclean: clean)
        #expect(records.first?.record is BrokerRegistrationChangeRecord)
        try cluster.apply(records)
        #expect(cluster.partition("t", 0).leader == 1, "in the ISR")
        #expect(cluster.partition("t", 1).leader == -1, "not in the ISR, unclean election off")
        #expect(cluster.partition("t", 2).leader == 1, "partitions with a leader are left alone")
        let loose = cluster.partition("loose", 0)
        #expect(loose.leader == 1 && loose.isr == [1] && loose.leaderRecoveryState == LeaderRecoveryState.recovering)
    }

    @Test func aNewIncarnationLosesTheOldOnesLeadershipsAndISRPlaces() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([1, 2], [1, 2], 1), ([2, 1], [2, 1], 2), ([1], [1], 1)])
        var request = BrokerRegistrationRequest()
        request.brokerID = 1
        request.clusterID = "cluster"
        request.incarnationID = KafkaUUID(mostSignificantBits: 77, leastSignificantBits: 7)
        request.listeners = [.init(name: "PLAINTEXT", host: "h", port: 9001, securityProtocol: 0)]
        request.features = [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21)]
        let result = BrokerLifecycle.register(request, image: cluster.image, clusterID: "cluster", nextOffset: 50, unclean: clean)
        #expect(result.records.last?.record is RegisterBrokerRecord)
        #expect(result.response.brokerEpoch == 50 + Int64(result.records.count - 1), "the epoch is the registration record's offset")
        try cluster.apply(result.records)
        #expect(cluster.partition("t", 0).leader == 2 && cluster.partition("t", 0).isr == [2])
        #expect(cluster.partition("t", 1).isr == [2])
        // No PreviousBrokerEpoch: an unclean shutdown, so the last ISR member leaves too, and no ELR keeps it
        // (the registration finalized eligible.leader.replicas.version first). It stays the last known leader.
        let last = cluster.partition("t", 2)
        #expect(last.leader == -1 && last.isr.isEmpty && last.elr.isEmpty && last.lastKnownElr == [1])
        #expect(cluster.broker(1).fenced && cluster.broker(1).epoch == result.response.brokerEpoch)
    }
}
