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
                    // KIP-467: only the keyless record is named, by its index in the batch.
                    let indexes: [Int32] = p.recordErrors.map(\.batchIndex)
                    #expect(indexes == [1], "\(name) \(codec)")
                    #expect(p.recordErrors.first?.batchIndexErrorMessage == "Compacted topic cannot accept message without key.")
                }
                let keyed = try await client.send(DataPathTests.produce(try Self.batch(keys: ["a", "b"], codec: codec), topic: name), version: 9)
                #expect(keyed.responses.first?.partitionResponses.first?.errorCode == 0, "\(name) \(codec)")
            }
        }
        // Many keyless records among keyed ones: each is named, the message shows the first three;
        // Produce v7 (before KIP-467) gets the error without them.
        let keys: [String?] = (0..<100).map { $0 % 10 == 3 ? nil : "k\($0)" }
        let many = try await client.send(DataPathTests.produce(try Self.batch(keys: keys), topic: "compacted"), version: 9)
        let refused = try #require(many.responses.first?.partitionResponses.first)
        let expectedIndexes: [Int32] = (0..<10).map { Int32($0 * 10 + 3) }
        let indexes: [Int32] = refused.recordErrors.map(\.batchIndex)
        #expect(indexes == expectedIndexes)
        #expect(refused.errorMessage?.hasPrefix("One or more records have been rejected due to 10 record errors in total") == true)
        let old = try await client.send(DataPathTests.produce(try Self.batch(keys: keys), topic: "compacted"), version: 7)
        #expect(old.responses.first?.partitionResponses.first?.errorCode == ErrorCode.invalidRecord.rawValue)
        #expect(old.responses.first?.partitionResponses.first?.recordErrors.isEmpty == true)
        // Nothing of a refused batch was written: the compacted topic holds only the keyed batches.
        let end = ListOffsetsRequest(replicaID: -1, topics: [.init(name: "compacted", partitions: [.init(partitionIndex: 0, timestamp: -1)])])
        #expect(try await client.send(end, version: 7).topics.first?.partitions.first?.offset == 4)
        await client.close()
        await broker.shutdown()
    }
}
