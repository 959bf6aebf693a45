import KafkaBroker
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// Requests with values at the edges of their types, each of which once trapped the process: the
/// node answers (or refuses) and keeps serving, and what it wrote still loads after a restart.
@Suite struct HostileRequestTests {
    private func stillServes(_ broker: TestBroker) async throws {
        let client = try await broker.client()
        let metadata = try await client.send(MetadataRequest(topics: nil), version: 9)
        #expect(metadata.brokers.count == 1)
        await client.close()
    }

    /// A segment's age is the incoming batch's max timestamp minus its first one: Int64.max then
    /// Int64.min overflowed that difference.
    @Test func recordTimestampsAtTheEdgesOfInt64() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "ts", numPartitions: 1, replicationFactor: 1)]), version: 7)
        for timestamp in [Int64.max, Int64.min, -2, Int64.max - 1] {
            var b = RecordBatchBuilder()
            b.append(timestamp: timestamp, key: [1], value: [2], headers: [])
            let response = try await client.send(ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [
                .init(name: "ts", partitionData: [.init(index: 0, records: try b.build().bytes)]),
            ]), version: 9)
            let code = try #require(response.responses.first?.partitionResponses.first?.errorCode)
            #expect(code == 0 || code == ErrorCode.invalidTimestamp.rawValue, "timestamp \(timestamp): error \(code)")
        }
        await client.close()
        try await stillServes(broker)
        await broker.shutdown()
    }

    /// OffsetCommit v2-4 retention and v1 commit timestamps are client values: now + Int64.max and
    /// now - Int64.min overflowed when the commit was handled and when offsets expired.
    @Test func offsetCommitTimesAtTheEdgesOfInt64() async throws {
        let broker = try await TestBroker(overrides: ["offsets.retention.check.interval.ms": "1"])
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "oc", numPartitions: 1, replicationFactor: 1)]), version: 7)
        for retention in [Int64.max, Int64.min, -2] {
            let r = try await client.send(OffsetCommitRequest(groupID: "g-retention", generationIDOrMemberEpoch: -1, memberID: "",
                                                              retentionTimeMs: retention, topics: [
                .init(name: "oc", partitions: [.init(partitionIndex: 0, committedOffset: 5)]),
            ]), version: 2)
            #expect(r.topics.first?.partitions.first?.errorCode == 0, "retention \(retention)")
        }
        for stamp in [Int64.min, Int64.max] {
            let r = try await client.send(OffsetCommitRequest(groupID: "g-stamp", generationIDOrMemberEpoch: -1, memberID: "", topics: [
                .init(name: "oc", partitions: [.init(partitionIndex: 0, committedOffset: 6, commitTimestamp: stamp)]),
            ]), version: 1)
            #expect(r.topics.first?.partitions.first?.errorCode == 0, "commit timestamp \(stamp)")
        }
        await client.close()
        // The expiry pass runs every millisecond here; a trap in it would end the test process.
        let dir = broker.directory
        try await stillServes(broker)
        await broker.shutdown(keepData: true)
        let again = try await TestBroker(overrides: ["offsets.retention.check.interval.ms": "1"], directory: dir)
        try await stillServes(again)
        await again.shutdown()
    }

    @Test func joinGroupWithTheLowestRebalanceTimeoutAndTheLongestClientID() async throws {
        let broker = try await TestBroker(overrides: ["group.initial.rebalance.delay.ms": "3000"])
        let client = try await broker.client()
        let join = JoinGroupRequest(groupID: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: Int32.min, memberID: "",
                                    protocolType: "consumer", protocols: [.init(name: "range", metadata: [0, 1])])
        // v4 asks for a member id first (MEMBER_ID_REQUIRED): the id is made from the client id.
        let first = try await client.send(join, version: 4, clientID: String(repeating: "c", count: Int(Int16.max)))
        #expect(first.errorCode == ErrorCode.memberIDRequired.rawValue)
        #expect(first.memberID.utf8.count < 1024)
        await client.close()
        try await stillServes(broker)
        await broker.shutdown()
    }

    /// Flexible versions carry strings longer than a group record's int16 length: refused up front.
    @Test func groupStringsTooLongForTheirRecordsAreRefused() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let long = String(repeating: "g", count: 40_000)
        let join = try await client.send(JoinGroupRequest(groupID: long, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
                                                          memberID: "", protocolType: "consumer",
                                                          protocols: [.init(name: "range", metadata: [0])]), version: 9)
        #expect(join.errorCode == ErrorCode.invalidRequest.rawValue)
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "long", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let commit = try await client.send(OffsetCommitRequest(groupID: long, generationIDOrMemberEpoch: -1, memberID: "", topics: [
            .init(name: "long", partitions: [.init(partitionIndex: 0, committedOffset: 1)]),
        ]), version: 9)
        #expect(commit.topics.first?.partitions.first?.errorCode == ErrorCode.invalidRequest.rawValue)
        let heartbeat = try await client.send(ConsumerGroupHeartbeatRequest(
            groupID: "cg", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: [],
            subscribedTopicRegex: String(repeating: "(", count: 5000)), version: 1)
        #expect(heartbeat.errorCode == ErrorCode.invalidRequest.rawValue)
        await client.close()
        try await stillServes(broker)
        await broker.shutdown()
    }

    /// An answer that would echo a client string too long for an int16 length cannot be encoded: the
    /// connection closes, and the node serves the next one.
    @Test func anAnswerTooLongToEncodeClosesOnlyThatConnection() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let name = String(repeating: "t", count: 32_740)
        _ = try? await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: name, configurationKeys: nil)]),
                                   version: 1)
        await client.close()
        try await stillServes(broker)
        await broker.shutdown()
    }
}
