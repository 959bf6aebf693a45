import Foundation
import KafkaBroker
import KafkaLog
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// Internal topics belong to the broker: clients cannot write them, and a record in them that does not
/// decode is skipped when the coordinator loads, so no record can keep a node from starting.
@Suite struct InternalTopicWriteTests {
    /// An OffsetCommitKey v1 whose group is null: the record that used to stop every later start.
    static let nullGroupKey: [UInt8] = [0x00, 0x01, 0xff, 0xff, 0xff]

    static func batch(key: [UInt8], value: [UInt8]) throws -> ByteBuffer {
        var b = RecordBatchBuilder()
        b.append(timestamp: 1_700_000_000_000, key: key, value: value, headers: [])
        return try b.build().bytes
    }

    @Test func produceToConsumerOffsetsIsRefusedInEveryVersion() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        // Creates __consumer_offsets.
        _ = try await client.send(FindCoordinatorRequest(key: "g", keyType: 0), version: 3)
        for version in BrokerAssembly.clientAPIs.versions(for: .produce)! {
            let records = version < 3
                ? try LegacyMessageSet.write([.init(magic: version == 2 ? 1 : 0, timestamp: version == 2 ? 1_700_000_000_000 : -1,
                                                    key: Self.nullGroupKey, value: [1, 2, 3])],
                                             magic: version == 2 ? 1 : 0, compression: .none)
                : try Self.batch(key: Self.nullGroupKey, value: [1, 2, 3])
            for topic in ["__consumer_offsets", "__transaction_state", "__cluster_metadata"] {
                // v13 names topics by id: an internal topic without one here (not created, or the
                // metadata log, which has none) is an unknown id.
                let id = broker.metadata.image.topic(named: topic)?.id
                let data: ProduceRequest.TopicProduceData = version >= 13 ? .init(topicID: id ?? .zero, partitionData: [.init(index: 0, records: records)])
                    : .init(name: topic, partitionData: [.init(index: 0, records: records)])
                let response = try await client.send(ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [data]), version: version)
                let p = try #require(response.responses.first?.partitionResponses.first)
                let expected: ErrorCode = version >= 13 && id == nil ? .unknownTopicID : .invalidTopicException
                #expect(p.errorCode == expected.rawValue, "Produce v\(version) to \(topic)")
                #expect(p.baseOffset == -1)
            }
        }
        // Nothing reached the log: the coordinator's partitions hold no record.
        let fetch = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [
            .init(topic: "__consumer_offsets", partitions: (0..<3).map { .init(partition: $0, fetchOffset: 0, partitionMaxBytes: 1 << 20) }),
        ]), version: 11)
        #expect(fetch.responses.first?.partitions.allSatisfy { $0.highWatermark == 0 } == true)
        for version in BrokerAssembly.clientAPIs.versions(for: .deleteRecords)! {
            let deleted = try await client.send(DeleteRecordsRequest(topics: [
                .init(name: "__consumer_offsets", partitions: [.init(partitionIndex: 0, offset: -1)]),
            ], timeoutMs: 5000), version: version)
            #expect(deleted.topics.first?.partitions.first?.errorCode == ErrorCode.invalidTopicException.rawValue, "DeleteRecords v\(version)")
        }
        await client.close()
        await broker.shutdown()
    }

    @Test func aRecordThatDoesNotDecodeIsSkippedOnLoad() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let commit = try await client.send(OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 42)]),
        ]), version: 8)
        #expect(commit.topics.first?.partitions.first?.errorCode == 0)
        await client.close()
        let dir = broker.directory
        await broker.shutdown(keepData: true)

        // Write what a client no longer can: the bad key, after the good commit, in every partition.
        for partition: Int32 in 0..<3 {
            let log = try PartitionLog.open(logDirectory: dir, topic: "__consumer_offsets", partition: partition, now: 1)
            _ = try log.append(Self.batch(key: Self.nullGroupKey, value: [0, 3, 1, 2]), leaderEpoch: 0, now: 2)
            try log.flush(now: 2)
            try log.close()
        }

        let again = try await TestBroker(directory: dir)
        let c = try await again.client()
        let fetched = try await c.send(OffsetFetchRequest(groups: [.init(groupID: "g", topics: nil)]), version: 8)
        #expect(fetched.groups.first?.topics.first?.partitions.first?.committedOffset == 42)
        await c.close()
        await again.shutdown()
    }
}
