@testable import KafkaGroups
import KafkaProtocol
import Testing

/// Records, replay, offsets and the admin APIs for consumer groups.
@Suite struct ConsumerPersistenceTests {
    @Test func aReloadRebuildsTheSameGroupAtEveryStep() throws {
        var h = ConsumerHarness(topics: ["t1": 6, "t2": 3])
        h.join("a", topics: ["t1", "t2"])
        #expect(try h.reloaded().consumerGroups["g"]?.durable == h.group.durable)
        h.join("b", topics: ["t1"], instance: "i-b")
        h.heartbeat("a") // mid-revocation
        #expect(try h.reloaded().consumerGroups["g"]?.durable == h.group.durable)
        h.join("c", topics: ["t2"])
        h.settle()
        _ = h.leave("b", epoch: -2)
        #expect(try h.reloaded().consumerGroups["g"]?.durable == h.group.durable)
        _ = h.leave("c")
        h.settle()
        let reloaded = try h.reloaded()
        #expect(reloaded.consumerGroups["g"]?.durable == h.group.durable)
        #expect(reloaded.consumerGroups["g"]?.partitionEpochs == h.group.partitionEpochs)
    }

    /// After compaction a commit can precede every record of its group; the replayed commit must not
    /// leave a classic group beside the consumer group (it would expire the live group's offsets).
    @Test func commitsReplayedBeforeTheGroupsRecordsLeaveOnlyTheConsumerGroup() throws {
        var h = ConsumerHarness()
        h.join("a")
        #expect(commit(&h, member: "a-id0", epoch: h.group.members["a-id0"]!.memberEpoch) == .noError)
        let commits = h.log.filter { if case .offsetCommit = try? $0.decode() { true } else { false } }
        let groupRecords = h.log.filter { if case .consumerGroup = try? $0.decode() { true } else { false } }
        #expect(!commits.isEmpty && !groupRecords.isEmpty)
        var fresh = GroupCoordinator(config: h.coordinator.config, seed: 1)
        for r in commits + groupRecords { try fresh.replay(r) }
        #expect(fresh.groups["g"] == nil)
        #expect(fresh.consumerGroups["g"]?.durable == h.group.durable)
        #expect(fresh.offsets["g"] == h.coordinator.offsets["g"])
        let listed = fresh.listGroups(ListGroupsRequest(), version: 5).groups
        #expect(listed.map(\.groupID) == ["g"])
        #expect(listed.first?.groupType == "consumer")
    }

    @Test func aReloadedMemberExpiresOneSessionAfterLoading() throws {
        var h = ConsumerHarness()
        h.join("a")
        var reloaded = try h.reloaded()
        let actions = reloaded.finishLoading(now: 1_000)
        #expect(actions.contains(.scheduleTimeout(.consumerSession(groupID: "g", memberID: "a-id0"), deadline: 46_000)))
        #expect(reloaded.timeout(now: 45_999).isEmpty)
        #expect(!reloaded.timeout(now: 46_000).isEmpty)
        #expect(reloaded.consumerGroups["g"]?.members.isEmpty == true)
    }

    @Test func recordsUseKafkasKeyVersions() throws {
        let records: [CoordinatorRecord] = [
            .consumerGroupMetadata(group: "g", epoch: 1), .consumerGroupPartitionMetadata(group: "g", [:]),
            .consumerGroupMemberMetadata(group: "g", memberID: "m", ConsumerGroupMember(memberID: "m")),
            .consumerGroupTargetAssignmentMetadata(group: "g", epoch: 1),
            .consumerGroupTargetAssignmentMember(group: "g", memberID: "m", [:]),
            .consumerGroupCurrentMemberAssignment(group: "g", memberID: "m", ConsumerGroupMember(memberID: "m")),
        ]
        #expect(records.map { Int16($0.key[0]) << 8 | Int16($0.key[1]) } == [3, 4, 5, 6, 7, 8])
        #expect(records.allSatisfy { $0.value?.prefix(2) == [0, 0] })
        for r in records { guard case .consumerGroup = try r.decode() else { Issue.record("not a consumer group record"); continue } }
    }

