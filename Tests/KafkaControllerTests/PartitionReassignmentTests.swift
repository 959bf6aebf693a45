import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// Partition reassignment (KIP-455) as Kafka's controller decides it: AlterPartitionReassignments adds the
/// target replicas, AlterPartition completes the move once they are in the ISR, cancellation reverts, and
/// ListPartitionReassignments reports what is in progress.
@Suite struct PartitionReassignmentTests {
    typealias Partition = AlterPartitionReassignmentsRequest.ReassignableTopic.ReassignablePartition

    private func alter(_ partitions: [Partition], topic: String = "t", image: MetadataImage,
                       unclean: UncleanLeaderElection = ClusterFixture.clean) -> ControllerResult<AlterPartitionReassignmentsResponse> {
        AlterPartitionReassignments.alter(AlterPartitionReassignmentsRequest(topics: [.init(name: topic, partitions: partitions)]),
                                          image: image, unclean: unclean)
    }

    private func move(_ index: Int32 = 0, to replicas: [Int32]?) -> Partition {
        Partition(partitionIndex: index, replicas: replicas)
    }

    private func codes(_ result: ControllerResult<AlterPartitionReassignmentsResponse>) -> [Int16] {
        result.response.responses.flatMap { $0.partitions.map(\.errorCode) }
    }

    /// AlterPartition from the partition's leader setting the ISR to `isr` (v3, broker epochs 100 × id).
    private func alterISR(_ isr: [Int32], cluster: ClusterFixture, topic: String = "t", version: Int16 = 3)
        -> ControllerResult<AlterPartitionResponse> {
        let p = cluster.partition(topic, 0)
        var data = AlterPartitionRequest.TopicData.PartitionData(partitionIndex: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch)
        if version >= 3 {
            data.newIsrWithEpochs = isr.map { .init(brokerID: $0, brokerEpoch: Int64($0) * 100) }
        } else {
            data.newIsr = isr
        }
        let id = ClusterFixture.topicID(topic)
        let request = AlterPartitionRequest(brokerID: p.leader, brokerEpoch: Int64(p.leader) * 100, topics: [
            .init(topicName: version < 2 ? topic : "", topicID: version >= 2 ? id : .zero, partitions: [data]),
        ])
        return AlterPartition.alter(request, version: version, image: cluster.image, unclean: ClusterFixture.clean)
    }

    private func listed(_ image: MetadataImage, _ topics: [ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics]? = nil)
        -> [String: [Int32: (replicas: [Int32], adding: [Int32], removing: [Int32])]] {
        var out: [String: [Int32: (replicas: [Int32], adding: [Int32], removing: [Int32])]] = [:]
        for t in ListPartitionReassignments.list(ListPartitionReassignmentsRequest(topics: topics), image: image).topics {
            for p in t.partitions { out[t.name, default: [:]][p.partitionIndex] = (p.replicas, p.addingReplicas, p.removingReplicas) }
        }
        return out
    }

