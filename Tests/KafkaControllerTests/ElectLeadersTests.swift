import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// ElectLeaders and the automatic preferred leader rebalance.
@Suite struct ElectLeadersTests {
    private func results(_ r: ControllerResult<ElectLeadersResponse>) -> [String: [Int32: Int16]] {
        Dictionary(uniqueKeysWithValues: r.response.replicaElectionResults.map { t in
            (t.topic, Dictionary(uniqueKeysWithValues: t.partitionResult.map { ($0.partitionID, $0.errorCode) }))
        })
    }

    @Test func preferredElectionsAnswerPerPartition() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3], fenced: [3])
        try cluster.addTopic("t", [([1, 2], [1, 2], 2), ([1, 2], [1, 2], 1), ([3, 2], [3, 2], 2), ([1, 2], [2], 2)])
        let request = ElectLeadersRequest(electionType: 0, topicPartitions: [.init(topic: "t", partitions: [0, 1, 2, 3, 9]),
                                                                                 .init(topic: "none", partitions: [0])])
        let result = ElectLeaders.elect(request, version: 1, image: cluster.image)
        #expect(results(result) == [
            "t": [0: 0, 1: ErrorCode.electionNotNeeded.rawValue, 2: ErrorCode.preferredLeaderNotAvailable.rawValue,
                  3: ErrorCode.preferredLeaderNotAvailable.rawValue, 9: ErrorCode.unknownTopicOrPartition.rawValue],
            "none": [0: ErrorCode.unknownTopicOrPartition.rawValue],
        ])
        #expect(result.response.replicaElectionResults[0].partitionResult[0].errorMessage == nil)
        try cluster.apply(result.records)
        #expect(cluster.partition("t", 0).leader == 1 && cluster.partition("t", 0).leaderEpoch == 1)
    }

    @Test func aNullListElectsEverywhereAndLeavesOutWhatNeedsNoElection() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("a", [([1, 2], [1, 2], 2), ([1, 2], [1, 2], 1)])
        try cluster.addTopic("b", [([2, 1], [2, 1], 2)])
        let result = ElectLeaders.elect(ElectLeadersRequest(electionType: 0, topicPartitions: nil), version: 2, image: cluster.image)
        #expect(results(result) == ["a": [0: 0], "b": [:]])
        #expect(result.records.count == 1)
    }

    @Test func uncleanElectionsOnlyForLeaderlessPartitions() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3], fenced: [1, 3])
        try cluster.addTopic("t", [([1, 2], [1], -1), ([2, 1], [2, 1], 2), ([1, 3], [1], -1)])
        let request = ElectLeadersRequest(electionType: 1, topicPartitions: [.init(topic: "t", partitions: [0, 1, 2])])
        let result = ElectLeaders.elect(request, version: 1, image: cluster.image)
        #expect(results(result) == ["t": [0: 0, 1: ErrorCode.electionNotNeeded.rawValue, 2: ErrorCode.eligibleLeadersNotAvailable.rawValue]])
        try cluster.apply(result.records)
        let p = cluster.partition("t", 0)
        #expect(p.leader == 2 && p.isr == [2] && p.leaderRecoveryState == LeaderRecoveryState.recovering)
        // v0 has no election type: always preferred.
        let v0 = ElectLeaders.elect(request, version: 0, image: cluster.image)
        #expect(results(v0)["t"]?[1] == ErrorCode.electionNotNeeded.rawValue)
        let bad = ElectLeaders.elect(ElectLeadersRequest(electionType: 7, topicPartitions: [.init(topic: "t", partitions: [0])]), version: 1, image: cluster.image)
        #expect(bad.response.errorCode == ErrorCode.invalidRequest.rawValue && bad.records.isEmpty)
    }

    @Test func periodicUncleanElectionsFollowTheTopicConfig() throws {
        var cluster = try ClusterFixture(brokers: [1, 2], fenced: [1])
        try cluster.addTopic("strict", [([1, 2], [1], -1)])
        try cluster.addTopic("loose", [([1, 2], [1], -1)], configs: ["unclean.leader.election.enable": "true"])
        try cluster.apply(ElectLeaders.uncleanElectionsForLeaderless(image: cluster.image, unclean: ClusterFixture.clean))
        #expect(cluster.partition("loose", 0).leader == 2 && cluster.partition("strict", 0).leader == -1)
    }

    @Test func rebalanceElectsPreferredLeadersOfBrokersAboveTheImbalance() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        // Broker 1 is preferred for 4 partitions and leads 3 (25 % imbalance); broker 2 for 2 and leads 1 (50 %);
        // broker 3 is preferred for one it cannot lead (not in the ISR).
        try cluster.addTopic("t", [([1, 2], [1, 2], 1), ([1, 2], [1, 2], 1), ([1, 2], [1, 2], 1), ([1, 2], [1, 2], 2),
                                   ([2, 1], [2, 1], 2), ([2, 1], [2, 1], 1), ([3, 1], [1], 1)])
        let at30 = LeaderRebalance.elections(image: cluster.image, imbalancePercentage: 30)
        #expect(ClusterFixture.changes(at30).map { [$0.partitionID, $0.leader] } == [[5, 2]])
        let at10 = LeaderRebalance.elections(image: cluster.image, imbalancePercentage: 10)
        #expect(ClusterFixture.changes(at10).map { [$0.partitionID, $0.leader] } == [[3, 1], [5, 2]])
        #expect(LeaderRebalance.elections(image: cluster.image, imbalancePercentage: 10, maxElections: 1).count == 1)
        #expect(LeaderRebalance.elections(image: cluster.image, imbalancePercentage: 50).isEmpty, "above, not at, the percentage")
        try cluster.apply(at10)
        #expect(LeaderRebalance.elections(image: cluster.image, imbalancePercentage: 0).isEmpty)
    }
}
