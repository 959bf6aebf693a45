import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing

@Suite struct MetadataDeltaTests {
    let topicID = KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2)

    private func created(partitions: Int32 = 2) throws -> MetadataImage {
        var delta = MetadataDelta(base: .empty)
        try delta.replay(TopicRecord(name: "orders", topicID: topicID))
        for p in 0..<partitions {
            try delta.replay(PartitionRecord(partitionID: p, topicID: topicID, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0))
        }
        try delta.replay(ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "orders", name: "retention.ms", value: "1000"))
        return delta.apply(provenance: MetadataProvenance(offset: 4, epoch: 1))
    }

    @Test func topicsPartitionsAndConfigsReplayIntoAnImage() throws {
        let image = try created()
        #expect(image.provenance == MetadataProvenance(offset: 4, epoch: 1))
        let topic = try #require(image.topic(named: "orders"))
        #expect(topic.id == topicID)
        #expect(topic.partitionIndexes == [0, 1])
        #expect(topic.partitions[1]?.leader == 1)
        #expect(image.configs(for: .topic("orders")) == ["retention.ms": "1000"])
        // The base is untouched: images are values.
        #expect(MetadataImage.empty.topicIDsByName.isEmpty)
    }

    @Test func partitionChangesBumpEpochsAndKeepUnchangedFields() throws {
        var delta = MetadataDelta(base: try created())
        try delta.replay(PartitionChangeRecord(partitionID: 0, topicID: topicID, leader: -1))
        try delta.replay(PartitionChangeRecord(partitionID: 1, topicID: topicID, isr: [1, 2]))
        let image = delta.apply(provenance: MetadataProvenance(offset: 6, epoch: 1))
        let p0 = try #require(image.topic(id: topicID)?.partitions[0])
        #expect(p0.leader == -1)
        #expect(p0.leaderEpoch == 1)
        #expect(p0.partitionEpoch == 1)
        #expect(p0.isr == [1])
        let p1 = try #require(image.topic(id: topicID)?.partitions[1])
        #expect(p1.leader == 1)
        #expect(p1.leaderEpoch == 0)
        #expect(p1.isr == [1, 2])
        #expect(delta.changedTopicIDs == [topicID])
    }

    @Test func removingATopicDropsItsNameAndConfigs() throws {
        var delta = MetadataDelta(base: try created())
        try delta.replay(RemoveTopicRecord(topicID: topicID))
        let image = delta.apply(provenance: MetadataProvenance(offset: 5, epoch: 1))
        #expect(image.topic(named: "orders") == nil)
        #expect(image.configs(for: .topic("orders")).isEmpty)
        #expect(delta.removedTopics[topicID]?.name == "orders")
    }

    @Test func recordsReferringToAbsentThingsAreRefused() throws {
        var delta = MetadataDelta(base: .empty)
        #expect(throws: MetadataReplayError.self) {
            try delta.replay(PartitionRecord(partitionID: 0, topicID: topicID))
        }
        #expect(throws: MetadataReplayError.self) {
            try delta.replay(PartitionChangeRecord(partitionID: 0, topicID: topicID, leader: 2))
        }
        #expect(throws: MetadataReplayError.self) { try delta.replay(RemoveTopicRecord(topicID: topicID)) }
        try delta.replay(TopicRecord(name: "a", topicID: topicID))
        #expect(throws: MetadataReplayError.self) {
            try delta.replay(TopicRecord(name: "a", topicID: KafkaUUID(mostSignificantBits: 9, leastSignificantBits: 9)))
        }
    }

    @Test func configDeletionIsANullValue() throws {
        var delta = MetadataDelta(base: try created())
        try delta.replay(ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "orders", name: "retention.ms", value: nil))
        #expect(delta.current.configs(for: .topic("orders")).isEmpty)
    }

    @Test func brokersRegisterAndFence() throws {
        var delta = MetadataDelta(base: .empty)
        let broker = BrokerRegistration(
            id: 1, incarnationID: topicID, epoch: 7,
            endpoints: [.init(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 9092)], fenced: true
        )
        try delta.replay(broker.record)
        #expect(delta.current.brokers[1] == broker)
        #expect(delta.current.activeBrokers.isEmpty)
        try delta.replay(UnfenceBrokerRecord(id: 1, epoch: 7))
        #expect(delta.current.activeBrokers.map(\.id) == [1])
        try delta.replay(FenceBrokerRecord(id: 1, epoch: 7))
        #expect(delta.current.activeBrokers.isEmpty)
    }

    @Test func producerIDsOnlyMoveForward() throws {
        var delta = MetadataDelta(base: .empty)
        try delta.replay(ProducerIdsRecord(brokerID: 1, brokerEpoch: 1, nextProducerID: 1000))
        #expect(delta.current.nextProducerID == 1000)
        #expect(throws: MetadataReplayError.self) {
            try delta.replay(ProducerIdsRecord(brokerID: 1, brokerEpoch: 1, nextProducerID: 10))
        }
    }
}

@Suite struct MetadataRecordSerdeTests {
    @Test func recordsRoundTripInKafkasFrame() throws {
        let record = TopicRecord(name: "t", topicID: KafkaUUID(mostSignificantBits: 5, leastSignificantBits: 6))
        let bytes = try MetadataRecordSerde.encode(MetadataRecordAndVersion(record, version: 0))
        // frame version 1, record type 2, version 0, then the body (compact string "t", uuid, no tags).
        #expect(Array(bytes.readableBytesView.prefix(5)) == [1, 2, 0, 2, 0x74])
        let decoded = try MetadataRecordSerde.decode(bytes)
        #expect(decoded.record as? TopicRecord == record)
        #expect(decoded.version == 0)
    }

    @Test func unknownTypesAndFramesAreErrors() {
        #expect(throws: ProtocolError.self) { try MetadataRecordSerde.decode(ByteBuffer(bytes: [1, 99, 0])) }
        #expect(throws: ProtocolError.self) { try MetadataRecordSerde.decode(ByteBuffer(bytes: [2, 2, 0])) }
        #expect(throws: ProtocolError.self) { try MetadataRecordSerde.decode(ByteBuffer(bytes: [])) }
    }
}
