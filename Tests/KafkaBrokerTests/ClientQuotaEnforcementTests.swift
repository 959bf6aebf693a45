import BrokerTestKit
import KafkaBroker
import KafkaProtocol
import NIOCore
import Testing

/// producer_byte_rate, consumer_byte_rate and request_percentage enforced on a real node, with the
/// throttle times Kafka's arithmetic gives: a first request is measured over all but one of the 11
/// one-second windows (10 s), so a request of B bytes against a quota of Q bytes/s throttles for
/// (B / 10 - Q) / Q * 10,000 ms.
@Suite struct ClientQuotaEnforcementTests {
    static func setQuota(_ client: TestKafkaClient, clientID: String, _ key: String, _ value: Double) async throws {
        let response = try await client.send(AlterClientQuotasRequest(entries: [
            .init(entity: [.init(entityType: "client-id", entityName: clientID)], ops: [.init(key: key, value: value, remove: false)]),
        ]), version: 1)
        #expect(response.entries.map(\.errorCode) == [0], "\(response.entries.first?.errorMessage ?? "")")
    }

    static func produceRequest(_ values: Int) throws -> ProduceRequest {
        DataPathTests.produce(try DataPathTests.batch((0..<values).map { "value-\($0)-" + String(repeating: "x", count: 100) }), topic: "t")
    }

    @Test func produceAndFetchBytesAreThrottledAsKafkaComputes() async throws {
        let broker = try await TestBroker()
        let admin = try await broker.client()
        _ = try await admin.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        try await Self.setQuota(admin, clientID: "slow-producer", "producer_byte_rate", 1_000)
        try await Self.setQuota(admin, clientID: "slow-consumer", "consumer_byte_rate", 100)

        // Produce: the request's bytes (as sent, without the size prefix) against 1,000 B/s.
        let request = try Self.produceRequest(100)
        let size = try request.encodeFrame(version: 9, correlationID: 1, clientID: "slow-producer").readableBytes - 4
        #expect(size > 10_000)
        let producer = try await TestKafkaClient(port: broker.port)
        let produced = try await producer.send(request, version: 9, clientID: "slow-producer")
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)   // appended all the same
        #expect(produced.throttleTimeMs == Int32(size - 10_000))
        await producer.close()
        // Another client id has no quota.
        let free = try await admin.send(try Self.produceRequest(100), version: 9, clientID: "free")
        #expect(free.throttleTimeMs == 0)

        // Fetch: the consumer's quota allows 1,000 bytes per fetch; the first batch comes whole anyway
        // (KIP-74), takes the client over its quota, and is answered empty with the throttle time.
        let consumer = try await TestKafkaClient(port: broker.port)
        var fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        fetch.topics = [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        let fetchedFree = try await admin.send(fetch, version: 12, clientID: "free")
        let firstBatch = try #require(fetchedFree.responses.first?.partitions.first?.records).readableBytes
        #expect(firstBatch >= 2 * 10_000)   // both batches: no quota, no cap
        let throttled = try await consumer.send(fetch, version: 12, clientID: "slow-consumer")
        #expect(throttled.responses.isEmpty)
        #expect(throttled.errorCode == 0)
        let batch = firstBatch / 2
        #expect(throttled.throttleTimeMs == Int32((Double(batch) / 10 - 100) / 100 * 10_000), "one batch of \(batch) bytes")
        await consumer.close()
        await admin.close()
        await broker.shutdown()
    }

    /// request_percentage: the time a request is worked on, as a percentage of a second; the throttle
    /// is bounded by one window (1 s), as Kafka bounds it. ApiVersions is exempt.
    @Test func requestTimeIsThrottledAndBoundedByOneWindow() async throws {
        let broker = try await TestBroker()
        let admin = try await broker.client()
        try await Self.setQuota(admin, clientID: "busy", "request_percentage", 0.000_001)
        let busy = try await TestKafkaClient(port: broker.port)
        let metadata = try await busy.send(MetadataRequest(topics: []), version: 12, clientID: "busy")
        #expect(metadata.throttleTimeMs == 1_000)
        await busy.close()
        let connecting = try await TestKafkaClient(port: broker.port)
        let versions = try await connecting.send(ApiVersionsRequest(), version: 3, clientID: "busy")
        #expect(versions.throttleTimeMs == 0)
        await connecting.close()
        #expect(try await admin.send(MetadataRequest(topics: []), version: 12, clientID: "calm").throttleTimeMs == 0)
        await admin.close()
        await broker.shutdown()
    }
}
