import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Testing

/// KIP-599 through a running node. The quota is 0.01 mutations/s with the default window (11 × 1 s),
/// a burst of 0.11: a full bucket lets one topic through and then stays below zero for minutes, so
/// the outcomes do not depend on how fast the test runs.
@Suite struct MutationQuotaTests {
    static let slow = "slow"

    private func broker(_ overrides: [String: String] = [:]) async throws -> (TestBroker, TestKafkaClient) {
        let broker = try await TestBroker(overrides: overrides)
        let client = try await broker.client()
        #expect(try await ClientQuotaAPITests.set(client, clientID: Self.slow, rate: 0.01).entries.first?.errorCode == 0)
        return (broker, client)
    }

    private func topics(_ client: TestKafkaClient, _ names: [String]) async throws -> [String: Int] {
        let r = try await client.send(MetadataRequest(topics: names.map { .init(name: $0) }, allowAutoTopicCreation: false), version: 12)
        var out: [String: Int] = [:]
        for t in r.topics where t.errorCode == 0 { out[t.name ?? ""] = t.partitions.count }
        return out
    }

    @Test func strictCreateTopicsThrottlesTheTopicsPastTheBucket() async throws {
        let (broker, client) = try await broker()
        let r = try await client.send(CreateTopicsRequest(topics: [
            .init(name: "a", numPartitions: 3, replicationFactor: 1),
            .init(name: "bad name", numPartitions: 1, replicationFactor: 1),
            .init(name: "b", numPartitions: 1, replicationFactor: 1),
            .init(name: "c", numPartitions: 1, replicationFactor: 1),
        ]), version: 6, clientID: Self.slow)
        let throttled = ErrorCode.throttlingQuotaExceeded.rawValue
        // "a" empties the bucket (0.11 → -2.89); the invalid topic is refused as usual and not charged.
        #expect(r.topics.map(\.errorCode) == [0, ErrorCode.invalidTopicException.rawValue, throttled, throttled])
        #expect(r.topics[2].errorMessage?.contains("controller_mutation_rate") == true)
        // 2.89 tokens at 0.01/s: about 289 s.
        #expect(r.throttleTimeMs > 280_000 && r.throttleTimeMs <= 289_000)
        #expect(try await topics(client, ["a", "b", "c"]) == ["a": 3])
        // Another client id has no quota.
        let other = try await client.send(CreateTopicsRequest(topics: [.init(name: "b", numPartitions: 1, replicationFactor: 1)]),
                                          version: 7, clientID: "free")
        #expect(other.topics.first?.errorCode == 0 && other.throttleTimeMs == 0)
        await client.close()
        await broker.shutdown()
    }

    @Test func olderVersionsArePermissive() async throws {
        let (broker, client) = try await broker()
        let created = try await client.send(CreateTopicsRequest(topics: [
            .init(name: "a", numPartitions: 2, replicationFactor: 1), .init(name: "b", numPartitions: 2, replicationFactor: 1),
        ]), version: 5, clientID: Self.slow)
        #expect(created.topics.map(\.errorCode) == [0, 0])
        #expect(created.throttleTimeMs > 380_000)
        let grown = try await client.send(CreatePartitionsRequest(topics: [.init(name: "a", count: 3)]), version: 2, clientID: Self.slow)
        #expect(grown.results.first?.errorCode == 0)
        #expect(grown.throttleTimeMs > created.throttleTimeMs)
        let deleted = try await client.send(DeleteTopicsRequest(topicNames: ["b"]), version: 4, clientID: Self.slow)
        #expect(deleted.responses.first?.errorCode == 0)
        #expect(deleted.throttleTimeMs > grown.throttleTimeMs)
        #expect(try await topics(client, ["a", "b"]) == ["a": 3])
        await client.close()
        await broker.shutdown()
    }

    @Test func strictCreatePartitionsAndDeleteTopicsAreThrottled() async throws {
        let (broker, client) = try await broker()
        let made = try await client.send(CreateTopicsRequest(topics: [
            .init(name: "a", numPartitions: 1, replicationFactor: 1), .init(name: "b", numPartitions: 1, replicationFactor: 1),
        ]), version: 7, clientID: "free")
        #expect(made.topics.map(\.errorCode) == [0, 0])
        let grown = try await client.send(CreatePartitionsRequest(topics: [.init(name: "a", count: 2), .init(name: "b", count: 2)]),
                                          version: 3, clientID: Self.slow)
        #expect(grown.results.map(\.errorCode) == [0, ErrorCode.throttlingQuotaExceeded.rawValue])
        #expect(grown.throttleTimeMs > 0)
        let deleted = try await client.send(DeleteTopicsRequest(topicNames: ["b"]), version: 5, clientID: Self.slow)
        #expect(deleted.responses.first?.errorCode == ErrorCode.throttlingQuotaExceeded.rawValue)
        #expect(deleted.throttleTimeMs > 0)
        let byID = try #require(made.topics.last?.topicID)
        let deletedByID = try await client.send(DeleteTopicsRequest(topics: [.init(name: nil, topicID: byID)]), version: 6, clientID: Self.slow)
        #expect(deletedByID.responses.first?.errorCode == ErrorCode.throttlingQuotaExceeded.rawValue)
        #expect(deletedByID.responses.first?.topicID == byID)
        #expect(try await topics(client, ["a", "b"]) == ["a": 2, "b": 1])
        await client.close()
        await broker.shutdown()
    }

