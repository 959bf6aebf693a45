import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// KIP-966's eligible leader replicas, transcript by transcript through the controller's decisions
/// (AlterPartition, fencing, unfencing, registration, controlled shutdown, ElectLeaders, config changes)
/// with eligible.leader.replicas.version finalized. Brokers 1-3 register with epochs 100, 200, 300.
@Suite struct EligibleLeaderReplicasTests {
    let defaults = ClusterFixture.clean

    /// Brokers 1-3 with the ELR on; t-0 on replicas [1,2,3], all in the ISR, led by 1.
    private func cluster(_ configs: [String: String] = ["min.insync.replicas": "2"]) throws -> ClusterFixture {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.enableELR()
        try cluster.addTopic("t", [([1, 2, 3], [1, 2, 3], 1)], configs: configs)
        return cluster
    }

    /// The leader's AlterPartition (v3) to `isr`, applied; fails the test unless accepted.
    private func alter(_ cluster: inout ClusterFixture, isr: [Int32]) throws {
        let p = cluster.partition("t", 0)
        typealias PartitionData = AlterPartitionRequest.TopicData.PartitionData
        var data = PartitionData(partitionIndex: 0, leaderEpoch: p.leaderEpoch, leaderRecoveryState: 0, partitionEpoch: p.partitionEpoch)
        data.newIsrWithEpochs = isr.map { .init(brokerID: $0, brokerEpoch: cluster.broker($0).epoch) }
        let request = AlterPartitionRequest(brokerID: p.leader, brokerEpoch: cluster.broker(p.leader).epoch,
                                            topics: [.init(topicName: "", topicID: ClusterFixture.topicID("t"), partitions: [data])])
        let result = AlterPartition.alter(request, version: 3, image: cluster.image, unclean: defaults)
        #expect(result.response.topics.first?.partitions.first?.errorCode == 0)
        try cluster.apply(result.records)
    }

    private func fence(_ cluster: inout ClusterFixture, _ broker: Int32) throws {
        try cluster.apply(BrokerLifecycle.fence(cluster.broker(broker), image: cluster.image, unclean: defaults))
    }

    private func unfence(_ cluster: inout ClusterFixture, _ broker: Int32, unclean: UncleanLeaderElection? = nil) throws {
        try cluster.apply(BrokerLifecycle.unfence(cluster.broker(broker), image: cluster.image, unclean: unclean ?? defaults))
    }

