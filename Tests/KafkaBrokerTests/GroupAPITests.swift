import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Testing

/// The classic group protocol over TCP, against the real coordinator shell and `__consumer_offsets`.
@Suite struct GroupAPITests {
    private func joinRequest(group: String, member: String = "") -> JoinGroupRequest {
        JoinGroupRequest(groupID: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberID: member,
                         protocolType: "consumer", protocols: [.init(name: "range", metadata: [0, 1])])
    }

    @Test func aSingleMemberJoinsSyncsCommitsAndResumesAfterRestart() async throws {
        let broker = try await TestBroker(overrides: ["group.initial.rebalance.delay.ms": "0"])
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "g-topic", numPartitions: 2, replicationFactor: 1)]), version: 7)
        // v4+: a new member is told its id and rejoins with it.
        let first = try await client.send(joinRequest(group: "g1"), version: 7)
        #expect(first.errorCode == ErrorCode.memberIDRequired.rawValue)
        let joined = try await client.send(joinRequest(group: "g1", member: first.memberID), version: 7)
        #expect(joined.errorCode == 0)
        #expect(joined.leader == first.memberID)
        #expect(joined.generationID == 1)
        let synced = try await client.send(SyncGroupRequest(groupID: "g1", generationID: 1, memberID: first.memberID,
                                                            protocolType: "consumer", protocolName: "range",
                                                            assignments: [.init(memberID: first.memberID, assignment: [9, 9])]), version: 5)
        #expect(synced.errorCode == 0)
        #expect(synced.assignment == [9, 9])
        let beat = try await client.send(HeartbeatRequest(groupID: "g1", generationID: 1, memberID: first.memberID), version: 4)
        #expect(beat.errorCode == 0)
        let committed = try await client.send(OffsetCommitRequest(groupID: "g1", generationIDOrMemberEpoch: 1, memberID: first.memberID, topics: [
            .init(name: "g-topic", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedMetadata: "m")]),
            .init(name: "missing", partitions: [.init(partitionIndex: 0, committedOffset: 1)]),
        ]), version: 8)
        #expect(committed.topics.first { $0.name == "g-topic" }?.partitions.first?.errorCode == 0)
        #expect(committed.topics.first { $0.name == "missing" }?.partitions.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        let described = try await client.send(DescribeGroupsRequest(groups: ["g1"]), version: 5)
        #expect(described.groups.first?.groupState == "Stable")
        #expect(described.groups.first?.members.count == 1)
        await client.close()

        let dir = broker.directory
        await broker.shutdown(keepData: true)
        let again = try await TestBroker(directory: dir)
        let c2 = try await again.client()
        let fetched = try await c2.send(OffsetFetchRequest(groupID: "g1", topics: [.init(name: "g-topic", partitionIndexes: [0, 1])]), version: 7)
        let partitions = fetched.topics.first?.partitions ?? []
        #expect(partitions.first { $0.partitionIndex == 1 }?.committedOffset == 42)
        #expect(partitions.first { $0.partitionIndex == 1 }?.metadata == "m")
        #expect(partitions.first { $0.partitionIndex == 0 }?.committedOffset == -1)
        let listed = try await c2.send(ListGroupsRequest(), version: 4)
        #expect(listed.groups.map(\.groupID) == ["g1"])
        await again.shutdown()
    }

    @Test func twoMembersRebalanceAndTheLeaderAssigns() async throws {
        let broker = try await TestBroker(overrides: ["group.initial.rebalance.delay.ms": "0"])
        let a = try await broker.client()
        let b = try await broker.client()
        let idA = try await a.send(joinRequest(group: "g2"), version: 5).memberID
        let aFirst = try await a.send(joinRequest(group: "g2", member: idA), version: 5)
        #expect(aFirst.errorCode == 0, "\(ErrorCode(rawValue: aFirst.errorCode))")
        #expect(aFirst.generationID == 1)
        // B joining forces a rebalance: A learns of it from its heartbeat and rejoins.
        async let bJoin = b.send(joinRequest(group: "g2"), version: 3)
        // Heartbeats succeed until B's join reaches the coordinator, then say REBALANCE_IN_PROGRESS.
        var beat = HeartbeatResponse()
        for _ in 0..<100 {
            beat = try await a.send(HeartbeatRequest(groupID: "g2", generationID: 1, memberID: idA), version: 3)
            if beat.errorCode != 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(beat.errorCode == ErrorCode.rebalanceInProgress.rawValue)
        let aJoin = try await a.send(joinRequest(group: "g2", member: idA), version: 5)
        let bJoined = try await bJoin
        #expect(aJoin.generationID == 2)
        #expect(bJoined.generationID == 2)
        #expect(Set([aJoin.leader, bJoined.leader]).count == 1)
        let leader = aJoin.leader == idA ? a : b
        let leaderJoin = aJoin.leader == idA ? aJoin : bJoined
        #expect(leaderJoin.members.count == 2)
        let followerID = aJoin.leader == idA ? bJoined.memberID : idA
        let follower = aJoin.leader == idA ? b : a
        async let followerSync = follower.send(SyncGroupRequest(groupID: "g2", generationID: 2, memberID: followerID), version: 3)
        try await Task.sleep(for: .milliseconds(100))
        let leaderSync = try await leader.send(SyncGroupRequest(groupID: "g2", generationID: 2, memberID: leaderJoin.memberID, assignments: [
            .init(memberID: leaderJoin.memberID, assignment: [1]), .init(memberID: followerID, assignment: [2]),
        ]), version: 3)
        #expect(leaderSync.assignment == [1])
        #expect(try await followerSync.assignment == [2])
        await broker.shutdown()
    }
}
