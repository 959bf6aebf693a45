import KafkaBroker
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// A compacted topic refuses records without a key (Kafka's LogValidator rule); other topics take them.
@Suite struct CompactedProduceTests {
    static func batch(keys: [String?], codec: CompressionCodec = .none) throws -> ByteBuffer {
        var b = RecordBatchBuilder()
        b.compression = codec
        for (i, key) in keys.enumerated() {
            b.append(timestamp: 1_700_000_000_000 + Int64(i), key: key.map { Array($0.utf8) }, value: Array("v\(i)".utf8))
        }
        return try b.build().bytes
    }

    @Test func keylessRecordsAreRefusedOnlyByCompactedTopics() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        for (name, policy) in [("compacted", "compact"), ("both", "compact,delete"), ("plain", "delete")] {
            let created = try await client.send(CreateTopicsRequest(topics: [.init(name: name, numPartitions: 1, replicationFactor: 1,
                                                                                   configs: [.init(name: "cleanup.policy", value: policy)])]), version: 7)
            #expect(created.topics.first?.errorCode == 0)
        }
        for codec in [CompressionCodec.none, .lz4] {
            for name in ["compacted", "both", "plain"] {
                let mixed = try await client.send(DataPathTests.produce(try Self.batch(keys: ["a", nil, "b"], codec: codec), topic: name), version: 9)
                let p = try #require(mixed.responses.first?.partitionResponses.first)
                if name == "plain" {
                    #expect(p.errorCode == 0, "\(name) \(codec)")
                } else {
                    #expect(p.errorCode == ErrorCode.invalidRecord.rawValue, "\(name) \(codec)")
                    #expect(p.errorMessage?.contains("without key") == true)
                }
                let keyed = try await client.send(DataPathTests.produce(try Self.batch(keys: ["a", "b"], codec: codec), topic: name), version: 9)
                #expect(keyed.responses.first?.partitionResponses.first?.errorCode == 0, "\(name) \(codec)")
            }
        }
        // Nothing of a refused batch was written: the compacted topic holds only the keyed batches.
        let end = ListOffsetsRequest(replicaID: -1, topics: [.init(name: "compacted", partitions: [.init(partitionIndex: 0, timestamp: -1)])])
        #expect(try await client.send(end, version: 7).topics.first?.partitions.first?.offset == 4)
        await client.close()
        await broker.shutdown()
    }
}
