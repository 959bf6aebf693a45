import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Testing

@Suite struct AdminAPITests {
    @Test func metadataAutoCreatesTopicsAndReportsLeaders() async throws {
        let broker = try await TestBroker(overrides: ["num.partitions": "2"])
        let client = try await broker.client()
        let response = try await client.send(MetadataRequest(topics: [.init(name: "auto")], allowAutoTopicCreation: true), version: 12)
        #expect(response.clusterID == broker.metadata.clusterID)
        #expect(response.brokers.map(\.nodeID) == [1])
        #expect(response.brokers.first?.port == Int32(broker.port))
        let topic = try #require(response.topics.first)
        #expect(topic.errorCode == 0)
        #expect(topic.partitions.map(\.partitionIndex).sorted() == [0, 1])
        #expect(topic.partitions.allSatisfy { $0.leaderID == 1 && $0.errorCode == 0 })
        #expect(topic.topicID != .zero)
        // Not allowed to create: UNKNOWN_TOPIC_OR_PARTITION.
        let refused = try await client.send(MetadataRequest(topics: [.init(name: "other")], allowAutoTopicCreation: false), version: 12)
        #expect(refused.topics.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        // v0: an empty list means every topic.
        let all = try await client.send(MetadataRequest(topics: []), version: 0)
        #expect(all.topics.compactMap(\.name).sorted() == ["__consumer_offsets", "auto"])
        let withFlags = try await client.send(MetadataRequest(topics: nil), version: 1)
        #expect(withFlags.topics.first { $0.name == "__consumer_offsets" }?.isInternal == true)
        // v1+: empty means none.
        #expect(try await client.send(MetadataRequest(topics: []), version: 1).topics.isEmpty)
        await client.close()
        await broker.shutdown()
    }

    @Test func autoCreationCanBeTurnedOff() async throws {
        let broker = try await TestBroker(overrides: ["auto.create.topics.enable": "false"])
        let client = try await broker.client()
        let response = try await client.send(MetadataRequest(topics: [.init(name: "auto")]), version: 4)
        #expect(response.topics.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        await broker.shutdown()
    }

