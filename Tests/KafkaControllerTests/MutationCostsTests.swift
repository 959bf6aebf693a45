import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaTestKit
import SeededRandom
import StromConfig
import Testing

/// Each topic is priced as the controller would decide it: partitions created or deleted, nothing
/// for a topic it would refuse.
@Suite struct MutationCostsTests {
    let config = try! ServerConfig.parse(ServerConfig.embeddedDefaults.merging(["num.partitions": "4"]) { $1 })

    private func image() throws -> MetadataImage {
        var delta = MetadataDelta(base: try CreateTopicsTests.image())
        var g = SplitMix64(seed: 8)
        let created = CreateTopics.handle(CreateTopicsRequest(topics: [.init(name: "old", numPartitions: 3, replicationFactor: 1)]),
                                          image: delta.current, config: config, generator: &g)
        for r in created.records { try delta.replay(r.record) }
        return delta.apply(provenance: .init(offset: 3, epoch: 1))
    }

    @Test func createTopicsCostsItsPartitions() throws {
        let costs = MutationCosts.createTopics(CreateTopicsRequest(topics: [
            .init(name: "a", numPartitions: 5, replicationFactor: 1),
            .init(name: "defaults", numPartitions: -1, replicationFactor: -1),
            .init(name: "old", numPartitions: 2, replicationFactor: 1),
            .init(name: "bad name", numPartitions: 2, replicationFactor: 1),
            .init(name: "assigned", numPartitions: -1, replicationFactor: -1,
                  assignments: [.init(partitionIndex: 0, brokerIDs: [1]), .init(partitionIndex: 1, brokerIDs: [1])]),
        ]), image: try image(), config: config)
        #expect(costs == [5, 4, nil, nil, 2])
        // A request over the per-request limit is refused whole: nothing is charged.
        let over = MutationCosts.createTopics(CreateTopicsRequest(topics: [
            .init(name: "a", numPartitions: 5, replicationFactor: 1),
            .init(name: "over", numPartitions: CreateTopics.maxPartitionsPerRequest, replicationFactor: 1),
        ]), image: try image(), config: config)
        #expect(over == [nil, nil])
    }

    @Test func createPartitionsCostsWhatIsAdded() throws {
        let costs = MutationCosts.createPartitions(CreatePartitionsRequest(topics: [
            .init(name: "old", count: 7), .init(name: "old2", count: 7), .init(name: "missing", count: 2),
        ]), image: try image())
        #expect(costs == [4, nil, nil])
    }

    @Test func deleteTopicsCostsThePartitionsOnceEvenWhenNamedTwice() throws {
        let image = try self.image()
        let byName = MutationCosts.deleteTopics(DeleteTopicsRequest(topicNames: ["old", "missing", "old"]), version: 5, image: image)
        #expect(byName == [3, nil, nil])
        let id = try #require(image.topic(named: "old")?.id)
        let byID = MutationCosts.deleteTopics(DeleteTopicsRequest(topics: [.init(name: nil, topicID: id)]), version: 6, image: image)
        #expect(byID == [3])
    }
}
