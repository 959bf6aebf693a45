import BrokerTestKit
@testable import KafkaBroker
import KafkaMetadata
import KafkaProtocol
import Testing

/// The controller's replication APIs on a running node: a second broker registered by hand over the
/// controller listener (it serves nothing; the controller only needs its registration and heartbeats),
/// a replicated topic, AlterPartition from that broker as a partition leader, fencing, and ElectLeaders
/// from a client, with Metadata reporting what the controller decided.
@Suite struct ReplicationControlAPITests {
    @Test func alterPartitionFencingAndElectionsOnANode() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        #expect(broker.metadata.image.brokers[2]?.fenced == false)

        // One partition led by broker 2, one by broker 1, both on both brokers.
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [2, 1]), .init(partitionIndex: 1, brokerIDs: [1, 2]),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0 && created.topics.first?.replicationFactor == 2)
        var meta = try await client.send(MetadataRequest(topics: [.init(name: "r")]), version: 12)
        var partitions = try #require(meta.topics.first?.partitions).sorted { $0.partitionIndex < $1.partitionIndex }
        #expect(partitions.map(\.leaderID) == [2, 1])
        #expect(partitions.allSatisfy { $0.isrNodes.count == 2 && $0.offlineReplicas.isEmpty && $0.errorCode == 0 })
        let topicID = try #require(meta.topics.first?.topicID)

        // Broker 2, leading partition 0, drops broker 1 from its ISR.
        let shrink = AlterPartitionRequest(brokerID: 2, brokerEpoch: epoch, topics: [.init(topicID: topicID, partitions: [
            .init(partitionIndex: 0, leaderEpoch: 0, newIsrWithEpochs: [.init(brokerID: 2, brokerEpoch: epoch)], leaderRecoveryState: 0, partitionEpoch: 0),
        ])])
        let altered = try await controller.send(shrink, version: 3)
        let answer = try #require(altered.topics.first?.partitions.first)
        #expect(altered.errorCode == 0 && answer.errorCode == 0)
        #expect(answer.isr == [2] && answer.leaderID == 2 && answer.leaderEpoch == 0 && answer.partitionEpoch == 1)
        #expect(broker.metadata.image.topic(named: "r")?.partitions[0]?.isr == [2], "answered once committed and replayed")
        // The same request again carries a stale partition epoch.
        let again = try await controller.send(shrink, version: 3)
        #expect(again.topics.first?.partitions.first?.errorCode == ErrorCode.invalidUpdateVersion.rawValue)
        var stale = shrink
        stale.brokerEpoch = epoch - 1
        #expect(try await controller.send(stale, version: 3).errorCode == ErrorCode.staleBrokerEpoch.rawValue)

        // Broker 2 asks to be fenced: partition 0 (ISR [2]) has no one left to lead (its ISR empties into the
        // eligible leader replicas, KIP-966), partition 1 loses it from its ISR.
        let fenced = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch,
                                                                      currentMetadataOffset: broker.metadata.image.provenance.offset, wantFence: true),
                                               version: 1)
        #expect(fenced.isFenced)
        meta = try await client.send(MetadataRequest(topics: [.init(name: "r")]), version: 12)
        partitions = try #require(meta.topics.first?.partitions).sorted { $0.partitionIndex < $1.partitionIndex }
        #expect(partitions[0].errorCode == ErrorCode.leaderNotAvailable.rawValue && partitions[0].leaderID == -1)
        #expect(partitions[0].isrNodes == [] && partitions[0].offlineReplicas == [2] && partitions[0].leaderEpoch == 1)
        #expect(broker.metadata.image.topic(named: "r")?.partitions[0]?.elr == [2])
        #expect(partitions[1].leaderID == 1 && partitions[1].isrNodes == [1] && partitions[1].offlineReplicas == [2])

        // Elections from a client: preferred has nothing to do; unclean brings partition 0 back on broker 1.
        let preferred = try await client.send(ElectLeadersRequest(electionType: 0, topicPartitions: [.init(topic: "r", partitions: [1])]), version: 2)
        #expect(preferred.replicaElectionResults.first?.partitionResult.first?.errorCode == ErrorCode.electionNotNeeded.rawValue)
        let unclean = try await client.send(ElectLeadersRequest(electionType: 1, topicPartitions: [.init(topic: "r", partitions: [0, 7])]), version: 2)
        #expect(unclean.replicaElectionResults.first?.partitionResult.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
        let recovered = try #require(broker.metadata.image.topic(named: "r")?.partitions[0])
        #expect(recovered.leader == 1 && recovered.isr == [1] && recovered.leaderRecoveryState == LeaderRecoveryState.recovering)

        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    @Test func controlledShutdownHandsLeadershipToTheOtherISRMemberFirst() async throws {
        let broker = try await TestBroker(overrides: ["broker.heartbeat.interval.ms": "100"])
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        #expect(broker.metadata.image.brokers[2]?.fenced == false)
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [1, 2]),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        await client.close()

        let stopping = Task { await broker.shutdown() }
        // Broker 1 enters controlled shutdown: broker 2 leads, and broker 1 is still registered unfenced.
        let publication = broker.metadata.publication
        let moved = await publication.wait(until: { $0.image.topic(named: "r")?.partitions[0]?.leader == 2 },
                                           deadlineMs: broker.metadata.clock.nowMs() + 20_000)
        #expect(moved)
        let during = publication.image
        #expect(during.brokers[1]?.inControlledShutdown == true && during.brokers[1]?.fenced == false)
        #expect(during.topic(named: "r")?.partitions[0]?.isr == [2])
        // Broker 1 is let go once broker 2, the other active broker, has replayed the move.
        _ = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch, currentMetadataOffset: during.provenance.offset),
                                      version: 1)
        await stopping.value
        #expect(publication.image.brokers[1]?.fenced == true)
        #expect(publication.image.topic(named: "r")?.partitions[0]?.leader == 2)
        await controller.close()
    }

    @Test func theControllerMovesLeadershipBackToThePreferredReplica() async throws {
        let broker = try await TestBroker(overrides: ["leader.imbalance.check.interval.seconds": "1"])
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        #expect(broker.metadata.image.brokers[2]?.fenced == false)
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [2, 1]),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        // Broker 2 is fenced (broker 1 takes over) and comes back; broker 1 takes it back into the ISR.
        func heartbeat(wantFence: Bool) async throws {
            _ = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch, currentMetadataOffset: broker.metadata.image.provenance.offset,
                                                                 wantFence: wantFence), version: 1)
        }
        try await heartbeat(wantFence: true)
        try await heartbeat(wantFence: false)
        let image = broker.metadata.image
        let p = try #require(image.topic(named: "r")?.partitions[0])
        #expect(p.leader == 1 && p.isr == [1] && image.brokers[2]?.fenced == false)
        let expand = AlterPartitionRequest(brokerID: 1, brokerEpoch: image.brokers[1]!.epoch, topics: [.init(topicID: image.topic(named: "r")!.id, partitions: [
            .init(partitionIndex: 0, leaderEpoch: p.leaderEpoch, newIsr: [1, 2], partitionEpoch: p.partitionEpoch),
        ])])
        #expect(try await controller.send(expand, version: 2).topics.first?.partitions.first?.errorCode == 0)
        // Within the check interval (1 s here) the preferred replica leads again.
        let rebalanced = await broker.metadata.publication.wait(until: { $0.image.topic(named: "r")?.partitions[0]?.leader == 2 },
                                                                deadlineMs: broker.metadata.clock.nowMs() + 30_000)
        #expect(rebalanced)
        try await heartbeat(wantFence: true)
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    @Test func describeTopicPartitionsPagesThroughTopics() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "a", numPartitions: 3, replicationFactor: 1),
                                                                         .init(name: "b", numPartitions: 2, replicationFactor: 1)]), version: 7)
        #expect(created.topics.allSatisfy { $0.errorCode == 0 })
        var request = DescribeTopicPartitionsRequest(topics: [.init(name: "b"), .init(name: "a"), .init(name: "nope")], responsePartitionLimit: 2)
        let first = try await client.send(request, version: 0)
        #expect(first.topics.map(\.name) == ["a"] && first.topics[0].partitions.map(\.partitionIndex) == [0, 1])
        #expect(first.topics[0].partitions.allSatisfy { $0.leaderID == 1 && $0.isrNodes == [1] && $0.offlineReplicas.isEmpty && $0.leaderEpoch == 0 })
        #expect(first.nextCursor?.topicName == "a" && first.nextCursor?.partitionIndex == 2)
        request.cursor = .init(topicName: "a", partitionIndex: 2)
        request.responsePartitionLimit = 10
        let second = try await client.send(request, version: 0)
        #expect(second.topics.map(\.name) == ["a", "b", "nope"] && second.nextCursor == nil)
        #expect(second.topics.map { $0.partitions.map(\.partitionIndex) } == [[2], [0, 1], []])
        #expect(second.topics[2].errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        // Every topic when none is named; a cursor topic outside the names is refused.
        let all = try await client.send(DescribeTopicPartitionsRequest(topics: []), version: 0)
        #expect(all.topics.compactMap(\.name) == ["__consumer_offsets", "a", "b"])
        request.cursor = .init(topicName: "c", partitionIndex: 0)
        let bad = try await client.send(request, version: 0)
        #expect(bad.topics.allSatisfy { $0.errorCode == ErrorCode.invalidRequest.rawValue })
        await client.close()
        await broker.shutdown()
    }

    @Test func aReplicationFactorAboveTheBrokerCountIsRefused() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let refused = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: 1, replicationFactor: 2)]), version: 7)
        #expect(refused.topics.first?.errorCode == ErrorCode.invalidReplicationFactor.rawValue)
        await client.close()
        await broker.shutdown()
    }
}
