import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// UnregisterBroker as Kafka 3.9's ReplicationControlManager decides it.
@Suite struct UnregisterBrokerTests {
    @Test func anUnknownBrokerIsNotRegistered() throws {
        let fixture = try ClusterFixture(brokers: [1, 2])
        let result = UnregisterBroker.handle(UnregisterBrokerRequest(brokerID: 7), image: fixture.image, unclean: ClusterFixture.clean)
        #expect(result.response.errorCode == ErrorCode.brokerIDNotRegistered.rawValue && result.records.isEmpty)
    }

    /// The broker leaves the ISRs and leaderships (a new leader from the ISR), then its registration
    /// goes with its epoch; its replica assignments stay. A partition it has no part in is untouched.
    @Test func theBrokerLeavesEveryISRAndLeadershipAndThenItsRegistrationGoes() throws {
        var fixture = try ClusterFixture(brokers: [1, 2, 3])
        try fixture.addTopic("t", [(replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1),
                                   (replicas: [2, 1], isr: [2, 1], leader: 2),
                                   (replicas: [2, 3], isr: [2, 3], leader: 3)])
        let result = UnregisterBroker.handle(UnregisterBrokerRequest(brokerID: 1), image: fixture.image, unclean: ClusterFixture.clean)
        #expect(result.response.errorCode == 0)
        #expect(ClusterFixture.changes(result.records).map(\.partitionID) == [0, 1])
        let last = try #require(result.records.last?.record as? UnregisterBrokerRecord)
        #expect(last == UnregisterBrokerRecord(brokerID: 1, brokerEpoch: 100))
        try fixture.apply(result.records)
        #expect(fixture.image.brokers[1] == nil && fixture.image.brokers.keys.sorted() == [2, 3])
        let p0 = fixture.partition("t", 0), p1 = fixture.partition("t", 1), p2 = fixture.partition("t", 2)
        #expect(p0.leader == 2 && p0.isr == [2, 3] && p0.replicas == [1, 2, 3])
        #expect(p1.leader == 2 && p1.isr == [2] && p1.replicas == [2, 1])
        #expect(p2.leader == 3 && p2.isr == [2, 3])
        // A second request finds it gone.
        let again = UnregisterBroker.handle(UnregisterBrokerRequest(brokerID: 1), image: fixture.image, unclean: ClusterFixture.clean)
        #expect(again.response.errorCode == ErrorCode.brokerIDNotRegistered.rawValue)
    }

    /// A fenced broker (the usual case: it is gone) is unregistered all the same, as is the sole leader
    /// of a partition, which is then left without one.
    @Test func aFencedBrokerAndASoleLeaderAreUnregisteredToo() throws {
        var fixture = try ClusterFixture(brokers: [1, 2], fenced: [2])
        try fixture.addTopic("solo", [(replicas: [1], isr: [1], leader: 1)])
        let fenced = UnregisterBroker.handle(UnregisterBrokerRequest(brokerID: 2), image: fixture.image, unclean: ClusterFixture.clean)
        #expect(fenced.response.errorCode == 0 && fenced.records.count == 1)
        try fixture.apply(fenced.records)
        let solo = UnregisterBroker.handle(UnregisterBrokerRequest(brokerID: 1), image: fixture.image, unclean: ClusterFixture.clean)
        try fixture.apply(solo.records)
        #expect(fixture.image.brokers.isEmpty && fixture.partition("solo", 0).leader == -1)
    }

    @Test func sessionsForgetAnUnregisteredBroker() {
        var sessions = BrokerSessions()
        sessions.touch(4, now: 10, metadataOffset: 5)
        sessions.forget(4)
        #expect(sessions.lastContact[4] == nil && sessions.metadataOffsets[4] == nil)
    }
}
