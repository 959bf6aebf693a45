import BrokerTestKit
@testable import KafkaBroker
import KafkaGroups
import KafkaMetadata
import KafkaProtocol
import Testing

/// `__consumer_offsets` with `offsets.topic.replication.factor` 2 on a running node, with a second broker
/// registered by hand over the controller listener (it serves nothing and never fetches): the topic
/// waits for that broker, the group coordinator is each partition's leader, a commit waits for the
/// ISR, and when the second broker is fenced its partitions' groups move to this node.
@Suite struct ReplicatedOffsetsTopicTests {
    private func commit(_ group: String, offset: Int64, client: TestKafkaClient) async throws -> ErrorCode? {
        let r = try await client.send(OffsetCommitRequest(groupID: group, topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: offset)])]),
                                      version: 8)
        return r.topics.first?.partitions.first.map { ErrorCode(rawValue: $0.errorCode) }
    }

    private func committed(_ group: String, client: TestKafkaClient) async throws -> Int64? {
        let r = try await client.send(OffsetFetchRequest(groupID: group, topics: [.init(name: "t", partitionIndexes: [0])]), version: 7)
        return r.errorCode == 0 ? r.topics.first?.partitions.first?.committedOffset : nil
    }

    @Test func theOffsetsTopicWaitsForItsReplicasAndCoordinationFollowsItsLeaders() async throws {
        let broker = try await TestBroker(overrides: ["offsets.topic.replication.factor": "2", "offsets.commit.timeout.ms": "300"])
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let clock = broker.metadata.clock
        let topic = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        #expect(topic.topics.first?.errorCode == 0)

        // One broker cannot hold two replicas: no offsets topic, no coordinator (Kafka 3.9 answers the same).
        #expect(broker.metadata.image.topic(named: ConsumerOffsetsLog.topic) == nil)
        let alone = try await client.send(FindCoordinatorRequest(key: "g"), version: 3)
        #expect(alone.errorCode == ErrorCode.coordinatorNotAvailable.rawValue && alone.nodeID == -1)
        let join = try await client.send(JoinGroupRequest(groupID: "g", sessionTimeoutMs: 10_000, memberID: "", protocolType: "consumer",
                                                          protocols: [.init(name: "range", metadata: [0])]), version: 5)
        #expect(join.errorCode == ErrorCode.notCoordinator.rawValue)

        // A second broker registers: the next FindCoordinators create the topic.
        let epoch = try await broker.registerSecondBroker(controller: controller)
        var created = false
        for _ in 0..<10 where !created {
            _ = try await client.send(FindCoordinatorRequest(key: "g"), version: 3)
            created = await broker.metadata.publication.wait(until: { $0.image.topic(named: ConsumerOffsetsLog.topic) != nil },
                                                             deadlineMs: clock.nowMs() + 2_000)
        }
        #expect(created)
        let offsets = try #require(broker.metadata.image.topic(named: ConsumerOffsetsLog.topic))
        #expect(offsets.partitions.values.allSatisfy { Set($0.replicas) == [1, 2] && Set($0.isr) == [1, 2] })
        #expect(broker.metadata.image.configs(for: .topic(ConsumerOffsetsLog.topic))["cleanup.policy"] == "compact")
        let count = Int32(offsets.partitions.count)
        func group(ledBy leader: Int32) throws -> String {
            try #require((0..<1_000).lazy.map { "g\($0)" }.first {
                offsets.partitions[CoordinatorPartitioner.partition(for: $0, partitionCount: count)]?.leader == leader
            })
        }
        let mine = try group(ledBy: 1), theirs = try group(ledBy: 2)

        // FindCoordinator names each partition's leader; the other broker's groups are not served here.
        let found = try await client.send(FindCoordinatorRequest(keyType: 0, coordinatorKeys: [mine, theirs]), version: 4)
        #expect(found.coordinators.map(\.nodeID) == [1, 2] && found.coordinators.allSatisfy { $0.errorCode == 0 })
        #expect(try await commit(theirs, offset: 1, client: client) == .notCoordinator)

        // Broker 2 is in the ISR but never fetches: the commit is written here, yet not committed within
        // offsets.commit.timeout.ms, so the client hears COORDINATOR_NOT_AVAILABLE and retries.
        #expect(try await commit(mine, offset: 5, client: client) == .coordinatorNotAvailable)

        // Broker 2 is fenced: it leaves the ISRs, and its partitions are led here, their groups loaded from
        // this node's replicas. The commit that timed out is in the ISR (this node alone) now, as in Kafka.
        let fenced = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch,
                                                                      currentMetadataOffset: broker.metadata.image.provenance.offset, wantFence: true),
                                               version: 1)
        #expect(fenced.isFenced)
        #expect(broker.metadata.image.topic(named: ConsumerOffsetsLog.topic)!.partitions.values.allSatisfy { $0.leader == 1 && $0.isr == [1] })
        #expect(try await committed(mine, client: client) == 5)
        #expect(try await commit(theirs, offset: 9, client: client) == .noError)
        #expect(try await committed(theirs, client: client) == 9)
        let moved = try await client.send(FindCoordinatorRequest(key: theirs), version: 3)
        #expect(moved.errorCode == 0 && moved.nodeID == 1)

        await controller.close()
        await client.close()
        await broker.shutdown()
    }
}
