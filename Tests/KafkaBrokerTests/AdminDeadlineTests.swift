import KafkaBroker
import KafkaProtocol
import KafkaTestKit
import Testing

/// CreateTopics is answered by its `timeoutMs`: REQUEST_TIMED_OUT when the controller has not finished,
/// and the creation goes on to completion; a request that finishes in time gets its real answer.
@Suite struct AdminDeadlineTests {
    @Test func aCreationLongerThanItsTimeoutIsAnsweredTimedOutAndStillCompletes() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        // 3,000 partitions cannot be created within 1 ms: each is a directory and a file.
        let response = try await client.send(CreateTopicsRequest(topics: [.init(name: "slow", numPartitions: 3_000, replicationFactor: 1)],
                                                                 timeoutMs: 1), version: 7)
        #expect(response.topics.map(\.errorCode) == [ErrorCode.requestTimedOut.rawValue])
        // The creation was not abandoned: the topic appears with every partition.
        for _ in 0..<600 where broker.metadata.image.topic(named: "slow") == nil {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(broker.metadata.image.topic(named: "slow")?.partitions.count == 3_000)
        let inTime = try await client.send(CreateTopicsRequest(topics: [.init(name: "quick", numPartitions: 1, replicationFactor: 1)],
                                                               timeoutMs: 60_000), version: 7)
        #expect(inTime.topics.map(\.errorCode) == [0])
        await client.close()
        await broker.shutdown()
    }
}
