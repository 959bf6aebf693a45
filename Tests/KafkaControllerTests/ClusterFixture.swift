import KafkaController
import KafkaMetadata
import KafkaProtocol
import StromConfig

/// A small cluster's image for controller tests: registered brokers (unfenced unless listed fenced, broker
/// epoch 100 × id), topics with partitions given replica by replica, and records replayed on it.
struct ClusterFixture {
    static let clean = UncleanLeaderElection(brokerDefault: false)

    var image: MetadataImage

    static func config(_ overrides: [String: String] = [:]) throws -> ServerConfig {
        try ServerConfig.parse(ServerConfig.embeddedDefaults.merging(overrides) { $1 })
    }

    init(brokers: [Int32], fenced: Set<Int32> = [], racks: [Int32: String] = [:]) throws {
        var delta = MetadataDelta(base: .empty)
        for id in brokers {
            let b = BrokerRegistration(id: id, incarnationID: KafkaUUID(mostSignificantBits: UInt64(id), leastSignificantBits: 1),
                                       epoch: Int64(id) * 100, endpoints: [.init(listenerName: "PLAINTEXT", host: "h", port: UInt16(9000 + id))],
                                       rack: racks[id], fenced: fenced.contains(id))
            try delta.replay(b.record)
        }
        image = delta.apply(provenance: .init(offset: 10, epoch: 1))
    }

    /// Finalizes eligible.leader.replicas.version, as the controller does at the first registration.
    mutating func enableELR() throws {
        try apply([MetadataRecordAndVersion(FeatureLevelRecord(name: EligibleLeaderReplicas.featureName,
                                                               featureLevel: EligibleLeaderReplicas.featureLevel), version: 0)])
    }

    static func topicID(_ name: String) -> KafkaUUID {
        KafkaUUID(mostSignificantBits: UInt64(name.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }), leastSignificantBits: 1)
    }

    /// Adds a topic whose partition i has replicas, ISR and leader `partitions[i]`.
    mutating func addTopic(_ name: String, _ partitions: [(replicas: [Int32], isr: [Int32], leader: Int32)],
                           configs: [String: String] = [:]) throws {
        let id = Self.topicID(name)
        var records: [any KafkaMetadataRecord] = [TopicRecord(name: name, topicID: id)]
        for (i, p) in partitions.enumerated() {
            records.append(PartitionRecord(partitionID: Int32(i), topicID: id, replicas: p.replicas, isr: p.isr, leader: p.leader,
                                           leaderEpoch: 0, partitionEpoch: 0))
        }
        for (key, value) in configs {
            records.append(ConfigRecord(resourceType: ConfigResource.topicType, resourceName: name, name: key, value: value))
        }
        try apply(records.map { MetadataRecordAndVersion($0, version: 0) })
    }

    /// Replays `records`; the image's offset moves past them.
    mutating func apply(_ records: [MetadataRecordAndVersion]) throws {
        var delta = MetadataDelta(base: image)
        for r in records { try delta.replay(r.record) }
        image = delta.apply(provenance: .init(offset: image.provenance.offset + Int64(records.count), epoch: 1))
    }

    func partition(_ topic: String, _ index: Int32) -> PartitionRegistration {
        image.topic(named: topic)!.partitions[index]!
    }

    func broker(_ id: Int32) -> BrokerRegistration { image.brokers[id]! }

    /// The partition changes among `records`, by topic id and partition.
    static func changes(_ records: [MetadataRecordAndVersion]) -> [PartitionChangeRecord] {
        records.compactMap { $0.record as? PartitionChangeRecord }
    }
}
