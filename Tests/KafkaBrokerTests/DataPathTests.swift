import KafkaBroker
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// Produce, Fetch, ListOffsets and DeleteRecords against real partition logs, in every advertised
/// version, on the happy path and on Kafka's error paths.
@Suite struct DataPathTests {
    static func batch(_ values: [String], codec: CompressionCodec = .none, producerID: Int64 = -1, sequence: Int32 = -1,
                      timestamp: Int64 = 1_700_000_000_000) throws -> ByteBuffer {
        var b = RecordBatchBuilder()
        b.compression = codec
        b.producerId = producerID
        b.producerEpoch = producerID >= 0 ? 0 : -1
        b.baseSequence = sequence
        for (i, v) in values.enumerated() {
            b.append(timestamp: timestamp + Int64(i), key: Array("k\(i)".utf8), value: Array(v.utf8), headers: [RecordHeader(key: "h", value: [1])])
        }
        return try b.build().bytes
    }

    static func produce(_ records: ByteBuffer, topic: String, partition: Int32 = 0, acks: Int16 = -1) -> ProduceRequest {
        ProduceRequest(acks: acks, timeoutMs: 5000, topicData: [.init(name: topic, partitionData: [.init(index: partition, records: records)])])
    }

    static func values(in records: ByteBuffer?) throws -> [String] {
        var reader = RecordBatchReader(records ?? ByteBuffer())
        var out: [String] = []
        while let batch = try reader.next() {
            try batch.verifyCRC()
            out += try batch.decodeRecords(decompressionLimit: 1 << 24).map { String(decoding: $0.value ?? [], as: UTF8.self) }
        }
        return out
    }

