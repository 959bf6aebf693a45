import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import Testing

/// OffsetForLeaderEpoch on a running node, in every advertised version: where an epoch ends in the
/// leader's log (the log end offset for the current one), the leader's epoch checks, and unknown
/// partitions.
@Suite struct OffsetForLeaderEpochTests {
    private static func request(topic: String, partition: Int32 = 0, epoch: Int32, currentLeaderEpoch: Int32 = -1,
                                replicaID: Int32 = -1) -> OffsetForLeaderEpochRequest {
        OffsetForLeaderEpochRequest(replicaID: replicaID, topics: [.init(topic: topic, partitions: [
            .init(partition: partition, currentLeaderEpoch: currentLeaderEpoch, leaderEpoch: epoch),
        ])])
    }

    @Test func theCurrentEpochEndsAtTheLogEndOffsetInEveryVersion() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "e", numPartitions: 1, replicationFactor: 1)]), version: 7)
        for n in 0..<3 {
            let produced = try await client.send(DataPathTests.produce(try DataPathTests.batch(["a\(n)", "b\(n)"]), topic: "e"), version: 9)
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
        }
        let versions = try #require(BrokerAssembly.clientAPIs.versions(for: .offsetForLeaderEpoch))
        for version in versions {
            let response = try await client.send(Self.request(topic: "e", epoch: 0), version: version)
            let p = try #require(response.topics.first?.partitions.first)
            #expect(p.errorCode == 0, "v\(version)")
            #expect(p.endOffset == 6, "v\(version): epoch 0 holds offsets 0-5")
            if version >= 1 { #expect(p.leaderEpoch == 0, "v\(version)") }
        }
        // An epoch newer than any in the log: undefined.
        let newer = try await client.send(Self.request(topic: "e", epoch: 7), version: 4)
        let undefined = try #require(newer.topics.first?.partitions.first)
        #expect(undefined.errorCode == 0 && undefined.leaderEpoch == -1 && undefined.endOffset == -1)
        await broker.shutdown()
    }

    @Test func theLeadersEpochChecksAndUnknownPartitions() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "f", numPartitions: 1, replicationFactor: 1)]), version: 7)
        // A client that believes in a newer leader epoch than this leader's: UNKNOWN_LEADER_EPOCH (v2+).
        let ahead = try await client.send(Self.request(topic: "f", epoch: 0, currentLeaderEpoch: 3), version: 3)
        #expect(ahead.topics.first?.partitions.first?.errorCode == ErrorCode.unknownLeaderEpoch.rawValue)
        let missing = try await client.send(Self.request(topic: "nope", epoch: 0), version: 3)
        #expect(missing.topics.first?.partitions.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        // The debugging replica id is answered by any replica, the leader included.
        let debugging = try await client.send(Self.request(topic: "f", epoch: 0, replicaID: -2), version: 3)
        let answered = try #require(debugging.topics.first?.partitions.first)
        #expect(answered.errorCode == 0 && answered.endOffset == 0)
        await broker.shutdown()
    }
}
