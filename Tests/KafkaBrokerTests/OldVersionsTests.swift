import BrokerTestKit
import Foundation
import KafkaBroker
import KafkaProtocol
import KafkaRecords
import Testing

/// The oldest versions Kafka 3.9 serves and 4.0 dropped (KIP-896), for clients frozen at them: they
/// do what their newer versions do, in their own layout.
@Suite struct OldVersionsTests {
    @Test func version0CreatesDeletesCommitsAndFetches() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "old", numPartitions: 2, replicationFactor: 1)],
                                                                timeoutMs: 10_000), version: 0)
        #expect(created.topics.map(\.errorCode) == [0])
        #expect(broker.metadata.image.topic(named: "old")?.partitions.count == 2)
        let again = try await client.send(CreateTopicsRequest(topics: [.init(name: "old", numPartitions: 2, replicationFactor: 1)],
                                                              timeoutMs: 10_000), version: 1)
        #expect(again.topics.map(\.errorCode) == [ErrorCode.topicAlreadyExists.rawValue])
        #expect(again.topics.first?.errorMessage?.isEmpty == false)   // v1 carries the message

        // OffsetCommit v0 has no generation: a simple commit, read back by OffsetFetch v0 and v8.
        let commit = try await client.send(OffsetCommitRequest(groupID: "old-group", topics: [
            .init(name: "old", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedMetadata: "m")]),
        ]), version: 0)
        #expect(commit.topics.first?.partitions.first?.errorCode == 0)
        let fetched = try await client.send(OffsetFetchRequest(groupID: "old-group", topics: [.init(name: "old", partitionIndexes: [1])]),
                                            version: 0)
        #expect(fetched.topics.first?.partitions.first?.committedOffset == 42)
        #expect(fetched.topics.first?.partitions.first?.metadata == "m")
        let modern = try await client.send(OffsetFetchRequest(groups: [.init(groupID: "old-group", topics: nil)]), version: 8)
        #expect(modern.groups.first?.topics.first?.partitions.first?.committedOffset == 42)

        let logDirs = try await client.send(DescribeLogDirsRequest(topics: nil), version: 0)
        #expect(logDirs.results.first?.topics.contains { $0.name == "old" } == true)

        let deleted = try await client.send(DeleteTopicsRequest(topicNames: ["old"], timeoutMs: 10_000), version: 0)
        #expect(deleted.responses.map(\.errorCode) == [0])
        #expect(broker.metadata.image.topic(named: "old") == nil)
        await client.close()
        await broker.shutdown()
    }

    /// ListOffsets v0: old-style offsets, newest first; a consumer's list starts at the high watermark.
    @Test func listOffsetsVersion0AnswersOldStyleOffsets() async throws {
        let broker = try await TestBroker(overrides: ["log.segment.bytes": "1024"])
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "o", numPartitions: 1, replicationFactor: 1)]), version: 7)
        for i in 0..<3 {
            let batch = try DataPathTests.batch((0..<4).map { "value-\(i)-\($0)-" + String(repeating: "x", count: 150) })
            let p = try await client.send(DataPathTests.produce(batch, topic: "o"), version: 9)
            #expect(p.responses.first?.partitionResponses.first?.errorCode == 0)
        }
        func offsets(_ timestamp: Int64, max: Int32) async throws -> [Int64] {
            let r = try await client.send(ListOffsetsRequest(replicaID: -1, topics: [
                .init(name: "o", partitions: [.init(partitionIndex: 0, timestamp: timestamp, maxNumOffsets: max)]),
            ]), version: 0)
            #expect(r.topics.first?.partitions.first?.errorCode == 0)
            return r.topics.first?.partitions.first?.oldStyleOffsets ?? []
        }
        // Three batches of 4 records, two of which do not fit a 1 KiB segment: segments at 0, 4 and 8, log end 12.
        #expect(try await offsets(-1, max: 1) == [12])
        #expect(try await offsets(-2, max: 1) == [0])
        #expect(try await offsets(-1, max: 10) == [12, 8, 4, 0])
        #expect(try await offsets(-1, max: 2) == [12, 8])
        // Every segment file was modified before now + 1 hour; none before the epoch.
        #expect(try await offsets(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000, max: 10) == [12, 8, 4, 0])
        #expect(try await offsets(1, max: 10) == [])
        await client.close()
        await broker.shutdown()
    }

    /// Fetch v0-3 read what a v2 producer wrote as magic 0 (v0-1) or magic 1 (v2-3) message sets, and
    /// what a legacy producer wrote (Produce v2, up-converted on append) reads back the same way.
    @Test func fetchVersionsZeroToThreeDownConvert() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "legacy", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let modern = try await client.send(DataPathTests.produce(try DataPathTests.batch(["a", "b"], codec: .gzip), topic: "legacy"), version: 9)
        #expect(modern.responses.first?.partitionResponses.first?.errorCode == 0)
        let old = try LegacyMessageSet.write([.init(magic: 1, timestamp: 5, key: nil, value: Array("c".utf8))], magic: 1)
        let oldProduce = try await client.send(DataPathTests.produce(old, topic: "legacy"), version: 2)
        #expect(oldProduce.responses.first?.partitionResponses.first?.baseOffset == 2)
        for version: Int16 in 0...3 {
            let r = try await client.send(FetchRequest(maxWaitMs: 0, minBytes: 1, topics: [
                .init(topic: "legacy", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
            ]), version: version)
            let p = try #require(r.responses.first?.partitions.first)
            #expect(p.errorCode == 0)
            #expect(p.highWatermark == 3)
            let records = try #require(p.records)
            let parsed = try LegacyMessageSet.parse(records, decompressionLimit: 1 << 20)
            let magic: Int8 = version <= 1 ? 0 : 1
            #expect(parsed.messages.map(\.value) == ["a", "b", "c"].map { Array($0.utf8) })
            #expect(parsed.messages.allSatisfy { $0.magic == magic })
            #expect(records.getInteger(at: 8 + 4 + 4, as: Int8.self) == magic)
            // The gzip batch became one wrapper at offset 1, then the plain message at 2.
            #expect(records.getInteger(at: 0, as: Int64.self) == 1)
        }
        await client.close()
        await broker.shutdown()
    }

    /// Kafka's refusals: a zstd topic to any Fetch before v10, a topic with
    /// `message.downconversion.enable=false` to a consumer's v0-3.
    @Test func fetchRefusalsBeforeVersionTen() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [
            .init(name: "z", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "compression.type", value: "zstd")]),
            .init(name: "noconv", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "message.downconversion.enable", value: "false")]),
        ]), version: 7)
        for topic in ["z", "noconv"] {
            let p = try await client.send(DataPathTests.produce(try DataPathTests.batch(["x"]), topic: topic), version: 9)
            #expect(p.responses.first?.partitionResponses.first?.errorCode == 0)
        }
        func fetch(_ topic: String, _ version: Int16) async throws -> Int16? {
            let r = try await client.send(FetchRequest(maxWaitMs: 0, minBytes: 1, topics: [
                .init(topic: topic, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
            ]), version: version)
            return r.responses.first?.partitions.first?.errorCode
        }
        for version: Int16 in [0, 3, 4, 9] { #expect(try await fetch("z", version) == ErrorCode.unsupportedCompressionType.rawValue) }
        #expect(try await fetch("z", 10) == 0)
        for version: Int16 in [0, 3] { #expect(try await fetch("noconv", version) == ErrorCode.unsupportedVersion.rawValue) }
        #expect(try await fetch("noconv", 4) == 0)
        await client.close()
        await broker.shutdown()
    }
}