    @Test func createDescribeAlterDeleteTopic() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [
            .init(name: "t", numPartitions: 3, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "60000")]),
        ]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let again = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
        #expect(again.topics.first?.errorCode == ErrorCode.topicAlreadyExists.rawValue)

        let altered = try await client.send(IncrementalAlterConfigsRequest(resources: [
            .init(resourceType: 2, resourceName: "t", configs: [.init(name: "segment.bytes", configOperation: 0, value: "1048576")]),
        ]), version: 1)
        #expect(altered.responses.first?.errorCode == 0)

        let described = try await client.send(DescribeConfigsRequest(resources: [
            .init(resourceType: 2, resourceName: "t", configurationKeys: nil),
        ], includeSynonyms: true), version: 4)
        let configs = try #require(described.results.first?.configs)
        #expect(configs.first { $0.name == "retention.ms" }?.value == "60000")
        #expect(configs.first { $0.name == "segment.bytes" }?.value == "1048576")
        #expect(configs.first { $0.name == "segment.bytes" }?.configSource == 1)
        #expect(configs.first { $0.name == "cleanup.policy" }?.value == "delete")
        #expect(configs.first { $0.name == "retention.ms" }?.synonyms.map(\.name) == ["retention.ms", "log.retention.ms"])

        let grown = try await client.send(CreatePartitionsRequest(topics: [.init(name: "t", count: 5)]), version: 3)
        #expect(grown.results.first?.errorCode == 0)
        let meta = try await client.send(MetadataRequest(topics: [.init(name: "t")], allowAutoTopicCreation: false), version: 9)
        #expect(meta.topics.first?.partitions.count == 5)

        let deleted = try await client.send(DeleteTopicsRequest(topicNames: ["t"]), version: 5)
        #expect(deleted.responses.first?.errorCode == 0)
        let gone = try await client.send(MetadataRequest(topics: [.init(name: "t")], allowAutoTopicCreation: false), version: 9)
        #expect(gone.topics.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        await broker.shutdown()
    }

    @Test func brokerConfigsClusterAndQuorumDescriptions() async throws {
        let broker = try await TestBroker(overrides: ["num.partitions": "4"])
        let client = try await broker.client()
        let configs = try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "1", configurationKeys: ["num.partitions"])]), version: 1)
        #expect(configs.results.first?.configs.map(\.value) == ["4"])
        // Unset, broker.rack is null, as Kafka describes it (librdkafka 0101 reads it).
        let rack = try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "1", configurationKeys: ["broker.rack"])]), version: 1)
        #expect(rack.results.first?.configs.map(\.name) == ["broker.rack"])
        #expect(rack.results.first?.configs.first.map { $0.value == nil } == true)
        #expect(configs.results.first?.configs.first?.configSource == 4)

        let cluster = try await client.send(DescribeClusterRequest(), version: 1)
        #expect(cluster.errorCode == 0)
        #expect(cluster.clusterID == broker.metadata.clusterID)
        #expect(cluster.brokers.map(\.brokerID) == [1])
        let controllers = try await client.send(DescribeClusterRequest(endpointType: 2), version: 1)
        #expect(controllers.errorCode == ErrorCode.mismatchedEndpointType.rawValue)
        // The controller listener answers for controllers (KIP-919, `--bootstrap-controller`) and not for brokers.
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let fromController = try await controller.send(DescribeClusterRequest(endpointType: 2), version: 1)
        #expect(fromController.errorCode == 0 && fromController.clusterID == broker.metadata.clusterID && fromController.controllerID == 1)
        #expect(fromController.brokers.map(\.brokerID) == [1])
        #expect(try await controller.send(DescribeClusterRequest(endpointType: 1), version: 1).errorCode == ErrorCode.mismatchedEndpointType.rawValue)
        #expect(try await controller.send(DescribeClusterRequest(), version: 0).errorCode == ErrorCode.mismatchedEndpointType.rawValue)
        await controller.close()

        let quorum = try await client.send(DescribeQuorumRequest(topics: [.init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0)])]), version: 2)
        let p = try #require(quorum.topics.first?.partitions.first)
        #expect(p.leaderID == 1)
        #expect(p.highWatermark > 0)
        #expect(p.currentVoters.map(\.replicaID) == [1])
        #expect(quorum.nodes.first?.listeners.first?.port == 9093)
        await broker.shutdown()
    }

    @Test func producerIDsAreUniqueAcrossRequests() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        var ids: Set<Int64> = []
        for _ in 0..<5 {
            let r = try await client.send(InitProducerIdRequest(transactionalID: nil, transactionTimeoutMs: 1000), version: 4)
            #expect(r.errorCode == 0)
            #expect(r.producerEpoch == 0)
            ids.insert(r.producerID)
        }
        #expect(ids.count == 5)
        // A transactional id goes to its coordinator, which does not exist before __transaction_state
        // does (the request asks for it): the client looks for the coordinator again.
        let txn = try await client.send(InitProducerIdRequest(transactionalID: "tx", transactionTimeoutMs: 1000), version: 4)
        #expect([ErrorCode.notCoordinator, .coordinatorLoadInProgress].map(\.rawValue).contains(txn.errorCode))
        await broker.shutdown()
    }
}

@Suite struct FindCoordinatorTests {
    @Test func groupsAndTransactionalIDsAreCoordinatedHere() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let v0 = try await client.send(FindCoordinatorRequest(key: "g"), version: 0)
        #expect(v0.errorCode == 0)
        #expect(v0.nodeID == 1)
        #expect(v0.port == Int32(broker.port))
        let batched = try await client.send(FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["a", "", "b"]), version: 4)
        #expect(batched.coordinators.map(\.errorCode) == [0, ErrorCode.invalidRequest.rawValue, 0])
        #expect(batched.coordinators.first?.host == "127.0.0.1")
        // The first ask for a transactional id creates __transaction_state (until then:
        // COORDINATOR_NOT_AVAILABLE); once it has a leader, this node coordinates every id (it is the
        // only broker).
        let first = try await client.send(FindCoordinatorRequest(key: "tx", keyType: 1), version: 3)
        #expect(first.errorCode == ErrorCode.coordinatorNotAvailable.rawValue || first.errorCode == 0)
        try await broker.waitForTransactionCoordinator(client, key: "tx")
        let txn = try await client.send(FindCoordinatorRequest(keyType: 1, coordinatorKeys: ["tx", ""]), version: 4)
        #expect(txn.coordinators.map(\.errorCode) == [0, ErrorCode.invalidRequest.rawValue])
        #expect(txn.coordinators.first?.nodeID == 1 && txn.coordinators.first?.port == Int32(broker.port))
        await broker.shutdown()
    }
}
