import Foundation
import KafkaBroker
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// A partition whose log cannot be opened is offline on this broker (KAFKA_STORAGE_ERROR, which clients
/// retry after refreshing metadata) while the node starts and serves every other partition.
@Suite struct OfflinePartitionTests {
    @Test func aPartitionThatCannotOpenIsOfflineAndTheRestServes() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 7)
        await client.close()
        let dir = broker.directory
        await broker.shutdown(keepData: true)

        // t-0's directory becomes a plain file: its log cannot be opened at the next start.
        let partitionDirectory = (dir as NSString).appendingPathComponent("t-0")
        try FileManager.default.removeItem(atPath: partitionDirectory)
        #expect(FileManager.default.createFile(atPath: partitionDirectory, contents: Data("not a directory".utf8)))

        let again = try await TestBroker(directory: dir)
        #expect(again.node.replicas.offlinePartitionCount == 1)
        let c = try await again.client()
        for (partition, expected) in [(Int32(0), ErrorCode.kafkaStorageError), (1, ErrorCode(rawValue: 0))] {
            var b = RecordBatchBuilder()
            b.append(timestamp: 1_700_000_000_000, key: [1], value: [2], headers: [])
            let produced = try await c.send(ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [
                .init(name: "t", partitionData: [.init(index: partition, records: try b.build().bytes)]),
            ]), version: 9)
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == expected.rawValue, "t-\(partition)")
        }

        // Deleting the topic removes what the offline partition left too: "t" created again serves both.
        #expect(try await c.send(DeleteTopicsRequest(topicNames: ["t"], timeoutMs: 10_000), version: 5).responses.first?.errorCode == 0)
        #expect(!FileManager.default.fileExists(atPath: partitionDirectory))
        #expect(again.node.replicas.offlinePartitionCount == 0)
        _ = try await c.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 7)
        for partition in Int32(0)..<2 {
            var b = RecordBatchBuilder()
            b.append(timestamp: 1_700_000_000_000, key: [1], value: [2], headers: [])
            let produced = try await c.send(ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [
                .init(name: "t", partitionData: [.init(index: partition, records: try b.build().bytes)]),
            ]), version: 9)
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0, "t-\(partition) created again")
        }
        await c.close()
        await again.shutdown()
    }
}
