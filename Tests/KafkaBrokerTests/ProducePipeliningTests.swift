import BrokerTestKit
import KafkaBroker
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
