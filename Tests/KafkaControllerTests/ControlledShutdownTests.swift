import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// Kafka's controlled shutdown, heartbeat by heartbeat: leaderships move away first, the broker is let
/// go (fenced, `shouldShutDown`) only once it leads nothing and the other brokers caught up.
@Suite struct ControlledShutdownTests {
    let clean = ClusterFixture.clean

    private func heartbeat(_ broker: Int32, _ cluster: ClusterFixture, sessions: BrokerSessions, wantShutDown: Bool = true)
        -> ControllerResult<BrokerHeartbeatResponse> {
        let request = BrokerHeartbeatRequest(brokerID: broker, brokerEpoch: Int64(broker) * 100, currentMetadataOffset: cluster.image.provenance.offset,
                                             wantFence: false, wantShutDown: wantShutDown)
        return BrokerLifecycle.heartbeat(request, image: cluster.image, unclean: clean, sessions: sessions)
    }

    @Test func leadershipsMoveThenTheBrokerIsLetGoOnceOthersCaughtUp() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1, 2], [1, 2], 1), ([2, 1], [2, 1], 2), ([1], [1], 1), ([3, 2], [3, 2], 3)])
        var sessions = BrokerSessions()
        sessions.reset(brokers: [1, 2, 3], now: 0)

        let first = heartbeat(1, cluster, sessions: sessions)
        #expect(!first.response.shouldShutDown && !first.response.isFenced)
        let marker = try #require(first.records.first?.record as? BrokerRegistrationChangeRecord)
        #expect(marker.inControlledShutdown == 1 && marker.fenced == 0 && first.records.first?.version == 1)
        try cluster.apply(first.records)
        sessions.track(1, image: cluster.image, offset: cluster.image.provenance.offset)
        let shutdownOffset = cluster.image.provenance.offset
        #expect(cluster.broker(1).inControlledShutdown && !cluster.broker(1).fenced)
        #expect(cluster.partition("t", 0).leader == 2 && cluster.partition("t", 0).isr == [2])
        #expect(cluster.partition("t", 1).isr == [2])
        #expect(cluster.partition("t", 2).leader == -1 && cluster.partition("t", 2).isr == [1], "no one else to lead; the ISR keeps it")
        #expect(!cluster.image.isAcceptableLeader(1))

        // It leads nothing now, but broker 2 has not reported replaying the moves.
        sessions.touch(2, now: 1, metadataOffset: shutdownOffset - 1)
        sessions.touch(3, now: 1, metadataOffset: shutdownOffset)
        let waiting = heartbeat(1, cluster, sessions: sessions)
        #expect(waiting.records.isEmpty && !waiting.response.shouldShutDown && !waiting.response.isFenced)

        sessions.touch(2, now: 2, metadataOffset: shutdownOffset)
        let done = heartbeat(1, cluster, sessions: sessions)
        #expect(done.response.shouldShutDown && done.response.isFenced)
        try cluster.apply(done.records)
        #expect(cluster.broker(1).fenced)
        sessions.track(1, image: cluster.image, offset: cluster.image.provenance.offset)
        #expect(sessions.controlledShutdownOffsets[1] == nil)
    }

    @Test func aBrokerLeadingNothingShutsDownAtOnce() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([2, 1], [2, 1], 2)])
        let result = heartbeat(1, cluster, sessions: BrokerSessions())
        #expect(result.response.shouldShutDown && result.response.isFenced)
        try cluster.apply(result.records)
        #expect(cluster.broker(1).fenced && cluster.partition("t", 0).isr == [2])
        // A fenced broker asking again is let go without new records.
        let again = heartbeat(1, cluster, sessions: BrokerSessions())
        #expect(again.response.shouldShutDown && again.records.isEmpty)
    }

    @Test func aBrokerInControlledShutdownGetsNoLeadershipOrReplicas() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([2, 1], [2, 1], 2)])
        try cluster.apply(heartbeat(2, cluster, sessions: BrokerSessions()).records)
        #expect(cluster.broker(2).inControlledShutdown)
        // Preferred election does not pick it; new partitions are not placed on it.
        let elect = ElectLeaders.elect(ElectLeadersRequest(electionType: 0, topicPartitions: [.init(topic: "t", partitions: [0])]),
                                       version: 2, image: cluster.image)
        #expect(elect.response.replicaElectionResults.first?.partitionResult.first?.errorCode == ErrorCode.preferredLeaderNotAvailable.rawValue)
        var g = SystemRandomNumberGenerator()
        let config = try ClusterFixture.config()
        let created = CreateTopics.handle(CreateTopicsRequest(topics: [.init(name: "n", numPartitions: 2, replicationFactor: 2)]),
                                          image: cluster.image, config: config, generator: &g)
        #expect(created.response.topics.first?.errorCode == ErrorCode.invalidReplicationFactor.rawValue)
    }
}