    /// A new incarnation of `broker` registers: after a clean shutdown its PreviousBrokerEpoch is the
    /// registered epoch, after an unclean one -1. Returns the partition changes the registration made.
    @discardableResult
    private func restart(_ cluster: inout ClusterFixture, _ broker: Int32, cleanShutdown: Bool) throws -> [PartitionChangeRecord] {
        var request = BrokerRegistrationRequest()
        request.brokerID = broker
        request.clusterID = "cluster"
        request.incarnationID = KafkaUUID(mostSignificantBits: UInt64(broker), leastSignificantBits: UInt64(cluster.image.provenance.offset))
        request.listeners = [.init(name: "PLAINTEXT", host: "h", port: 9000, securityProtocol: 0)]
        request.features = [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21)]
        request.previousBrokerEpoch = cleanShutdown ? cluster.broker(broker).epoch : -1
        let result = BrokerLifecycle.register(request, image: cluster.image, clusterID: "cluster",
                                              nextOffset: cluster.image.provenance.offset + 1, unclean: defaults)
        #expect(result.response.errorCode == 0)
        try cluster.apply(result.records)
        #expect(cluster.broker(broker).epoch == result.response.brokerEpoch && cluster.broker(broker).fenced)
        return ClusterFixture.changes(result.records)
    }

    /// ISR [1], ELR [2, 3], led by 1 (min.insync.replicas 2).
    private func underMinISR() throws -> ClusterFixture {
        var cluster = try cluster()
        try alter(&cluster, isr: [1])
        return cluster
    }

    /// Everyone fenced, the ELR members first: ISR empty, ELR [1, 2, 3], no leader, last known leader 1.
    private func offline() throws -> ClusterFixture {
        var cluster = try underMinISR()
        try fence(&cluster, 3)
        try fence(&cluster, 2)
        try fence(&cluster, 1)
        let p = cluster.partition("t", 0)
        #expect(p.leader == -1 && p.isr.isEmpty && p.elr == [1, 2, 3] && p.lastKnownElr == [1])
        return cluster
    }

    @Test func shrinkingBelowMinISRSendsTheLeaversToTheELRAndRegrowingEmptiesIt() throws {
        var cluster = try cluster()
        try alter(&cluster, isr: [1, 2])
        #expect(cluster.partition("t", 0).elr.isEmpty, "at min.insync.replicas the high watermark still moves: no ELR")
        try alter(&cluster, isr: [1])
        var p = cluster.partition("t", 0)
        #expect(p.isr == [1] && p.elr == [2] && p.leader == 1 && p.leaderEpoch == 0)
        try alter(&cluster, isr: [1, 3])
        p = cluster.partition("t", 0)
        #expect(p.isr == [1, 3] && p.elr.isEmpty, "back at min.insync.replicas")
    }

    @Test func theELRStaysDisjointFromTheISRWhileBelowMinISR() throws {
        var cluster = try cluster(["min.insync.replicas": "3"])
        try alter(&cluster, isr: [1])
        #expect(cluster.partition("t", 0).elr == [2, 3])
        try alter(&cluster, isr: [1, 3])
        let p = cluster.partition("t", 0)
        #expect(p.isr == [1, 3] && p.elr == [2], "3 went back to the ISR; 3 of 3 not reached yet")
        // min.insync.replicas above the replication factor counts as the replication factor.
        var capped = try self.cluster(["min.insync.replicas": "5"])
        try alter(&capped, isr: [1, 2])
        #expect(capped.partition("t", 0).elr == [3])
    }

    @Test func theDefaultMinISRAppliesWithoutATopicSetting() throws {
        var cluster = try cluster([:])
        try alter(&cluster, isr: [1])
        #expect(cluster.partition("t", 0).elr.isEmpty, "the broker default of 1 is met")
        let strict = UncleanLeaderElection(brokerDefault: false, minInsyncReplicasDefault: 2)
        var other = try self.cluster([:])
        try other.apply(BrokerLifecycle.fence(other.broker(3), image: other.image, unclean: strict))
        try other.apply(BrokerLifecycle.fence(other.broker(2), image: other.image, unclean: strict))
        #expect(other.partition("t", 0).isr == [1] && other.partition("t", 0).elr == [2])
    }

    @Test func whenTheISRIsFencedTheLeaderComesFromTheELRWithANewLeaderEpoch() throws {
        var cluster = try underMinISR()
        try fence(&cluster, 3)
        #expect(cluster.partition("t", 0).elr == [2, 3], "fencing an ELR member keeps it there")
        let records = BrokerLifecycle.fence(cluster.broker(1), image: cluster.image, unclean: defaults)
        let change = try #require(ClusterFixture.changes(records).first)
        #expect(records.first?.version == 2, "ELR fields exist from version 2 of PartitionChangeRecord")
        #expect(change.leader == 2 && change.isr == [2] && change.eligibleLeaderReplicas == [1, 3])
        try cluster.apply(records)
        let p = cluster.partition("t", 0)
        #expect(p.leader == 2 && p.leaderEpoch == 1 && p.isr == [2] && p.elr == [1, 3])
        #expect(p.leaderRecoveryState == LeaderRecoveryState.recovered, "an ELR member holds every committed record")
    }

    @Test func anUnfencedELRMemberLeadsAnOfflinePartition() throws {
        var cluster = try offline()
        try unfence(&cluster, 3)
        let p = cluster.partition("t", 0)
        #expect(p.leader == 3 && p.isr == [3] && p.elr == [1, 2] && p.lastKnownElr.isEmpty)
        #expect(p.leaderRecoveryState == LeaderRecoveryState.recovered)
    }

    @Test func anUncleanShutdownRemovesTheBrokerFromEveryELR() throws {
        var cluster = try offline()
        let changes = try restart(&cluster, 3, cleanShutdown: false)
        #expect(changes.count == 1 && changes.first?.eligibleLeaderReplicas == [1, 2])
        try unfence(&cluster, 3)
        #expect(cluster.partition("t", 0).leader == -1, "3 may have lost committed records: not eligible")
        // The ISR's last member back from an unclean shutdown leaves it, and not for the ELR: an ELR member
        // that may lead takes over.
        var led = try underMinISR()
        try restart(&led, 1, cleanShutdown: false)
        let p = led.partition("t", 0)
        #expect(p.leader == 2 && p.leaderEpoch == 1 && p.isr == [2] && p.elr == [3] && p.lastKnownElr.isEmpty)
    }

    @Test func aCleanRestartKeepsTheELRMembership() throws {
        var cluster = try offline()
        #expect(try restart(&cluster, 3, cleanShutdown: true).isEmpty)
        #expect(cluster.partition("t", 0).elr == [1, 2, 3])
        try unfence(&cluster, 3)
        let p = cluster.partition("t", 0)
        #expect(p.leader == 3 && p.isr == [3] && p.elr == [1, 2] && p.leaderRecoveryState == LeaderRecoveryState.recovered)
    }

    /// ISR and ELR empty, last known leader 1 (1 led, was fenced, and came back uncleanly).
    private func onlyTheLastKnownLeaderLeft(_ configs: [String: String] = [:]) throws -> ClusterFixture {
        var cluster = try cluster(configs)
        try fence(&cluster, 3)
        try fence(&cluster, 2)
        try fence(&cluster, 1)
        var p = cluster.partition("t", 0)
        #expect(p.isr.isEmpty && p.elr == [1] && p.lastKnownElr == [1], "min ISR 1: only the last member is eligible")
        try restart(&cluster, 1, cleanShutdown: false)
        p = cluster.partition("t", 0)
        #expect(p.isr.isEmpty && p.elr.isEmpty && p.lastKnownElr == [1] && p.leader == -1)
        return cluster
    }

    @Test func withISRAndELREmptyTheLastKnownLeaderIsElectedUncleanly() throws {
        var cluster = try onlyTheLastKnownLeaderLeft()
        try unfence(&cluster, 2)
        #expect(cluster.partition("t", 0).leader == -1, "unclean election is off; 2 is no last known leader")
        try unfence(&cluster, 1)
        let p = cluster.partition("t", 0)
        #expect(p.leader == 1 && p.isr == [1] && p.lastKnownElr.isEmpty)
        #expect(p.leaderRecoveryState == LeaderRecoveryState.recovering, "as Kafka, an election of the last known leader is unclean")
    }

    @Test func uncleanElectionStillWorksWhenISRAndELRAreEmpty() throws {
        var cluster = try onlyTheLastKnownLeaderLeft(["unclean.leader.election.enable": "true"])
        try unfence(&cluster, 2)
        var p = cluster.partition("t", 0)
        #expect(p.leader == 2 && p.isr == [2] && p.leaderRecoveryState == LeaderRecoveryState.recovering && p.lastKnownElr.isEmpty)
        // Without the topic setting, an administrator's unclean ElectLeaders does it.
        var other = try onlyTheLastKnownLeaderLeft()
        try unfence(&other, 3)
        let request = ElectLeadersRequest(electionType: 1, topicPartitions: [.init(topic: "t", partitions: [0])])
        let result = ElectLeaders.elect(request, version: 1, image: other.image)
        #expect(result.response.replicaElectionResults.first?.partitionResult.first?.errorCode == 0)
        try other.apply(result.records)
        p = other.partition("t", 0)
        #expect(p.leader == 3 && p.isr == [3] && p.elr.isEmpty && p.leaderRecoveryState == LeaderRecoveryState.recovering)
    }

    @Test func aBrokerInControlledShutdownGoesToTheELRAndIsNotElected() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.enableELR()
        try cluster.addTopic("t", [([2, 1], [2, 1], 2)], configs: ["min.insync.replicas": "2"])
        var sessions = BrokerSessions()
        sessions.reset(brokers: [1, 2], now: 0)
        let shutdown = BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: 200, currentMetadataOffset: cluster.image.provenance.offset,
                                              wantFence: false, wantShutDown: true)
        try cluster.apply(BrokerLifecycle.heartbeat(shutdown, image: cluster.image, unclean: defaults, sessions: sessions).records)
        #expect(cluster.broker(2).inControlledShutdown && !cluster.broker(2).fenced)
        #expect(cluster.partition("t", 0).leader == 1 && cluster.partition("t", 0).isr == [1] && cluster.partition("t", 0).elr == [2])
        try fence(&cluster, 1)
        let p = cluster.partition("t", 0)
        #expect(p.isr.isEmpty && p.elr == [1, 2] && p.leader == -1, "2 is shutting down: not acceptable")
    }

    @Test func changingATopicsMinISREmptiesItsELRs() throws {
        var cluster = try offline()
        let request = IncrementalAlterConfigsRequest(resources: [.init(resourceType: ConfigResource.topicType, resourceName: "t",
                                                                       configs: [.init(name: "min.insync.replicas", configOperation: 0, value: "2")])])
        let result = IncrementalAlterConfigs.handle(request, image: cluster.image)
        let change = try #require(ClusterFixture.changes(result.records).first)
        #expect(change.eligibleLeaderReplicas == [] && change.lastKnownElr == [] && change.isr == nil && change.leader == -2)
        try cluster.apply(result.records)
        let p = cluster.partition("t", 0)
        #expect(p.elr.isEmpty && p.lastKnownElr.isEmpty)
        var validate = request
        validate.validateOnly = true
        #expect(IncrementalAlterConfigs.handle(validate, image: try offline().image).records.isEmpty)
    }

    @Test func preferredElectionsKeepTheELR() throws {
        var cluster = try underMinISR()
        try fence(&cluster, 1)
        try unfence(&cluster, 1)
        // ISR [2], ELR [1, 3], led by 2: 1 is preferred but not in the ISR.
        let request = ElectLeadersRequest(electionType: 0, topicPartitions: [.init(topic: "t", partitions: [0])])
        let result = ElectLeaders.elect(request, version: 1, image: cluster.image)
        #expect(result.response.replicaElectionResults.first?.partitionResult.first?.errorCode == ErrorCode.preferredLeaderNotAvailable.rawValue)
        #expect(cluster.partition("t", 0).elr == [1, 3] && cluster.partition("t", 0).isr == [2])
    }
}
