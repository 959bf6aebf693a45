@testable import KafkaGroups
import KafkaProtocol
import Testing

/// Join, reconcile, revoke and leave flows of consumer (KIP-848) groups with 1-3 members.
@Suite struct ConsumerMembershipTests {
    @Test func aFirstMemberGetsEveryPartitionInOneHeartbeat() {
        var h = ConsumerHarness()
        let r = h.join("a")
        #expect(r.errorCode == 0)
        #expect(r.memberEpoch == 1)
        #expect(r.heartbeatIntervalMs == 5_000)
        #expect(h.owned("a") == (0..<6).map { "t1-\($0)" })
        #expect(h.group.state == .stable)
        #expect(h.group.groupEpoch == 1 && h.group.assignmentEpoch == 1)
    }

    @Test func aSecondMemberWaitsUntilTheFirstRevokes() {
        var h = ConsumerHarness()
        h.join("a")
        let joined = h.join("b")
        // b is at the new epoch but every partition of its target is still a's.
        #expect(joined.memberEpoch == 2)
        #expect(h.owned("b").isEmpty)
        #expect(h.group.members["b-id1"]!.state == .unreleasedPartitions)
        #expect(h.group.state == .reconciling)

        // a is asked to revoke half, staying in epoch 1 until it has.
        let revoke = h.heartbeat("a")
        #expect(revoke.memberEpoch == 1)
        #expect(h.owned("a").count == 3)
        #expect(h.group.members["a-id0"]!.state == .unrevokedPartitions)

        // Its next heartbeat reports the smaller set: it moves to epoch 2.
        #expect(h.heartbeat("a").memberEpoch == 2)
        #expect(h.group.members["a-id0"]!.state == .stable)

        // Now the partitions are free for b.
        let assigned = h.heartbeat("b")
        #expect(assigned.memberEpoch == 2)
        #expect(h.owned("b").count == 3)
        #expect(Set(h.owned("a")).isDisjoint(with: h.owned("b")))
        #expect(h.group.state == .stable)
    }

    @Test func threeMembersSettleTwoPartitionsEach() {
        var h = ConsumerHarness()
        h.join("a")
        h.join("b")
        h.join("c")
        h.settle()
        #expect(h.group.state == .stable)
        #expect(["a", "b", "c"].map { h.owned($0).count } == [2, 2, 2])
        #expect(Set(["a", "b", "c"].flatMap { h.owned($0) }).count == 6)
        #expect(h.group.members.values.allSatisfy { $0.memberEpoch == h.group.groupEpoch })
    }

    @Test func aLeavingMembersPartitionsGoToTheOthers() {
        var h = ConsumerHarness()
        h.join("a")
        h.join("b")
        h.join("c")
        h.settle()
        let epoch = h.group.groupEpoch
        let left = h.leave("b")
        #expect(left.errorCode == 0 && left.memberEpoch == -1)
        #expect(h.group.groupEpoch == epoch + 1)
        #expect(h.group.members["b-id1"] == nil)
        h.settle()
        #expect(h.owned("a").count + h.owned("c").count == 6)
        #expect(h.owned("a").count == 3)
    }

    @Test func anExpiredSessionFencesTheMember() {
        var h = ConsumerHarness()
        h.join("a")
        h.join("b")
        h.settle()
        // b's process dies; a keeps heartbeating.
        h.clients["b"] = nil
        for t in stride(from: Int64(5_000), through: 50_000, by: 5_000) {
            h.advance(to: t)
            h.heartbeat("a")
        }
        #expect(h.group.members.count == 1)
        h.settle()
        #expect(h.owned("a").count == 6)
        #expect(h.log.contains(.consumerGroupMemberMetadata(group: "g", memberID: "b-id1", nil)))
    }

    @Test func aMemberThatDoesNotRevokeIsFencedAfterItsRebalanceTimeout() {
        var h = ConsumerHarness()
        h.join("a", rebalanceTimeoutMs: 10_000)
        h.join("b")
        h.heartbeat("a") // told to revoke
        #expect(h.group.members["a-id0"]!.state == .unrevokedPartitions)
        // a keeps heartbeating with everything it had (it never revokes).
        var stubborn = h.clients["a"]!
        stubborn.owned = [ConsumerHarness.topicID("t1"): Set(0..<6)]
        h.clients["a"] = stubborn
        h.clients["b"] = nil // b is not simulated here; only a's fate matters
        h.advance(to: 5_000)
        let r = h.send(.init(groupID: "g", memberID: "a-id0", memberEpoch: 1, topicPartitions: [.init(topicID: ConsumerHarness.topicID("t1"), partitions: Array(0..<6))]))
        #expect(r.errorCode == 0)
        h.clients["a"] = nil
        h.advance(to: 9_999)
        #expect(h.group.members["a-id0"] != nil)
        h.advance(to: 10_000)
        #expect(h.group.members["a-id0"] == nil)
        #expect(h.group.members["b-id1"] != nil)
    }

