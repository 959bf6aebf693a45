import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// AlterPartition as Kafka's controller validates and applies it.
@Suite struct AlterPartitionTests {
    typealias PartitionData = AlterPartitionRequest.TopicData.PartitionData

    /// Brokers 1-4 (4 fenced, 3 in controlled shutdown); t-0 replicas [1,2,3,4] led by 1 at leader
    /// epoch 0, partition epoch 0, ISR [1].
    private func cluster() throws -> ClusterFixture {
        var cluster = try ClusterFixture(brokers: [1, 2, 3, 4], fenced: [4])
        try cluster.addTopic("t", [([1, 2, 3, 4], [1], 1)])
        try cluster.apply([MetadataRecordAndVersion(BrokerRegistrationChangeRecord(brokerID: 3, brokerEpoch: 300, inControlledShutdown: 1), version: 1)])
        return cluster
    }

    private func request(_ data: PartitionData, version: Int16, broker: Int32 = 1, epoch: Int64 = 100) -> AlterPartitionRequest {
        let id = ClusterFixture.topicID("t")
        return AlterPartitionRequest(brokerID: broker, brokerEpoch: epoch,
                                     topics: [.init(topicName: version < 2 ? "t" : "", topicID: version >= 2 ? id : .zero, partitions: [data])])
    }

    private func isr(_ ids: [Int32], version: Int16, epochs: [Int64]? = nil) -> PartitionData {
        var d = PartitionData(partitionIndex: 0, leaderEpoch: 0, leaderRecoveryState: 0, partitionEpoch: 0)
        if version >= 3 {
            d.newIsrWithEpochs = zip(ids, epochs ?? ids.map { Int64($0) * 100 }).map { .init(brokerID: $0, brokerEpoch: $1) }
        } else {
            d.newIsr = ids
        }
        return d
    }

    private func code(_ result: ControllerResult<AlterPartitionResponse>) -> Int16? {
        result.response.topics.first?.partitions.first?.errorCode
    }

    @Test func expandingTheISRCommitsAndAnswersTheNewState() throws {
        var cluster = try cluster()
        for version: Int16 in [0, 2, 3] {
            let c = try self.cluster()
            let result = AlterPartition.alter(request(isr([1, 2], version: version), version: version), version: version,
                                              image: c.image, unclean: ClusterFixture.clean)
            #expect(result.response.errorCode == 0 && code(result) == 0, "v\(version)")
            let answer = try #require(result.response.topics.first?.partitions.first)
            #expect(answer.isr == [1, 2] && answer.leaderID == 1 && answer.leaderEpoch == 0 && answer.partitionEpoch == 1)
            #expect(result.records.count == 1)
        }
        let result = AlterPartition.alter(request(isr([1, 2], version: 3), version: 3), version: 3, image: cluster.image, unclean: ClusterFixture.clean)
        try cluster.apply(result.records)
        #expect(cluster.partition("t", 0).isr == [1, 2] && cluster.partition("t", 0).partitionEpoch == 1)
        // The same ISR again: nothing to record, the state as it is.
        var same = isr([1, 2], version: 3)
        same.partitionEpoch = 1
        let again = AlterPartition.alter(request(same, version: 3), version: 3, image: cluster.image, unclean: ClusterFixture.clean)
        #expect(again.records.isEmpty && code(again) == 0 && again.response.topics[0].partitions[0].partitionEpoch == 1)
    }