    @Test func raisingTheReplicationFactorAddsReplicasAndCompletesWhenAllJoinTheISR() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1], [1], 1)])
        let started = alter([move(to: [1, 2, 3])], image: cluster.image)
        #expect(codes(started) == [0] && started.response.errorCode == 0)
        #expect(started.response.responses.first?.partitions.first?.errorMessage == nil)
        let change = try #require(ClusterFixture.changes(started.records).first)
        #expect(change.replicas == [1, 2, 3] && change.addingReplicas == [2, 3] && change.removingReplicas == nil)
        #expect(change.leader == -2 && change.isr == nil, "nothing leaves: same leader epoch, same ISR")
        try cluster.apply(started.records)
        var p = cluster.partition("t", 0)
        #expect(p.replicas == [1, 2, 3] && p.addingReplicas == [2, 3] && p.isr == [1] && p.leaderEpoch == 0 && p.partitionEpoch == 1)
        #expect(listed(cluster.image)["t"]?[0]?.adding == [2, 3])

        // One added replica in sync: the move goes on.
        let half = alterISR([1, 2], cluster: cluster)
        #expect(half.response.topics.first?.partitions.first?.errorCode == 0)
        #expect(ClusterFixture.changes(half.records).first?.addingReplicas == nil)
        try cluster.apply(half.records)
        #expect(cluster.partition("t", 0).addingReplicas == [2, 3] && cluster.partition("t", 0).isr == [1, 2])

        // Both: the ISR expansion completes the reassignment.
        let full = alterISR([1, 2, 3], cluster: cluster)
        let answer = try #require(full.response.topics.first?.partitions.first)
        #expect(answer.errorCode == 0 && answer.isr == [1, 2, 3] && answer.leaderID == 1 && answer.leaderEpoch == 0)
        let completion = try #require(ClusterFixture.changes(full.records).first)
        #expect(completion.addingReplicas == [] && completion.replicas == nil && completion.isr == [1, 2, 3])
        try cluster.apply(full.records)
        p = cluster.partition("t", 0)
        #expect(p.replicas == [1, 2, 3] && p.isr == [1, 2, 3] && p.addingReplicas.isEmpty && p.removingReplicas.isEmpty)
        #expect(listed(cluster.image).isEmpty)
    }

    @Test func movingOffTheLeaderElectsATargetReplicaWhenTheMoveCompletes() throws {
        for version: Int16 in [1, 2, 3] {
            var cluster = try ClusterFixture(brokers: [1, 2, 3])
            try cluster.addTopic("t", [([1], [1], 1)])
            let started = alter([move(to: [3, 2])], image: cluster.image)
            try cluster.apply(started.records)
            var p = cluster.partition("t", 0)
            #expect(p.replicas == [3, 2, 1] && p.addingReplicas == [2, 3] && p.removingReplicas == [1] && p.leader == 1)

            let done = alterISR([1, 2, 3], cluster: cluster, version: version)
            let expected: ErrorCode = version >= 2 ? .newLeaderElected : .fencedLeaderEpoch
            #expect(done.response.topics.first?.partitions.first?.errorCode == expected.rawValue, "v\(version)")
            #expect(done.records.count == 1, "the change is made although the leader is told to refresh")
            try cluster.apply(done.records)
            p = cluster.partition("t", 0)
            #expect(p.replicas == [3, 2] && p.isr == [2, 3] && p.leader == 3 && p.leaderEpoch == 1)
            #expect(p.addingReplicas.isEmpty && p.removingReplicas.isEmpty)
        }
    }

    @Test func reorderingOrRemovingInSyncReplicasCompletesAtOnce() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1, 2, 3], [1, 2, 3], 1), ([1, 2, 3], [1, 2, 3], 2)])
        let result = alter([move(0, to: [3, 2, 1]), move(1, to: [2, 3])], image: cluster.image)
        #expect(codes(result) == [0, 0])
        let changes = ClusterFixture.changes(result.records)
        #expect(changes.count == 2)
        // A reorder: the new order, the same leader (an online election keeps a valid one) and leader epoch.
        #expect(changes[0].replicas == [3, 2, 1] && changes[0].leader == -2 && changes[0].addingReplicas == nil)
        // Dropping an ISR member: done at once, and the leader epoch rises although broker 2 stays leader.
        #expect(changes[1].replicas == [2, 3] && changes[1].isr == [2, 3] && changes[1].leader == 2)
        #expect(changes[1].addingReplicas == nil && changes[1].removingReplicas == nil, "never recorded as in progress")
        try cluster.apply(result.records)
        #expect(cluster.partition("t", 0).leader == 1 && cluster.partition("t", 0).leaderEpoch == 0)
        #expect(cluster.partition("t", 1).leader == 2 && cluster.partition("t", 1).leaderEpoch == 1)
        #expect(listed(cluster.image).isEmpty)
        // The same target again changes nothing.
        let again = alter([move(0, to: [3, 2, 1])], image: cluster.image)
        #expect(codes(again) == [0] && again.records.isEmpty)
    }

    @Test func removingTheLeaderAtOnceElectsFromTheTarget() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1, 2, 3], [1, 2, 3], 1)])
        let result = alter([move(to: [2, 3])], image: cluster.image)
        try cluster.apply(result.records)
        let p = cluster.partition("t", 0)
        #expect(p.replicas == [2, 3] && p.isr == [2, 3] && p.leader == 2 && p.leaderEpoch == 1)
    }

    @Test func cancellingRevertsToTheOriginalReplicas() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1], [1], 1)])
        try cluster.apply(alter([move(to: [2, 3])], image: cluster.image).records)
        try cluster.apply(alterISR([1, 2], cluster: cluster).records)
        #expect(cluster.partition("t", 0).isr == [1, 2] && cluster.partition("t", 0).addingReplicas == [2, 3])

        let cancel = alter([move(to: nil)], image: cluster.image)
        #expect(codes(cancel) == [0])
        let change = try #require(ClusterFixture.changes(cancel.records).first)
        #expect(change.replicas == [1] && change.isr == [1] && change.addingReplicas == [] && change.removingReplicas == [])
        #expect(change.leader == 1, "replicas leave: the leader epoch rises under the same leader")
        try cluster.apply(cancel.records)
        let p = cluster.partition("t", 0)
        #expect(p.replicas == [1] && p.isr == [1] && p.leader == 1 && p.leaderEpoch == 1)
        #expect(listed(cluster.image).isEmpty)
        // Nothing left to cancel.
        let again = alter([move(to: nil)], image: cluster.image)
        #expect(codes(again) == [ErrorCode.noReassignmentInProgress.rawValue] && again.records.isEmpty)
        #expect(again.response.responses.first?.partitions.first?.errorMessage == nil, "Kafka's own message says it")
    }

    @Test func aCancelThatNeedsAnUncleanElectionNeedsItEnabled() throws {
        // Only the added replica (2) is in sync and leads: reverting to [1] elects a replica outside the ISR.
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([1], [1], 1)])
        try cluster.apply(alter([move(to: [2])], image: cluster.image).records)
        var shrink = PartitionChangeRecord(partitionID: 0, topicID: ClusterFixture.topicID("t"), isr: [2])
        shrink.leader = 2
        try cluster.apply([MetadataRecordAndVersion(shrink, version: 0)])
        let p = cluster.partition("t", 0)
        #expect(p.replicas == [2, 1] && p.isr == [2] && p.leader == 2 && p.addingReplicas == [2] && p.removingReplicas == [1])

        let refused = alter([move(to: nil)], image: cluster.image)
        #expect(codes(refused) == [ErrorCode.invalidReplicaAssignment.rawValue] && refused.records.isEmpty)
        #expect(refused.response.responses.first?.partitions.first?.errorMessage
            == "Unable to revert partition assignment for t:0 because it would require an unclean leader election.")

        let allowed = alter([move(to: nil)], image: cluster.image, unclean: UncleanLeaderElection(brokerDefault: true))
        #expect(codes(allowed) == [0])
        try cluster.apply(allowed.records)
        let reverted = cluster.partition("t", 0)
        #expect(reverted.replicas == [1] && reverted.isr == [1] && reverted.leader == 1)
        #expect(reverted.addingReplicas.isEmpty && reverted.removingReplicas.isEmpty)
    }

    @Test func aNewTargetDuringAMoveIsMeasuredAgainstTheWholeReplicaSet() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1], [1], 1)])
        try cluster.apply(alter([move(to: [1, 2])], image: cluster.image).records)
        let result = alter([move(to: [3])], image: cluster.image)
        try cluster.apply(result.records)
        let p = cluster.partition("t", 0)
        #expect(p.replicas == [3, 1, 2] && p.addingReplicas == [3] && p.removingReplicas == [1, 2] && p.leader == 1)
        #expect(listed(cluster.image)["t"]?[0]?.replicas == [3, 1, 2])
    }

    @Test func refusalsCarryKafkasErrors() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1], [1], 1)])
        let result = alter([move(7, to: [1]), move(0, to: []), move(0, to: [1, 4]), move(0, to: [2, 2]), move(0, to: [1, 2])],
                           image: cluster.image)
        #expect(codes(result) == [ErrorCode.unknownTopicOrPartition.rawValue] + Array(repeating: ErrorCode.invalidReplicaAssignment.rawValue, count: 3) + [0])
        let messages = result.response.responses[0].partitions.map(\.errorMessage)
        #expect(messages[0] == "Unable to find partition t:7.")
        #expect(messages[1] == "The manual partition assignment includes an empty replica list.")
        #expect(messages[2] == "The manual partition assignment includes broker 4, but no such broker is registered.")
        #expect(messages[3] == "The manual partition assignment includes the broker 2 more than once.")
        #expect(result.records.count == 1, "the valid partition goes ahead")
        let unknown = alter([move(to: [1])], topic: "nope", image: cluster.image)
        #expect(codes(unknown) == [ErrorCode.unknownTopicOrPartition.rawValue])
        #expect(unknown.response.responses[0].partitions[0].errorMessage == "Unable to find a topic named nope.")
        let empty = AlterPartitionReassignments.alter(AlterPartitionReassignmentsRequest(topics: []), image: cluster.image, unclean: ClusterFixture.clean)
        #expect(empty.records.isEmpty && empty.response.responses.isEmpty && empty.response.errorCode == 0)
    }

    @Test func aPartitionNamedTwiceSeesTheFirstChange() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1], [1], 1)])
        let result = alter([move(to: [1, 2]), move(to: nil)], image: cluster.image)
        #expect(codes(result) == [0, 0] && result.records.count == 2)
        try cluster.apply(result.records)
        #expect(cluster.partition("t", 0).replicas == [1] && cluster.partition("t", 0).addingReplicas.isEmpty)
    }

    @Test func listingFiltersByTopicAndPartition() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("a", [([1], [1], 1), ([2], [2], 2), ([3], [3], 3)])
        try cluster.addTopic("b", [([1], [1], 1)])
        try cluster.apply(alter([move(0, to: [1, 2]), move(2, to: [1])], topic: "a", image: cluster.image).records)
        try cluster.apply(alter([move(0, to: [2])], topic: "b", image: cluster.image).records)

        let all = listed(cluster.image)
        #expect(all.keys.sorted() == ["a", "b"] && all["a"]!.keys.sorted() == [0, 2])
        #expect(all["a"]![2]!.replicas == [1, 3] && all["a"]![2]!.adding == [1] && all["a"]![2]!.removing == [3])
        #expect(all["b"]![0]!.replicas == [2, 1] && all["b"]![0]!.removing == [1])
        let response = ListPartitionReassignments.list(ListPartitionReassignmentsRequest(), image: cluster.image)
        #expect(response.errorCode == 0 && response.errorMessage == nil && response.topics.map(\.name) == ["a", "b"])

        // Named: unknown topics and partitions, and those not moving, are left out without an error.
        let named = listed(cluster.image, [.init(name: "a", partitionIndexes: [1, 2, 9]), .init(name: "nope", partitionIndexes: [0])])
        #expect(named.keys.sorted() == ["a"] && named["a"]!.keys.sorted() == [2])
        #expect(listed(cluster.image, [.init(name: "a", partitionIndexes: [1])]).isEmpty)
        #expect(ListPartitionReassignments.list(ListPartitionReassignmentsRequest(topics: []), image: cluster.image).topics.isEmpty)
    }

    @Test func replicaSetsFollowKafkasArithmetic() {
        let r = ReassignmentReplicas(current: [4, 1, 2], target: [3, 1, 5])
        #expect(r.removing == [2, 4] && r.adding == [3, 5] && r.replicas == [3, 1, 5, 2, 4])
        #expect(r.originalReplicas == [1, 2, 4])
        #expect(r.completed(isr: [1, 2, 4, 3]) == nil, "5 is not in sync yet")
        let done = r.completed(isr: [4, 5, 1, 3])
        #expect(done?.replicas == [3, 1, 5] && done?.isr == [5, 1, 3])
        #expect(r.completed(isr: [2, 4]) == nil, "nothing that stays is in sync")
        #expect(ReassignmentReplicas(current: [1, 2], target: [2, 1]).isInProgress == false)
        #expect(ReassignmentReplicas(current: [1, 2], target: [2, 1]).completed(isr: [1, 2]) == nil)
    }

    /// v1's AllowReplicationFactorChange false (KIP-860): a target of another size than the replica set
    /// (or, during a move, than the set it moves to) is INVALID_REPLICATION_FACTOR with Kafka's message;
    /// one of the same size moves, and a cancellation is not concerned. The answer repeats the flag.
    @Test func aRequestMayForbidChangingTheReplicationFactor() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3, 4])
        try cluster.addTopic("t", [([1, 2], [1, 2], 1), ([1, 2], [1, 2], 1)])
        func strict(_ partitions: [Partition]) -> ControllerResult<AlterPartitionReassignmentsResponse> {
            AlterPartitionReassignments.alter(AlterPartitionReassignmentsRequest(allowReplicationFactorChange: false,
                                                                                 topics: [.init(name: "t", partitions: partitions)]),
                                              image: cluster.image, unclean: ClusterFixture.clean)
        }
        let refused = strict([move(0, to: [1, 2, 3]), move(1, to: [3])])
        #expect(codes(refused) == [ErrorCode.invalidReplicationFactor.rawValue, ErrorCode.invalidReplicationFactor.rawValue])
        #expect(refused.response.responses.first?.partitions.map(\.errorMessage)
                == ["The replication factor is changed from 2 to 3", "The replication factor is changed from 2 to 1"])
        #expect(refused.records.isEmpty && refused.response.errorCode == 0 && !refused.response.allowReplicationFactorChange)
        // The default (and v0) allows it.
        #expect(codes(alter([move(0, to: [1, 2, 3])], image: cluster.image)) == [0])

        // Same size: the move starts; meanwhile the size that counts is the target's (2), not the 3 replicas held.
        let started = strict([move(0, to: [3, 4])])
        #expect(codes(started) == [0])
        try cluster.apply(started.records)
        #expect(cluster.partition("t", 0).replicas.count == 4)
        #expect(codes(strict([move(0, to: [1, 3])])) == [0])
        #expect(strict([move(0, to: [1, 3, 4])]).response.responses.first?.partitions.first?.errorMessage
                == "The replication factor is changed from 2 to 3")
        #expect(codes(strict([move(0, to: nil)])) == [0])
    }
}