    @Test func newPartitionsOfASubscribedTopicAreAssignedAtTheNextHeartbeat() {
        var h = ConsumerHarness(topics: ["t1": 2])
        h.join("a")
        h.join("b")
        h.settle()
        #expect(h.owned("a").count + h.owned("b").count == 2)
        let epoch = h.group.groupEpoch
        h.setTopics(["t1": 4])
        h.settle()
        #expect(h.group.groupEpoch == epoch + 1)
        #expect(h.group.subscriptionMetadata["t1"]?.partitionCount == 4)
        #expect(h.owned("a").count == 2 && h.owned("b").count == 2)
    }

    @Test func aDeletedTopicIsRevoked() {
        var h = ConsumerHarness(topics: ["t1": 2, "t2": 2])
        h.join("a", topics: ["t1", "t2"])
        #expect(h.owned("a").count == 4)
        h.setTopics(["t1": 2])
        h.settle()
        #expect(h.owned("a") == ["t1-0", "t1-1"])
        #expect(h.group.subscriptionMetadata.keys.sorted() == ["t1"])
    }

    @Test func aRegularExpressionSubscribesToEveryMatchingTopic() {
        var h = ConsumerHarness(topics: ["orders-1": 1, "orders-2": 1, "payments": 1, "__consumer_offsets": 1])
        let r = h.join("a", topics: [], regex: "orders-.*")
        #expect(r.errorCode == 0)
        #expect(h.owned("a") == ["orders-1-0", "orders-2-0"])
        h.setTopics(["orders-1": 1, "orders-2": 1, "orders-3": 1, "payments": 1])
        h.settle()
        #expect(h.owned("a") == ["orders-1-0", "orders-2-0", "orders-3-0"])
    }

    /// The group's topics are the union of every member's names and patterns: two members sharing a
    /// pattern, one with another pattern and one by name (matched once per pattern, not per member).
    @Test func theGroupSubscribesToTheUnionOfItsMembersPatternsAndNames() {
        var h = ConsumerHarness(topics: ["orders-1": 1, "orders-2": 1, "payments-1": 1, "audit": 1, "other": 1])
        h.join("a", topics: [], regex: "orders-.*")
        h.join("b", topics: [], regex: "orders-.*")
        h.join("c", topics: [], regex: "pay.*")
        h.join("d", topics: ["audit"])
        h.settle()
        #expect(h.group.subscriptionMetadata.keys.sorted() == ["audit", "orders-1", "orders-2", "payments-1"])
        #expect(Set(h.owned("a") + h.owned("b")) == ["orders-1-0", "orders-2-0"])
        #expect(h.owned("c") == ["payments-1-0"] && h.owned("d") == ["audit-0"])
    }

    /// A pattern a backtracking engine needs years for on these names (`(a+)+b` against 40 a's) is
    /// matched in linear time: the member gets its answer, subscribed to the one topic it matches.
    @Test func aCatastrophicPatternDoesNotStallTheCoordinator() {
        let long = String(repeating: "a", count: 40)
        var h = ConsumerHarness(topics: [long + "!": 1, long + "b": 1])
        let r = h.join("a", topics: [], regex: "(a+)+b")
        #expect(r.errorCode == 0)
        #expect(h.owned("a") == [long + "b-0"])
    }

    @Test func aLostResponseIsForgivenWithThePreviousEpoch() {
        var h = ConsumerHarness()
        h.join("a")
        h.join("b")
        h.heartbeat("a")
        // a revokes, but loses the response that moved it to epoch 2.
        var a = h.clients["a"]!
        let r = h.send(.init(groupID: "g", memberID: a.memberID, memberEpoch: 1, topicPartitions: [.init(topicID: ConsumerHarness.topicID("t1"), partitions: a.owned.values.first!.sorted())]))
        #expect(r.memberEpoch == 2)
        // Retrying with epoch 1 and a subset of its assignment is accepted.
        let retry = h.send(.init(groupID: "g", memberID: a.memberID, memberEpoch: 1, topicPartitions: [.init(topicID: ConsumerHarness.topicID("t1"), partitions: a.owned.values.first!.sorted())]))
        #expect(retry.errorCode == 0 && retry.memberEpoch == 2)
        a.epoch = 2
        h.clients["a"] = a
    }
}
