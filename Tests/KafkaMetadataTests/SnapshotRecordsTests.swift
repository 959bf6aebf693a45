import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing

/// An image written as snapshot records and replayed into an empty delta is the same image.
@Suite struct SnapshotRecordsTests {
    /// A random-ish image built the way the controller builds it: through records.
    private func image(topics: Int, partitions: Int32, seed: UInt64) throws -> MetadataImage {
        var state = seed
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var delta = MetadataDelta(base: .empty)
        try delta.replay(FeatureLevelRecord(name: "metadata.version", featureLevel: 21))
        try delta.replay(FeatureLevelRecord(name: "group.version", featureLevel: 1))
        for b in Int32(1)...3 {
            try delta.replay(RegisterBrokerRecord(
                brokerID: b, incarnationID: KafkaUUID(mostSignificantBits: next(), leastSignificantBits: next()), brokerEpoch: Int64(b) * 7,
                endPoints: [.init(name: "PLAINTEXT", host: "10.0.0.\(b)", port: UInt16(9092 + b), securityProtocol: 0)],
                features: [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21)],
                rack: b == 2 ? "r2" : nil, fenced: b == 3))
        }
        for t in 0..<topics {
            let id = KafkaUUID(mostSignificantBits: next(), leastSignificantBits: next())
            try delta.replay(TopicRecord(name: "topic-\(t)", topicID: id))
            for p in 0..<partitions {
                let leader = Int32(next() % 3) + 1
                try delta.replay(PartitionRecord(partitionID: p, topicID: id, replicas: [leader], isr: [leader], leader: leader,
                                                 leaderEpoch: 0, partitionEpoch: 0))
                if next() % 4 == 0 { try delta.replay(PartitionChangeRecord(partitionID: p, topicID: id, leader: -1)) }
                if next() % 3 == 0 {
                    try delta.replay(PartitionChangeRecord(partitionID: p, topicID: id, isr: [], eligibleLeaderReplicas: [leader % 3 + 1, leader],
                                                           lastKnownElr: next() % 2 == 0 ? [leader] : nil))
                }
            }
            if t % 3 == 0 {
                try delta.replay(ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "topic-\(t)",
                                              name: "retention.ms", value: "\(next() % 100000)"))
            }
        }
        for q in 0..<topics {
            // Entities of one, two and default components, given in either order.
            let entity: [ClientQuotaRecord.EntityData] = switch q % 3 {
            case 0: [.init(entityType: "client-id", entityName: "app-\(q)")]
            case 1: [.init(entityType: "client-id", entityName: nil), .init(entityType: "user", entityName: "u\(q)")]
            default: [.init(entityType: "user", entityName: nil)]
            }
            try delta.replay(ClientQuotaRecord(entity: entity, key: "controller_mutation_rate", value: Double(next() % 1000) / 8))
        }
        try delta.replay(ProducerIdsRecord(brokerID: 1, brokerEpoch: 7, nextProducerID: 3000))
        return delta.apply(provenance: MetadataProvenance(offset: 99, epoch: 4))
    }

    /// KIP-966's fields exist from version 2 of PartitionRecord: a partition with them is written in it,
    /// one without in version 0 (so such snapshots stay as they were).
    @Test func eligibleLeaderReplicasAreWrittenInVersion2() throws {
        let id = KafkaUUID(mostSignificantBits: 5, leastSignificantBits: 5)
        var delta = MetadataDelta(base: .empty)
        try delta.replay(TopicRecord(name: "t", topicID: id))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: id, replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0))
        try delta.replay(PartitionRecord(partitionID: 1, topicID: id, replicas: [1, 2, 3], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0))
        let change = PartitionChangeRecord(partitionID: 0, topicID: id, isr: [], leader: -1, eligibleLeaderReplicas: [1, 2], lastKnownElr: [1])
        #expect(change.lowestVersion == 2 && PartitionChangeRecord(partitionID: 0, topicID: id, leader: 3).lowestVersion == 0)
        try delta.replay(MetadataRecordSerde.decode(MetadataRecordSerde.encode(MetadataRecordAndVersion(change, version: change.lowestVersion))).record)
        let image = delta.apply(provenance: MetadataProvenance(offset: 4, epoch: 1))
        let partition = try #require(image.topic(id: id)?.partitions[0])
        #expect(partition.elr == [1, 2] && partition.lastKnownElr == [1] && partition.isr.isEmpty && partition.leaderEpoch == 1)
        let records = image.snapshotRecords().filter { $0.record is PartitionRecord }
        #expect(records.map(\.version) == [2, 0])
        let written = try #require(records.first?.record as? PartitionRecord)
        #expect(written.eligibleLeaderReplicas == [1, 2] && written.lastKnownElr == [1])
        #expect((records.last?.record as? PartitionRecord)?.eligibleLeaderReplicas == nil)
    }

    @Test(arguments: [(0, 0), (1, 1), (20, 7)]) func snapshotReplaysToTheSameImage(topics: Int, partitions: Int32) throws {
        let original = try image(topics: topics, partitions: partitions, seed: UInt64(topics * 31 + Int(partitions)))
        var delta = MetadataDelta(base: .empty)
        for r in original.snapshotRecords() {
            // Through the wire format too: what a .checkpoint file would carry.
            let decoded = try MetadataRecordSerde.decode(try MetadataRecordSerde.encode(r))
            try delta.replay(decoded.record)
        }
        var replayed = delta.apply(provenance: original.provenance)
        replayed.provenance = original.provenance
        #expect(replayed == original)
    }

    @Test func metadataVersionComesFirstAndOutputIsDeterministic() throws {
        let a = try image(topics: 5, partitions: 3, seed: 9)
        let records = a.snapshotRecords()
        let first = try #require(records.first?.record as? FeatureLevelRecord)
        #expect(first.name == "metadata.version")
        let again = a.snapshotRecords().map { Array(buffer: try! MetadataRecordSerde.encode($0)) }
        #expect(records.map { Array(buffer: try! MetadataRecordSerde.encode($0)) } == again)
    }
}
