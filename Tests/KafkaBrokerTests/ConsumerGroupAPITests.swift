import Foundation
import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// The consumer (KIP-848) group protocol over TCP, against the real coordinator shell and
/// `__consumer_offsets`: join, reconcile, commit, describe, restart.
@Suite struct ConsumerGroupAPITests {
    private func join(_ group: String, member: String, topics: [String], regex: String? = nil) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest(groupID: group, memberID: member, memberEpoch: 0, rebalanceTimeoutMs: 30_000,
                                      subscribedTopicNames: topics, subscribedTopicRegex: regex, topicPartitions: [])
    }

    private func beat(_ group: String, member: String, epoch: Int32, owned: [ConsumerGroupHeartbeatResponse.TopicPartitions]) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest(
            groupID: group, memberID: member, memberEpoch: epoch,
            topicPartitions: owned.map { .init(topicID: $0.topicID, partitions: $0.partitions) })
    }

    @Test func apiVersionsAdvertisesTheConsumerGroupAPIs() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let keys = try await client.send(ApiVersionsRequest(), version: 3).apiKeys
        #expect(keys.first { $0.apiKey == 68 }.map { [$0.minVersion, $0.maxVersion] } == [0, 1])
        #expect(keys.first { $0.apiKey == 69 }.map { [$0.minVersion, $0.maxVersion] } == [0, 1])
        await client.close()
        await broker.shutdown()
    }

    @Test func twoMembersShareATopicCommitAndSurviveARestart() async throws {
        let broker = try await TestBroker(overrides: ["group.consumer.heartbeat.interval.ms": "1000"])
        let a = try await broker.client()
        let b = try await broker.client()
        _ = try await a.send(CreateTopicsRequest(topics: [.init(name: "cg-topic", numPartitions: 4, replicationFactor: 1)]), version: 7)

        let ja = try await a.send(join("cg", member: "member-a", topics: ["cg-topic"]), version: 1)
        #expect(ja.errorCode == 0 && ja.memberEpoch == 1 && ja.heartbeatIntervalMs == 1000)
        #expect(ja.assignment?.topicPartitions.first?.partitions == [0, 1, 2, 3])

        let jb = try await b.send(join("cg", member: "member-b", topics: ["cg-topic"]), version: 1)
        #expect(jb.memberEpoch == 2)
        #expect(jb.assignment?.topicPartitions.isEmpty == true)

        // a revokes half, then moves to epoch 2; then b gets the freed half.
        let revoke = try await a.send(beat("cg", member: "member-a", epoch: 1, owned: ja.assignment!.topicPartitions), version: 1)
        #expect(revoke.memberEpoch == 1)
        let kept = try #require(revoke.assignment?.topicPartitions)
        #expect(kept.first?.partitions.count == 2)
        let acked = try await a.send(beat("cg", member: "member-a", epoch: 1, owned: kept), version: 1)
        #expect(acked.memberEpoch == 2)
        let got = try await b.send(beat("cg", member: "member-b", epoch: 2, owned: []), version: 1)
        let bParts = try #require(got.assignment?.topicPartitions.first?.partitions)
        #expect(Set(bParts).union(kept.first!.partitions) == [0, 1, 2, 3])

        // Commits carry the member epoch (v9).
        let stale = try await b.send(OffsetCommitRequest(groupID: "cg", generationIDOrMemberEpoch: 1, memberID: "member-b", topics: [
            .init(name: "cg-topic", partitions: [.init(partitionIndex: bParts[0], committedOffset: 7)])]), version: 9)
        #expect(stale.topics.first?.partitions.first?.errorCode == ErrorCode.staleMemberEpoch.rawValue)
        let committed = try await b.send(OffsetCommitRequest(groupID: "cg", generationIDOrMemberEpoch: 2, memberID: "member-b", topics: [
            .init(name: "cg-topic", partitions: [.init(partitionIndex: bParts[0], committedOffset: 7)])]), version: 9)
        #expect(committed.topics.first?.partitions.first?.errorCode == 0)

        let described = try await a.send(ConsumerGroupDescribeRequest(groupIDs: ["cg", "none"]), version: 1)
        #expect(described.groups.map { $0.members.map(\.memberType) } == [[1, 1], []])
        #expect(described.groups[0].groupState == "Stable")
        #expect(described.groups[0].groupEpoch == 2 && described.groups[0].assignmentEpoch == 2)
        #expect(described.groups[0].members.map(\.memberID) == ["member-a", "member-b"])
        #expect(described.groups[0].members[1].assignment.topicPartitions.first?.topicName == "cg-topic")
        #expect(described.groups[1].errorCode == ErrorCode.groupIDNotFound.rawValue)
        let listed = try await a.send(ListGroupsRequest(typesFilter: ["consumer"]), version: 5)
        #expect(listed.groups.map(\.groupID) == ["cg"])
        await a.close()
        await b.close()

        // After a restart the group, its epochs and assignments, and the offsets are back.
        let dir = broker.directory
        await broker.shutdown(keepData: true)
        let again = try await TestBroker(directory: dir)
        let c = try await again.client()
        let reloaded = try await c.send(ConsumerGroupDescribeRequest(groupIDs: ["cg"]), version: 0)
        #expect(reloaded.groups[0].members.map(\.memberEpoch) == [2, 2])
        #expect(reloaded.groups[0].members[1].assignment.topicPartitions.first?.partitions == bParts)
        let fetched = try await c.send(OffsetFetchRequest(groups: [.init(groupID: "cg", memberID: nil, memberEpoch: -1, topics: nil)]), version: 9)
        #expect(fetched.groups.first?.topics.first?.partitions.first?.committedOffset == 7)
        // A member keeps its place by heartbeating with its epoch; leaving ends it.
        let back = try await c.send(beat("cg", member: "member-b", epoch: 2, owned: got.assignment!.topicPartitions), version: 1)
        #expect(back.errorCode == 0 && back.memberEpoch == 2)
        let left = try await c.send(ConsumerGroupHeartbeatRequest(groupID: "cg", memberID: "member-b", memberEpoch: -1), version: 1)
        #expect(left.memberEpoch == -1)
        await c.close()
        await again.shutdown()
    }

    @Test func versionZeroMintsMemberIDsAndClassicGroupsStayApart() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "cg0", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let v0 = try await client.send(join("g0", member: "", topics: ["cg0"]), version: 0)
        #expect(v0.errorCode == 0)
        #expect(v0.memberID?.count == 22)
        let v1 = try await client.send(join("g0", member: "", topics: ["cg0"]), version: 1)
        #expect(v1.errorCode == ErrorCode.invalidRequest.rawValue)
        let regex = try await client.send(join("g1", member: "r", topics: [], regex: "cg[0-9]"), version: 1)
        #expect(regex.assignment?.topicPartitions.count == 1)
        let classic = try await client.send(JoinGroupRequest(groupID: "g0", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
                                                             memberID: "", protocolType: "consumer", protocols: [.init(name: "range", metadata: [])]), version: 5)
        #expect(classic.errorCode == ErrorCode.inconsistentGroupProtocol.rawValue)
        await client.close()
        await broker.shutdown()
    }

    /// librdkafka 2.16's own join (captured by Fixtures/capture/capture_kip848.py): a client-minted
    /// member id, epoch 0, subscription by name, the uniform assignor.
    @Test func librdkafkasCapturedJoinIsServed() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/requests/confluent-kafka-2.16.1-librdkafka-2.16.0/ConsumerGroupHeartbeat-v1-kip848-group.bin")
        let frame = try RequestFrame(parsing: ByteBuffer(bytes: try Data(contentsOf: path)))
        let (join, _) = try frame.decodeBody(as: ConsumerGroupHeartbeatRequest.self)
        #expect(join.memberEpoch == 0 && !join.memberID.isEmpty)
        #expect(join.subscribedTopicNames == ["kip848-topic"] && join.serverAssignor == "uniform")

        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "kip848-topic", numPartitions: 4, replicationFactor: 1)]), version: 7)
        let r = try await client.send(join, version: frame.apiVersion)
        #expect(r.errorCode == 0)
        #expect(r.memberID == join.memberID && r.memberEpoch == 1)
        #expect(r.assignment?.topicPartitions.first?.partitions == [0, 1, 2, 3])
        await client.close()
        await broker.shutdown()
    }
}
