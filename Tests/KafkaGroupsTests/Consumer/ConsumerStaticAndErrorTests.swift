@testable import KafkaGroups
import KafkaProtocol
import Testing

/// Static membership (instance ids, epoch -2) and the errors ConsumerGroupHeartbeat returns as Kafka does.
@Suite struct ConsumerStaticAndErrorTests {
    @Test func aStaticMemberRejoinsWithItsPartitionsAndNoRebalance() {
        var h = ConsumerHarness()
        h.join("a", instance: "i-a")
        h.join("b", instance: "i-b")
        h.settle()
        let before = h.owned("a")
        let epoch = h.group.groupEpoch
        let left = h.leave("a", epoch: -2)
        #expect(left.errorCode == 0 && left.memberEpoch == -2)
        // Its partitions stay its own while it is away.
        #expect(h.group.members["a-id0"]!.memberEpoch == -2)
        let back = h.join("a2", instance: "i-a")
        #expect(back.errorCode == 0)
        #expect(h.owned("a2") == before)
        #expect(h.group.groupEpoch == epoch)
        #expect(h.group.members["a-id0"] == nil)
        #expect(h.group.staticMembers["i-a"] == "a2-id1")
    }

    @Test func anInstanceIDInUseIsRefused() {
        var h = ConsumerHarness()
        h.join("a", instance: "i-a")
        let r = h.join("a2", instance: "i-a")
        #expect(ErrorCode(rawValue: r.errorCode) == .unreleasedInstanceID)
    }

    @Test func aStaticMemberThatLeftExpiresAfterItsSession() {
        var h = ConsumerHarness()
        h.join("a", instance: "i-a")
        h.join("b")
        h.settle()
        _ = h.leave("a", epoch: -2)
        for t in stride(from: Int64(5_000), through: 50_000, by: 5_000) {
            h.advance(to: t)
            h.heartbeat("b")
        }
        #expect(h.group.members["a-id0"] == nil)
        h.settle()
        #expect(h.owned("b").count == 6)
    }

    @Test func epochsAheadOrStaleAreFenced() {
        var h = ConsumerHarness()
        h.join("a")
        let ahead = h.send(.init(groupID: "g", memberID: "a-id0", memberEpoch: 5, topicPartitions: []))
        #expect(ErrorCode(rawValue: ahead.errorCode) == .fencedMemberEpoch)
        h.join("b")
        h.settle()
        // a is at epoch 2 now; epoch 0... a stale epoch that is not the previous one is fenced.
        let stale = h.send(.init(groupID: "g", memberID: "b-id1", memberEpoch: 1, topicPartitions: []))
        #expect(ErrorCode(rawValue: stale.errorCode) == .fencedMemberEpoch)
    }

    @Test func unknownMembersAndGroups() {
        var h = ConsumerHarness()
        let noGroup = h.send(.init(groupID: "g", memberID: "x", memberEpoch: 3))
        #expect(ErrorCode(rawValue: noGroup.errorCode) == .groupIDNotFound)
        h.join("a")
        let noMember = h.send(.init(groupID: "g", memberID: "x", memberEpoch: 3))
        #expect(ErrorCode(rawValue: noMember.errorCode) == .unknownMemberID)
        let leave = h.send(.init(groupID: "g", memberID: "x", memberEpoch: -1))
        #expect(ErrorCode(rawValue: leave.errorCode) == .unknownMemberID)
    }

    @Test func invalidRequests() {
        var h = ConsumerHarness()
        func code(_ r: ConsumerGroupHeartbeatRequest, regex: String? = nil, version: Int16 = 1) -> ErrorCode {
            var r = r
            r.subscribedTopicRegex = regex
            return ErrorCode(rawValue: h.send(r, version: version).errorCode)
        }
        #expect(code(.init(groupID: "", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t1"], topicPartitions: [])) == .invalidRequest)
        #expect(code(.init(groupID: "g", memberID: "", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t1"], topicPartitions: [])) == .invalidRequest)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: 0, subscribedTopicNames: ["t1"], topicPartitions: [])) == .invalidRequest)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 1, topicPartitions: [])) == .invalidRequest)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: -3)) == .invalidRequest)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: -2)) == .invalidRequest)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t1"], serverAssignor: "sticky", topicPartitions: [])) == .unsupportedAssignor)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 1, topicPartitions: []), regex: "orders-(") == .invalidRegularExpression)
        // RE2/J's syntax, as Kafka: no backreferences, no lookaround.
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 1, topicPartitions: []), regex: "(o)\\1") == .invalidRegularExpression)
        #expect(code(.init(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 1, topicPartitions: []), regex: "(?!x).*") == .invalidRegularExpression)
        #expect(h.coordinator.consumerGroups.isEmpty)
    }

    @Test func versionZeroMintsTheMemberID() {
        var h = ConsumerHarness()
        let r = h.send(.init(groupID: "g", memberID: "", memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: ["t1"], topicPartitions: []), version: 0)
        #expect(r.errorCode == 0)
        #expect(r.memberID?.count == 22)
        #expect(h.group.members[r.memberID!] != nil)
    }

    @Test func theGroupSizeIsCapped() {
        var config = GroupCoordinatorConfig()
        config.consumerMaxGroupSize = 2
        var h = ConsumerHarness(config: config)
        h.join("a")
        h.join("b")
        #expect(ErrorCode(rawValue: h.join("c").errorCode) == .groupMaxSizeReached)
    }

    @Test func classicAndConsumerGroupsShareTheNamespace() {
        var h = ConsumerHarness()
        // A non-empty classic group refuses consumer-protocol members.
        let join = h.coordinator.join(
            JoinGroupRequest(groupID: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberID: "", protocolType: "consumer",
                             protocols: [.init(name: "range", metadata: [0, 0, 0, 0, 0, 0])]),
            context: .init(apiVersion: 3, clientID: "classic"), now: 0)
        h.record(join.actions)
        #expect(h.coordinator.groups["g"]?.memberCount == 1)
        #expect(ErrorCode(rawValue: h.join("a").errorCode) == .groupIDNotFound)

        // A non-empty consumer group refuses classic members.
        var k = ConsumerHarness()
        k.join("a")
        let refused = k.coordinator.join(
            JoinGroupRequest(groupID: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberID: "", protocolType: "consumer",
                             protocols: [.init(name: "range", metadata: [])]),
            context: .init(apiVersion: 5, clientID: "classic"), now: 0)
        guard case .immediate(let response) = refused.response else { Issue.record("parked"); return }
        #expect(ErrorCode(rawValue: response.errorCode) == .inconsistentGroupProtocol)
    }

    @Test func anEmptyClassicGroupBecomesAConsumerGroup() throws {
        var h = ConsumerHarness()
        // A simple (offsets-only) classic group.
        let commit = h.coordinator.commitOffsets(
            OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", topics: [.init(name: "t1", partitions: [.init(partitionIndex: 0, committedOffset: 42)])]),
            version: 8, now: 0)
        h.record(commit.actions)
        #expect(h.coordinator.groups["g"] != nil)
        #expect(h.join("a").errorCode == 0)
        #expect(h.coordinator.groups["g"] == nil)
        #expect(h.coordinator.offsets["g"]?.offset(topic: "t1", partition: 0)?.offset == 42)
        let reloaded = try h.reloaded()
        #expect(reloaded.groups["g"] == nil)
        #expect(reloaded.consumerGroups["g"]?.durable == h.group.durable)
    }
}