    @Test func produceThenFetchInEveryVersionAndCodec() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let topicID = try #require(broker.metadata.image.topic(named: "t")?.id)
        var expected: [String] = []
        for version in BrokerAssembly.clientAPIs.versions(for: .produce)! {
            for codec in CompressionCodec.allCases where !(codec == .zstd && version < 7) {
                let values = ["v\(version)-\(codec)-a", "v\(version)-\(codec)-b"]
                // Produce v0-2 carry legacy message sets (magic 0 before v2, magic 1 in v2).
                let records = version < 3
                    ? try LegacyMessageSet.write(values.map { .init(magic: version == 2 ? 1 : 0, timestamp: version == 2 ? 1_700_000_000_000 : -1,
                                                                    key: Array("k".utf8), value: Array($0.utf8)) },
                                                 magic: version == 2 ? 1 : 0, compression: codec)
                    : try Self.batch(values, codec: codec)
                // v13 names the topic by id, in the request and the answer.
                var request = Self.produce(records, topic: "t")
                if version >= 13 { request.topicData[0] = .init(topicID: topicID, partitionData: request.topicData[0].partitionData) }
                let response = try await client.send(request, version: version)
                let topic = try #require(response.responses.first)
                #expect(version >= 13 ? topic.topicID == topicID && topic.name.isEmpty : topic.name == "t", "Produce v\(version)")
                let p = try #require(topic.partitionResponses.first)
                #expect(p.errorCode == 0, "Produce v\(version) \(codec): \(p.errorMessage ?? "")")
                #expect(p.baseOffset == Int64(expected.count))
                expected += values
            }
        }
        for version in BrokerAssembly.clientAPIs.versions(for: .fetch)! {
            var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
            request.topics = [.init(topic: "t", topicID: topicID, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
            let response = try await client.send(request, version: version)
            let p = try #require(response.responses.first?.partitions.first)
            if version < 4 {
                // Legacy message sets, down-converted: a prefix of the records, ending before the first zstd
                // batch (which no legacy set can carry) or at the stored size (OldVersionsTests, DownConversionTests).
                #expect(p.errorCode == 0, "Fetch v\(version)")
                let values = try LegacyMessageSet.parse(try #require(p.records), decompressionLimit: 1 << 24).messages
                    .map { String(decoding: $0.value ?? [], as: UTF8.self) }
                #expect(!values.isEmpty && values == Array(expected.prefix(values.count)), "Fetch v\(version)")
                #expect(!values.contains { $0.contains("zstd") })
                continue
            }
            #expect(p.errorCode == 0, "Fetch v\(version)")
            #expect(p.highWatermark == Int64(expected.count))
            #expect(try Self.values(in: p.records) == expected, "Fetch v\(version)")
        }
        for version in BrokerAssembly.clientAPIs.versions(for: .listOffsets)! {
            for (timestamp, offset) in [(Int64(-2), Int64(0)), (-1, Int64(expected.count))] {
                let request = ListOffsetsRequest(replicaID: -1, topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, timestamp: timestamp)])])
                let response = try await client.send(request, version: version)
                let p = try #require(response.topics.first?.partitions.first)
                #expect(p.errorCode == 0, "ListOffsets v\(version)")
                if version == 0 {
                    // v0 answers old-style offsets (one here: maxNumOffsets is 1).
                    #expect(p.oldStyleOffsets == [offset], "ListOffsets v0 timestamp \(timestamp)")
                } else {
                    #expect(p.offset == offset, "ListOffsets v\(version) timestamp \(timestamp)")
                }
            }
            guard version >= 1 else { continue }
            // The other special timestamps, each from the version that brought it (UNSUPPORTED_VERSION
            // before, as Kafka 4.x answers), and -7, which no version knows. Without tiered storage, -4
            // is the log start offset and -5 and -6 find nothing.
            for (timestamp, since, offset) in [(Int64(-3), Int16(7), Int64?.none), (-4, 8, 0), (-5, 9, -1), (-6, 11, -1), (-7, 99, -1)] {
                var request = ListOffsetsRequest(replicaID: -1, topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, timestamp: timestamp)])])
                request.timeoutMs = 1
                let response = try await client.send(request, version: version)
                let p = try #require(response.topics.first?.partitions.first)
                let context = "ListOffsets v\(version) timestamp \(timestamp)"
                guard version >= since else {
                    #expect(ErrorCode(rawValue: p.errorCode) == .unsupportedVersion && p.offset == -1, "\(context)")
                    continue
                }
                #expect(p.errorCode == 0, "\(context)")
                if let offset {
                    #expect(p.offset == offset && p.timestamp == -1, "\(context)")
                    if offset == -1 { #expect(p.leaderEpoch == -1, "\(context)") }
                } else {
                    // The record with the largest timestamp (every batch here has its own).
                    #expect((0..<Int64(expected.count)).contains(p.offset) && p.timestamp > 0, "\(context)")
                }
            }
        }
        await client.close()
        await broker.shutdown()
    }

    @Test func fetchLongPollsUntilDataArrives() async throws {
        let broker = try await TestBroker()
        let consumer = try await broker.client()
        let producer = try await broker.client()
        _ = try await producer.send(CreateTopicsRequest(topics: [.init(name: "p", numPartitions: 1, replicationFactor: 1)]), version: 7)
        var request = FetchRequest(maxWaitMs: 10_000, minBytes: 1, maxBytes: 1 << 20)
        request.topics = [.init(topic: "p", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        async let fetched = consumer.send(request, version: 11)
        try await Task.sleep(for: .milliseconds(200))
        _ = try await producer.send(Self.produce(try Self.batch(["late"]), topic: "p"), version: 9)
        let response = try await fetched
        #expect(try Self.values(in: response.responses.first?.partitions.first?.records) == ["late"])
        // With nothing to wait for, max_wait_ms bounds the wait (and the answer is empty, not an error).
        var idle = request
        idle.maxWaitMs = 100
        idle.topics[0].partitions[0].fetchOffset = 1
        let empty = try await consumer.send(idle, version: 11)
        #expect(empty.responses.first?.partitions.first?.errorCode == 0)
        #expect(empty.responses.first?.partitions.first?.records?.readableBytes ?? 0 == 0)
        await broker.shutdown()
    }

    @Test func errorsForUnknownPartitionsOutOfRangeOffsetsAndBadBatches() async throws {
        let broker = try await TestBroker(overrides: ["auto.create.topics.enable": "false", "message.max.bytes": "2000"])
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "e", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let unknown = try await client.send(Self.produce(try Self.batch(["x"]), topic: "nope"), version: 9)
        #expect(unknown.responses[0].partitionResponses[0].errorCode == ErrorCode.unknownTopicOrPartition.rawValue)

        var corrupt = try Self.batch(["x", "y"])
        corrupt.setInteger(UInt8(0x55), at: corrupt.writerIndex - 2)
        let bad = try await client.send(Self.produce(corrupt, topic: "e"), version: 9)
        #expect(bad.responses[0].partitionResponses[0].errorCode == ErrorCode.corruptMessage.rawValue)

        let big = try await client.send(Self.produce(try Self.batch([String(repeating: "z", count: 3000)]), topic: "e"), version: 9)
        #expect(big.responses[0].partitionResponses[0].errorCode == ErrorCode.messageTooLarge.rawValue)

        var two = try Self.batch(["1"])
        var second = try Self.batch(["2"])
        two.writeBuffer(&second)
        let many = try await client.send(Self.produce(two, topic: "e"), version: 9)
        #expect(many.responses[0].partitionResponses[0].errorCode == ErrorCode.invalidRecord.rawValue)

        let acks = try await client.send(Self.produce(try Self.batch(["x"]), topic: "e", acks: 2), version: 9)
        #expect(acks.responses[0].partitionResponses[0].errorCode == ErrorCode.invalidRequiredAcks.rawValue)

        // Nothing above was written.
        let latest = try await client.send(ListOffsetsRequest(replicaID: -1, topics: [.init(name: "e", partitions: [.init(partitionIndex: 0, timestamp: -1)])]), version: 7)
        #expect(latest.topics[0].partitions[0].offset == 0)

        var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        request.topics = [.init(topic: "e", partitions: [.init(partition: 0, fetchOffset: 5, partitionMaxBytes: 1 << 20)])]
        let out = try await client.send(request, version: 12)
        #expect(out.responses[0].partitions[0].errorCode == ErrorCode.offsetOutOfRange.rawValue)
        await broker.shutdown()
    }

    @Test func idempotentRetriesAreNotWrittenTwiceAndGapsAreRefused() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "i", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let pid = try await client.send(InitProducerIdRequest(transactionalID: nil, transactionTimeoutMs: 1000), version: 4).producerID
        let first = try Self.batch(["a", "b"], producerID: pid, sequence: 0)
        let r1 = try await client.send(Self.produce(first, topic: "i"), version: 9)
        let retry = try await client.send(Self.produce(first, topic: "i"), version: 9)
        #expect(r1.responses[0].partitionResponses[0].errorCode == 0)
        #expect(retry.responses[0].partitionResponses[0].errorCode == 0)
        #expect(retry.responses[0].partitionResponses[0].baseOffset == r1.responses[0].partitionResponses[0].baseOffset)
        let gap = try await client.send(Self.produce(try Self.batch(["c"], producerID: pid, sequence: 5), topic: "i"), version: 9)
        #expect(gap.responses[0].partitionResponses[0].errorCode == ErrorCode.outOfOrderSequenceNumber.rawValue)
        let next = try await client.send(Self.produce(try Self.batch(["c"], producerID: pid, sequence: 2), topic: "i"), version: 9)
        #expect(next.responses[0].partitionResponses[0].baseOffset == 2)
        await broker.shutdown()
    }

    @Test func incrementalFetchSessionsSendOnlyChanges() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "s", numPartitions: 2, replicationFactor: 1)]), version: 7)
        _ = try await client.send(Self.produce(try Self.batch(["p0"]), topic: "s", partition: 0), version: 9)
        var open = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionID: 0, sessionEpoch: 0)
        open.topics = [.init(topic: "s", partitions: [
            .init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20), .init(partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20),
        ])]
        let full = try await client.send(open, version: 12)
        #expect(full.sessionID != 0)
        #expect(full.responses.first?.partitions.count == 2)
        // Incremental, nothing changed but partition 0's position: only partitions with news come back.
        var next = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionID: full.sessionID, sessionEpoch: 1)
        next.topics = [.init(topic: "s", partitions: [.init(partition: 0, fetchOffset: 1, partitionMaxBytes: 1 << 20)])]
        let quiet = try await client.send(next, version: 12)
        #expect(quiet.errorCode == 0)
        #expect(quiet.responses.isEmpty)
        _ = try await client.send(Self.produce(try Self.batch(["p1"]), topic: "s", partition: 1), version: 9)
        next.sessionEpoch = 2
        next.topics = []
        let news = try await client.send(next, version: 12)
        #expect(news.responses.first?.partitions.map(\.partitionIndex) == [1])
        #expect(try Self.values(in: news.responses.first?.partitions.first?.records) == ["p1"])
        // A stale epoch is refused.
        let stale = try await client.send(next, version: 12)
        #expect(stale.errorCode == ErrorCode.invalidFetchSessionEpoch.rawValue)
        await broker.shutdown()
    }

    @Test func anIncrementalFetchSessionSendsADivergingEpochAsNews() async throws {
        let first = try await TestBroker()
        let c1 = try await first.client()
        _ = try await c1.send(CreateTopicsRequest(topics: [.init(name: "d", numPartitions: 1, replicationFactor: 1)]), version: 7)
        _ = try await c1.send(Self.produce(try Self.batch(["e0"]), topic: "d"), version: 9)
        await c1.close()
        let dir = first.directory
        await first.shutdown(keepData: true)
        // Back after a restart the partition has a newer leader epoch, and its records follow at offset 1.
        let broker = try await TestBroker(directory: dir)
        let client = try await broker.client()
        _ = try await client.send(Self.produce(try Self.batch(["e1"]), topic: "d"), version: 9)
        var open = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionID: 0, sessionEpoch: 0)
        open.topics = [.init(topic: "d", partitions: [.init(partition: 0, fetchOffset: 2, partitionMaxBytes: 1 << 20)])]
        let full = try await client.send(open, version: 12)
        let epoch = try #require(full.responses.first?.partitions.first).currentLeader.leaderEpoch
        // A consumer that fetched offset 1 in the first epoch and asks for offset 2: that epoch ended at 1,
        // a diverging epoch (KIP-320), which the incremental response must carry though nothing else changed.
        var next = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionID: full.sessionID, sessionEpoch: 1)
        next.topics = [.init(topic: "d", partitions: [.init(partition: 0, fetchOffset: 2, lastFetchedEpoch: 0, partitionMaxBytes: 1 << 20)])]
        let diverged = try await client.send(next, version: 12)
        let p0 = try #require(diverged.responses.first?.partitions.first)
        #expect(p0.errorCode == 0)
        #expect(p0.divergingEpoch.epoch == 0 && p0.divergingEpoch.endOffset == 1, "leader epoch now \(epoch)")
        await broker.shutdown()
    }

    @Test func acknowledgedDataSurvivesARestart() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: 1, replicationFactor: 1,
                                                                          configs: [.init(name: "retention.ms", value: "-1")])]), version: 7)
        for i in 0..<5 { _ = try await client.send(Self.produce(try Self.batch(["m\(i)"]), topic: "r"), version: 9) }
        await client.close()
        let dir = broker.directory
        await broker.shutdown(keepData: true)
        let again = try await TestBroker(directory: dir)
        let c2 = try await again.client()
        #expect(again.metadata.image.configs(for: .topic("r")) == ["retention.ms": "-1"])
        var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        request.topics = [.init(topic: "r", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        let response = try await c2.send(request, version: 12)
        #expect(try Self.values(in: response.responses.first?.partitions.first?.records) == ["m0", "m1", "m2", "m3", "m4"])
        await again.shutdown()
    }
}