    @Test func refusalsCarryKafkasErrorCodes() throws {
        let image = try cluster().image
        func alter(_ data: PartitionData, version: Int16 = 3, broker: Int32 = 1) -> Int16? {
            let result = AlterPartition.alter(request(data, version: version, broker: broker, epoch: Int64(broker) * 100), version: version,
                                              image: image, unclean: ClusterFixture.clean)
            #expect(result.records.isEmpty == (code(result) != 0), "a refusal records nothing")
            return code(result)
        }
        var unknown = isr([1], version: 3)
        unknown.partitionIndex = 5
        #expect(alter(unknown) == ErrorCode.unknownTopicOrPartition.rawValue)
        var ahead = isr([1], version: 3)
        ahead.leaderEpoch = 1
        #expect(alter(ahead) == ErrorCode.notController.rawValue)
        ahead = isr([1], version: 3)
        ahead.partitionEpoch = 3
        #expect(alter(ahead) == ErrorCode.notController.rawValue)
        #expect(alter(isr([1, 2], version: 3), broker: 2) == ErrorCode.invalidRequest.rawValue, "not the leader")
        #expect(alter(isr([1, 5], version: 3)) == ErrorCode.invalidRequest.rawValue, "not a replica")
        #expect(alter(isr([1, 1], version: 3)) == ErrorCode.invalidRequest.rawValue, "twice")
        #expect(alter(isr([2], version: 3)) == ErrorCode.invalidRequest.rawValue, "without the leader")
        #expect(alter(isr([1, 4], version: 3)) == ErrorCode.ineligibleReplica.rawValue, "fenced")
        #expect(alter(isr([1, 3], version: 3)) == ErrorCode.ineligibleReplica.rawValue, "in controlled shutdown")
        #expect(alter(isr([1, 2], version: 3, epochs: [100, 201])) == ErrorCode.ineligibleReplica.rawValue, "another broker epoch")
        #expect(alter(isr([1, 2], version: 3, epochs: [100, -1])) == 0, "-1 skips the epoch check")
        #expect(alter(isr([1, 4], version: 1), version: 1) == ErrorCode.operationNotAttempted.rawValue)
        var recovering = isr([1], version: 3)
        recovering.leaderRecoveryState = LeaderRecoveryState.recovering
        #expect(alter(recovering) == ErrorCode.invalidRequest.rawValue, "RECOVERED cannot go back to RECOVERING")

        let stale = AlterPartition.alter(request(isr([1, 2], version: 3), version: 3, epoch: 99), version: 3, image: image, unclean: ClusterFixture.clean)
        #expect(stale.response.errorCode == ErrorCode.staleBrokerEpoch.rawValue && stale.response.topics.isEmpty)
        var ghost = request(isr([1], version: 3), version: 3)
        ghost.topics[0].topicID = KafkaUUID(mostSignificantBits: 5, leastSignificantBits: 5)
        #expect(code(AlterPartition.alter(ghost, version: 3, image: image, unclean: ClusterFixture.clean)) == ErrorCode.unknownTopicID.rawValue)
        var ghostName = request(isr([1], version: 1), version: 1)
        ghostName.topics[0].topicName = "nope"
        #expect(code(AlterPartition.alter(ghostName, version: 1, image: image, unclean: ClusterFixture.clean)) == ErrorCode.unknownTopicOrPartition.rawValue)
    }

    @Test func epochsBehindTheControllerAreFencedOrStale() throws {
        var cluster = try cluster()
        // A leader change (broker 1 fenced and back) moves the leader epoch to 2, the partition epoch too.
        try cluster.apply(BrokerLifecycle.fence(cluster.broker(1), image: cluster.image, unclean: ClusterFixture.clean))
        try cluster.apply(BrokerLifecycle.unfence(cluster.broker(1), image: cluster.image, unclean: ClusterFixture.clean))
        let p = cluster.partition("t", 0)
        #expect(p.leader == 1 && p.leaderEpoch == 2 && p.partitionEpoch == 2)
        var old = isr([1, 2], version: 3)
        old.leaderEpoch = 1
        old.partitionEpoch = 2
        #expect(code(AlterPartition.alter(request(old, version: 3), version: 3, image: cluster.image, unclean: ClusterFixture.clean))
            == ErrorCode.fencedLeaderEpoch.rawValue)
        old.leaderEpoch = 2
        old.partitionEpoch = 1
        #expect(code(AlterPartition.alter(request(old, version: 3), version: 3, image: cluster.image, unclean: ClusterFixture.clean))
            == ErrorCode.invalidUpdateVersion.rawValue)
    }

    @Test func aRecoveringLeaderReportsRecoveryWithItsISR() throws {
        var cluster = try ClusterFixture(brokers: [1, 2])
        try cluster.addTopic("t", [([1, 2], [1], 1)])
        try cluster.apply([MetadataRecordAndVersion(PartitionChangeRecord(partitionID: 0, topicID: ClusterFixture.topicID("t"),
                                                                          leaderRecoveryState: LeaderRecoveryState.recovering), version: 0)])
        var grow = isr([1, 2], version: 3)
        grow.partitionEpoch = 1
        grow.leaderRecoveryState = LeaderRecoveryState.recovering
        #expect(code(AlterPartition.alter(request(grow, version: 3), version: 3, image: cluster.image, unclean: ClusterFixture.clean))
            == ErrorCode.invalidRequest.rawValue, "more than the leader while recovering")
        grow.leaderRecoveryState = LeaderRecoveryState.recovered
        let result = AlterPartition.alter(request(grow, version: 3), version: 3, image: cluster.image, unclean: ClusterFixture.clean)
        #expect(code(result) == 0 && result.response.topics[0].partitions[0].leaderRecoveryState == LeaderRecoveryState.recovered)
        try cluster.apply(result.records)
        #expect(cluster.partition("t", 0).leaderRecoveryState == LeaderRecoveryState.recovered)
    }
}
