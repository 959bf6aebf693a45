import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import NIOCore
import Testing

/// Produce requests sent back to back on one connection, as producers pipeline them (up to five in
/// flight): each is validated while the one before it is appended, yet they are appended in request
/// order, and none after one that closed the connection.
@Suite struct ProducePipeliningTests {
    static func logEndOffset(_ client: TestKafkaClient, _ topic: String) async throws -> Int64 {
        let request = ListOffsetsRequest(replicaID: -1, topics: [.init(name: topic, partitions: [.init(partitionIndex: 0, timestamp: -1)])])
        let p = try #require(try await client.send(request, version: 7).topics.first?.partitions.first)
        #expect(p.errorCode == 0)
        return p.offset
    }

    @Test func requestsSentBackToBackAreAppendedInRequestOrder() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        // Batches of different sizes, so a request validated faster than the one before it would pass it
        // were validation and appending not in turn; acks=all and acks=1 alternate (only acks=all syncs).
        let count = 40
        for n in 0..<count {
            let values = (0..<(1 + (n * 7) % 13)).map { "r\(n)-\($0)-" + String(repeating: "x", count: (n % 5) * 2_000) }
            try await client.sendWithoutResponse(DataPathTests.produce(try DataPathTests.batch(values), topic: "t", acks: n % 2 == 0 ? -1 : 1), version: 9)
        }
        var expectedOffset: Int64 = 0
        for n in 0..<count {
            var payload = try await client.receive()
            _ = try ResponseHeader.decode(from: &payload, version: APIKey.produce.responseHeaderVersion(apiVersion: 9))
            let response = try ProduceResponse.decodeExactly(payload, version: 9)
            let p = try #require(response.responses.first?.partitionResponses.first)
            #expect(p.errorCode == 0, "request \(n): \(p.errorMessage ?? "")")
            #expect(p.baseOffset == expectedOffset, "request \(n)")
            expectedOffset += Int64(1 + (n * 7) % 13)
        }
        var fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 16 << 20)
        fetch.topics = [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 16 << 20)])]
        let fetched = try #require(try await client.send(fetch, version: 11).responses.first?.partitions.first)
        let values = try DataPathTests.values(in: fetched.records)
        #expect(values.count == Int(expectedOffset))
        let requestOfEachRecord: [String] = values.map { value in String(value.prefix { $0 != "-" }) }
        var expectedRequests: [String] = []
        for n in 0..<count { expectedRequests += Array(repeating: "r\(n)", count: 1 + (n * 7) % 13) }
        #expect(requestOfEachRecord == expectedRequests)
        await client.close()
        await broker.shutdown()
    }

    @Test func everyAcksAllRequestIsDurableWhenAnswered() async throws {
        // A one-partition request is synced by the thread that appended it, right after the connection's
        // release; a request for several partitions syncs them in parallel. Either way the producer hears
        // of its records only once they are flushed (the recovery point passed them) and the high
        // watermark covers them, also while the next requests append behind them.
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 3, replicationFactor: 1)]), version: 7)
        let partitions = try (0..<3).map { try #require(broker.node.replicas.replica(TopicPartition("t", Int32($0)))) }
        var requests: [(partitions: [Int32], records: Int)] = []
        for n in 0..<12 {
            let named: [Int32] = n % 3 == 2 ? [0, 1, 2] : [Int32(n % 3)]
            let records = 1 + n % 4
            let data = try named.map { p in
                ProduceRequest.TopicProduceData.PartitionProduceData(index: p, records: try DataPathTests.batch((0..<records).map { "r\(n)-\($0)" }))
            }
            try await client.sendWithoutResponse(ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [.init(name: "t", partitionData: data)]), version: 9)
            requests.append((named, records))
        }
        for (n, sent) in requests.enumerated() {
            var payload = try await client.receive()
            _ = try ResponseHeader.decode(from: &payload, version: APIKey.produce.responseHeaderVersion(apiVersion: 9))
            let response = try ProduceResponse.decodeExactly(payload, version: 9)
            let answered = try #require(response.responses.first?.partitionResponses)
            #expect(answered.map(\.index) == sent.partitions, "request \(n)")
            for p in answered {
                #expect(p.errorCode == 0, "request \(n), partition \(p.index): \(p.errorMessage ?? "")")
                let end = p.baseOffset + Int64(sent.records)
                let (recoveryPoint, highWatermark) = partitions[Int(p.index)].withLog { ($0.recoveryPoint, $0.highWatermark) }
                #expect(recoveryPoint >= end, "request \(n), partition \(p.index): flushed to \(recoveryPoint), answered up to \(end)")
                #expect(highWatermark >= end, "request \(n), partition \(p.index)")
            }
        }
        await client.close()
        await broker.shutdown()
    }

    @Test func nothingIsAppendedAfterAnAcksZeroRequestThatClosedTheConnection() async throws {
        let broker = try await TestBroker()
        let setup = try await broker.client()
        _ = try await setup.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let producer = try await broker.client()
        // Refused (clients may not write to internal topics): with acks=0 the connection closes. The
        // requests already read behind it, valid as they are, must not be appended.
        try await producer.sendWithoutResponse(DataPathTests.produce(try DataPathTests.batch(["no"]), topic: "__consumer_offsets", acks: 0), version: 9)
        for n in 0..<4 {
            try await producer.sendWithoutResponse(DataPathTests.produce(try DataPathTests.batch(["after-\(n)"]), topic: "t", acks: n % 2 == 0 ? 0 : 1), version: 9)
        }
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await producer.receive() }
        #expect(try await Self.logEndOffset(setup, "t") == 0)
        await producer.close()
        await setup.close()
        await broker.shutdown()
    }
}