    func commit(_ h: inout ConsumerHarness, member: String, epoch: Int32, version: Int16 = 9) -> ErrorCode {
        let outcome = h.coordinator.commitOffsets(
            OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: epoch, memberID: member,
                                topics: [.init(name: "t1", partitions: [.init(partitionIndex: 0, committedOffset: 10)])]),
            version: version, now: h.now)
        h.record(outcome.actions)
        return ErrorCode(rawValue: outcome.response.topics[0].partitions[0].errorCode)
    }

    @Test func offsetCommitsCheckMemberAndEpoch() {
        var h = ConsumerHarness()
        h.join("a")
        #expect(commit(&h, member: "a-id0", epoch: 1) == ErrorCode(rawValue: 0))
        #expect(commit(&h, member: "a-id0", epoch: 0) == .staleMemberEpoch)
        #expect(commit(&h, member: "zz", epoch: 1) == .unknownMemberID)
        #expect(commit(&h, member: "", epoch: -1) == .unknownMemberID) // admin commit while members exist
        #expect(commit(&h, member: "a-id0", epoch: 1, version: 8) == .unsupportedVersion)
        _ = h.leave("a")
        #expect(commit(&h, member: "", epoch: -1) == ErrorCode(rawValue: 0)) // admin commit to the empty group

        let fetch = { (h: ConsumerHarness, member: String?, epoch: Int32) in
            h.coordinator.fetchOffsets(.init(groupID: "g", memberID: member, memberEpoch: epoch, topics: nil))
        }
        #expect(fetch(h, nil, -1).topics.first?.partitions.first?.committedOffset == 10)
        h.join("b")
        let b = h.clients["b"]!.memberID
        #expect(ErrorCode(rawValue: fetch(h, b, 0).errorCode) == .staleMemberEpoch)
        #expect(ErrorCode(rawValue: fetch(h, "nobody", 2).errorCode) == .unknownMemberID)
        #expect(fetch(h, b, h.group.members[b]!.memberEpoch).errorCode == 0)
    }

    @Test func listDescribeDeleteAndOffsetDelete() throws {
        var h = ConsumerHarness(topics: ["t1": 6, "t2": 1])
        h.join("a")
        _ = commit(&h, member: "a-id0", epoch: 1)
        let consumers = h.coordinator.listGroups(.init(typesFilter: ["consumer"]), version: 5)
        #expect(consumers.groups.map(\.groupID) == ["g"])
        #expect(consumers.groups[0].groupState == "Stable" && consumers.groups[0].protocolType == "consumer")
        #expect(h.coordinator.listGroups(.init(typesFilter: ["classic"]), version: 5).groups.isEmpty)
        #expect(h.coordinator.listGroups(.init(statesFilter: ["stable"]), version: 5).groups.count == 1)
        // DescribeGroups (classic) sees no classic group here, as Kafka 3.9.
        #expect(h.coordinator.describeGroups(.init(groups: ["g"]), version: 5).groups[0] == .init(groupID: "g", groupState: "Dead"))
        // From v6 (KIP-1043) with Kafka 4.x's error and message.
        let v6 = h.coordinator.describeGroups(.init(groups: ["g"]), version: 6).groups[0]
        #expect(ErrorCode(rawValue: v6.errorCode) == .groupIDNotFound && v6.groupState == "Dead")
        #expect(v6.errorMessage == "Group g is not a classic group.")
        let described = h.coordinator.describeConsumerGroups(.init(groupIDs: ["g", "nope"]), topics: h.topics).groups
        #expect(described[0].members.map(\.memberID) == ["a-id0"])
        #expect(described[0].members[0].assignment.topicPartitions.first?.topicName == "t1")
        #expect(described[0].members[0].assignment.topicPartitions.first?.partitions == [0, 1, 2, 3, 4, 5])
        #expect(ErrorCode(rawValue: described[1].errorCode) == .groupIDNotFound)

        // Offsets of a subscribed topic cannot be deleted.
        let od = h.coordinator.deleteOffsets(.init(groupID: "g", topics: [.init(name: "t1", partitions: [.init(partitionIndex: 0)])]))
        #expect(ErrorCode(rawValue: od.response.topics[0].partitions[0].errorCode) == .groupSubscribedToTopic)

        let refused = h.coordinator.deleteGroups(.init(groupsNames: ["g"]))
        #expect(ErrorCode(rawValue: refused.response.results[0].errorCode) == .nonEmptyGroup)
        _ = h.leave("a")
        let deleted = h.coordinator.deleteGroups(.init(groupsNames: ["g"]))
        h.record(deleted.actions)
        #expect(deleted.response.results[0].errorCode == 0)
        #expect(h.coordinator.consumerGroups["g"] == nil && h.coordinator.offsets["g"] == nil)
        let reloaded = try h.reloaded()
        #expect(reloaded.consumerGroups["g"] == nil && reloaded.offsets["g"] == nil)
    }

    @Test func anEmptyGroupWithExpiredOffsetsIsDeleted() {
        var config = GroupCoordinatorConfig()
        config.offsetsRetentionMs = 1_000
        var h = ConsumerHarness(config: config)
        h.join("a")
        _ = commit(&h, member: "a-id0", epoch: 1)
        // Subscribed: kept however old.
        h.record(h.coordinator.expireOffsets(now: 10_000))
        #expect(h.coordinator.offsets["g"] != nil)
        _ = h.leave("a")
        h.record(h.coordinator.expireOffsets(now: 20_000))
        #expect(h.coordinator.offsets["g"] == nil)
        #expect(h.coordinator.consumerGroups["g"] == nil)
    }
}