    @Test func validateOnlyIsThrottledButNotCharged() async throws {
        let (broker, client) = try await broker()
        for _ in 0..<3 {
            let tried = try await client.send(CreateTopicsRequest(topics: [.init(name: "a", numPartitions: 5, replicationFactor: 1)],
                                                                  validateOnly: true), version: 7, clientID: Self.slow)
            #expect(tried.topics.first?.errorCode == 0 && tried.throttleTimeMs == 0)
        }
        // The bucket is still full: the real creation goes ahead, and then validation is throttled too.
        let real = try await client.send(CreateTopicsRequest(topics: [.init(name: "a", numPartitions: 5, replicationFactor: 1)]),
                                         version: 7, clientID: Self.slow)
        #expect(real.topics.first?.errorCode == 0)
        let after = try await client.send(CreateTopicsRequest(topics: [.init(name: "b", numPartitions: 1, replicationFactor: 1)],
                                                              validateOnly: true), version: 7, clientID: Self.slow)
        #expect(after.topics.first?.errorCode == ErrorCode.throttlingQuotaExceeded.rawValue)
        await client.close()
        await broker.shutdown()
    }

    @Test func refusedTopicsCostNothing() async throws {
        let (broker, client) = try await broker()
        // Exists already: refused, so it costs nothing and the next topic still fits.
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "x", numPartitions: 1, replicationFactor: 1)]), version: 7, clientID: "free")
        let refused = try await client.send(CreateTopicsRequest(topics: [.init(name: "x", numPartitions: 4, replicationFactor: 1)]),
                                            version: 7, clientID: Self.slow)
        #expect(refused.topics.first?.errorCode == ErrorCode.topicAlreadyExists.rawValue)
        #expect(refused.throttleTimeMs == 0)
        let next = try await client.send(CreateTopicsRequest(topics: [.init(name: "y", numPartitions: 1, replicationFactor: 1)]),
                                         version: 7, clientID: Self.slow)
        #expect(next.topics.first?.errorCode == 0)
        await client.close()
        await broker.shutdown()
    }

    @Test func autoCreationIsChargedAndBoundedByTheSameQuota() async throws {
        let (broker, client) = try await broker(["num.partitions": "2"])
        let r = try await client.send(MetadataRequest(topics: [.init(name: "auto-1"), .init(name: "auto-2")], allowAutoTopicCreation: true),
                                      version: 12, clientID: Self.slow)
        let codes = Dictionary(uniqueKeysWithValues: r.topics.map { ($0.name ?? "", $0.errorCode) })
        // Created in name order: auto-1 empties the bucket, auto-2 waits and is reported not available yet.
        #expect(codes == ["auto-1": 0, "auto-2": ErrorCode.leaderNotAvailable.rawValue])
        #expect(try await topics(client, ["auto-1", "auto-2"]) == ["auto-1": 2])
        let retried = try await client.send(MetadataRequest(topics: [.init(name: "auto-2")], allowAutoTopicCreation: true),
                                            version: 12, clientID: Self.slow)
        #expect(retried.topics.first?.errorCode == ErrorCode.leaderNotAvailable.rawValue)
        // The same request from a client without a quota creates it.
        let free = try await client.send(MetadataRequest(topics: [.init(name: "auto-2")], allowAutoTopicCreation: true), version: 12, clientID: "free")
        #expect(free.topics.first?.errorCode == 0)
        await client.close()
        await broker.shutdown()
    }

    @Test func aUserQuotaCoversEveryClientOfTheUser() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let set = try await client.send(AlterClientQuotasRequest(entries: [
            .init(entity: [.init(entityType: "user", entityName: nil)], ops: [.init(key: "controller_mutation_rate", value: 0.01, remove: false)]),
        ]), version: 1)
        #expect(set.entries.first?.errorCode == 0)
        let first = try await client.send(CreateTopicsRequest(topics: [.init(name: "a", numPartitions: 1, replicationFactor: 1)]), version: 7, clientID: "one")
        #expect(first.topics.first?.errorCode == 0)
        // Every client is ANONYMOUS: a second client id shares the bucket (tagged user=ANONYMOUS only).
        let second = try await client.send(CreateTopicsRequest(topics: [.init(name: "b", numPartitions: 1, replicationFactor: 1)]), version: 7, clientID: "two")
        #expect(second.topics.first?.errorCode == ErrorCode.throttlingQuotaExceeded.rawValue)
        await client.close()
        await broker.shutdown()
    }
}
