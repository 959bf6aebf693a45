@testable import KafkaGroups
import KafkaProtocol
import Testing

/// The server assignors: uniform (balance, stickiness) and range (per-topic ranges, co-partitioning).
@Suite struct ConsumerAssignorTests {
    let t1 = ConsumerHarness.topicID("t1"), t2 = ConsumerHarness.topicID("t2"), t3 = ConsumerHarness.topicID("t3")

    func counts(_ a: [String: PartitionAssignment]) -> [String: Int] { a.mapValues(\.partitionCount) }

    func checkComplete(_ a: [String: PartitionAssignment], _ input: AssignmentInput) {
        var seen: Set<String> = []
        for (member, assignment) in a {
            let subscribed = input.members.first { $0.memberID == member }!.subscribedTopicIDs
            for (topic, partitions) in assignment {
                #expect(subscribed.contains(topic), "\(member) got an unsubscribed topic")
                for p in partitions { #expect(seen.insert("\(topic)-\(p)").inserted, "\(topic)-\(p) twice") }
            }
        }
        let expected = input.partitionCounts.filter { topic, _ in input.members.contains { $0.subscribedTopicIDs.contains(topic) } }
        #expect(seen.count == expected.values.reduce(0) { $0 + Int($1) })
    }

    @Test func uniformBalancesIdenticalSubscriptions() {
        let input = AssignmentInput(members: ["a", "b", "c", "d"].map { .init(memberID: $0, subscribedTopicIDs: [t1, t2]) },
                                    partitionCounts: [t1: 7, t2: 3])
        let a = UniformAssignor().assign(input)
        checkComplete(a, input)
        let c = counts(a).values.sorted()
        #expect(c == [2, 2, 3, 3])
    }

    @Test func uniformIsStickyWhenAMemberJoins() {
        let first = AssignmentInput(members: ["a", "b"].map { .init(memberID: $0, subscribedTopicIDs: [t1]) }, partitionCounts: [t1: 12])
        let before = UniformAssignor().assign(first)
        let second = AssignmentInput(
            members: ["a", "b"].map { .init(memberID: $0, subscribedTopicIDs: [t1], previous: before[$0]!) } + [.init(memberID: "c", subscribedTopicIDs: [t1])],
            partitionCounts: [t1: 12])
        let after = UniformAssignor().assign(second)
        checkComplete(after, second)
        #expect(counts(after) == ["a": 4, "b": 4, "c": 4])
        // Only what c needed moved: a and b kept 4 of their previous 6 each.
        #expect(after["a"]![t1]!.isSubset(of: before["a"]![t1]!))
        #expect(after["b"]![t1]!.isSubset(of: before["b"]![t1]!))
    }

    @Test func uniformBalancesWithinWhatSubscriptionsAllow() {
        // a and b share t1; only c reads t2; b also reads t3.
        let input = AssignmentInput(members: [
            .init(memberID: "a", subscribedTopicIDs: [t1]),
            .init(memberID: "b", subscribedTopicIDs: [t1, t3]),
            .init(memberID: "c", subscribedTopicIDs: [t2]),
        ], partitionCounts: [t1: 6, t2: 2, t3: 2])
        let a = UniformAssignor().assign(input)
        checkComplete(a, input)
        #expect(counts(a) == ["a": 4, "b": 4, "c": 2])
    }

    @Test func uniformIsDeterministic() {
        let input = AssignmentInput(members: ["x", "y", "z"].map { .init(memberID: $0, subscribedTopicIDs: [t1, t2, t3]) },
                                    partitionCounts: [t1: 5, t2: 4, t3: 1])
        #expect(UniformAssignor().assign(input) == UniformAssignor().assign(input))
    }

    @Test func rangeGivesConsecutivePartitionsAndCoPartitions() {
        let input = AssignmentInput(members: ["a", "b", "c"].map { .init(memberID: $0, subscribedTopicIDs: [t1, t2]) },
                                    partitionCounts: [t1: 7, t2: 7])
        let a = RangeAssignor().assign(input)
        checkComplete(a, input)
        #expect(a["a"]![t1] == [0, 1, 2])
        #expect(a["b"]![t1] == [3, 4])
        #expect(a["c"]![t1] == [5, 6])
        for m in ["a", "b", "c"] { #expect(a[m]![t1] == a[m]![t2], "\(m) is co-partitioned") }
    }

    @Test func rangeSkipsMembersNotSubscribed() {
        let input = AssignmentInput(members: [
            .init(memberID: "a", subscribedTopicIDs: [t1]), .init(memberID: "b", subscribedTopicIDs: [t2]),
        ], partitionCounts: [t1: 2, t2: 2])
        let a = RangeAssignor().assign(input)
        checkComplete(a, input)
        #expect(a["a"] == [t1: [0, 1]])
        #expect(a["b"] == [t2: [0, 1]])
    }

    @Test func theGroupUsesTheAssignorItsMembersName() {
        var h = ConsumerHarness(topics: ["t1": 4, "t2": 4])
        h.join("a", topics: ["t1", "t2"], assignor: "range")
        h.join("b", topics: ["t1", "t2"], assignor: "range")
        h.settle()
        #expect(h.owned("a") == ["t1-0", "t1-1", "t2-0", "t2-1"] || h.owned("a") == ["t2-0", "t2-1", "t1-0", "t1-1"])
        let described = h.coordinator.describeConsumerGroups(.init(groupIDs: ["g"]), topics: h.topics)
        #expect(described.groups[0].assignorName == "range")
        var u = ConsumerHarness()
        u.join("a")
        #expect(u.coordinator.describeConsumerGroups(.init(groupIDs: ["g"]), topics: u.topics).groups[0].assignorName == "uniform")
    }
}
