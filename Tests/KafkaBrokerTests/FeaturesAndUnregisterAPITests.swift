import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import KafkaSecurity
import Testing

/// UnregisterBroker and UpdateFeatures on a running node, over both listeners: the controller commits
/// the records and the node's own answers (DescribeCluster, Metadata, ApiVersions) follow at once.
@Suite struct FeaturesAndUnregisterAPITests {
    static func brokerIDs(_ client: TestKafkaClient) async throws -> (cluster: [Int32], metadata: [Int32]) {
        let cluster = try await client.send(DescribeClusterRequest(), version: 1)
        let metadata = try await client.send(MetadataRequest(topics: []), version: 12)
        return (cluster.brokers.map(\.brokerID).sorted(), metadata.brokers.map(\.nodeID).sorted())
    }

    static func finalized(_ client: TestKafkaClient) async throws -> (levels: [String: Int16], epoch: Int64) {
        let r = try await client.send(ApiVersionsRequest(clientSoftwareName: "strom-test", clientSoftwareVersion: "1"), version: 4)
        return (Dictionary(uniqueKeysWithValues: r.finalizedFeatures.map { ($0.name, $0.maxVersionLevel) }), r.finalizedFeaturesEpoch)
    }

    static func update(_ client: TestKafkaClient, _ feature: String, _ level: Int16, type: Int8, validateOnly: Bool = false,
                       version: Int16 = 1) async throws -> UpdateFeaturesResponse {
        // Each version has its own way of asking for a downgrade.
        try await client.send(UpdateFeaturesRequest(featureUpdates: [.init(feature: feature, maxVersionLevel: level,
                                                                           allowDowngrade: version == 0 && type != 1,
                                                                           upgradeType: version == 0 ? 1 : type)],
                                                     validateOnly: validateOnly), version: version)
    }

    @Test func anUnregisteredBrokerIsGoneFromDescribeClusterAndMetadata() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: try #require(broker.node.boundPorts["CONTROLLER"]))
        _ = try await broker.registerSecondBroker(controller: controller)
        var ids = try await Self.brokerIDs(client)
        #expect(ids.cluster == [1, 2] && ids.metadata == [1, 2])

        let unregistered = try await client.send(UnregisterBrokerRequest(brokerID: 2), version: 0)
        #expect(unregistered.errorCode == 0)
        #expect(broker.metadata.image.brokers[2] == nil)
        ids = try await Self.brokerIDs(client)
        #expect(ids.cluster == [1] && ids.metadata == [1])
        let again = try await client.send(UnregisterBrokerRequest(brokerID: 2), version: 0)
        #expect(again.errorCode == ErrorCode.brokerIDNotRegistered.rawValue)

        // The controller listener serves it too (what a broker forwards, or `--bootstrap-controller` sends).
        _ = try await broker.registerSecondBroker(controller: controller)
        #expect(try await Self.brokerIDs(client).cluster == [1, 2])
        #expect(try await controller.send(UnregisterBrokerRequest(brokerID: 2), version: 0).errorCode == 0)
        #expect(try await Self.brokerIDs(client).cluster == [1])
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    @Test func anUpdatedFeatureLevelIsWhatApiVersionsReports() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let tv = "transaction.version"
        let before = try await Self.finalized(client)
        // kraft.version is the quorum's (its first leader wrote level 1), reported beside the image's.
        #expect(before.levels == ["metadata.version": 21, "eligible.leader.replicas.version": 1, tv: 2, "kraft.version": 1])

        let lowered = try await Self.update(client, tv, 1, type: 2)
        #expect(lowered.errorCode == 0 && lowered.results.map(\.feature) == [tv] && lowered.results.first?.errorCode == 0)
        let after = try await Self.finalized(client)
        #expect(after.levels[tv] == 1 && after.epoch > before.epoch)

        // ValidateOnly decides without writing.
        #expect(try await Self.update(client, tv, 2, type: 1, validateOnly: true).results.first?.errorCode == 0)
        #expect(try await Self.finalized(client).levels[tv] == 1)
        // Disabled: no longer reported; v0 asks for the downgrade with AllowDowngrade.
        #expect(try await Self.update(client, tv, 0, type: 2, version: 0).results.first?.errorCode == 0)
        #expect(try await Self.finalized(client).levels[tv] == nil)
        #expect(try await Self.update(client, tv, 2, type: 1).results.first?.errorCode == 0)
        #expect(try await Self.finalized(client).levels[tv] == 2)

        let unknown = try await Self.update(client, "group.version", 1, type: 1)
        #expect(unknown.errorCode == 0 && unknown.results.first?.errorCode == ErrorCode.invalidUpdateVersion.rawValue)
        #expect(unknown.results.first?.errorMessage == "Invalid update version 1 for feature group.version. Local controller 1 does not support this feature.")

        // On the controller listener: metadata.version down to 3.7-IV2 and back.
        let controller = try await TestKafkaClient(port: try #require(broker.node.boundPorts["CONTROLLER"]))
        #expect(try await Self.update(controller, "metadata.version", 17, type: 2).results.first?.errorCode == 0)
        #expect(try await Self.finalized(client).levels["metadata.version"] == 17)
        let tooFar = try await Self.update(controller, "metadata.version", 16, type: 2)
        #expect(tooFar.results.first?.errorCode == ErrorCode.invalidUpdateVersion.rawValue)
        #expect(try await Self.update(controller, "metadata.version", 21, type: 1).results.first?.errorCode == 0)
        #expect(try await Self.finalized(client).levels["metadata.version"] == 21)
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    /// Both need ALTER on the cluster: refused to alice until an ACL grants it.
    @Test func bothNeedAlterOnTheCluster() async throws {
        let broker = try await AclEnforcementTests.broker()
        let alice = try await AclEnforcementTests.login(broker, "alice")
        let refused = try await Self.update(alice, "transaction.version", 1, type: 2)
        #expect(refused.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue && refused.results.isEmpty)
        let unregister = try await alice.send(UnregisterBrokerRequest(brokerID: 5), version: 0)
        #expect(unregister.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)

        let setup = try await broker.client()
        try await AclEnforcementTests.createAcls(setup, [AclEnforcementTests.acl(.cluster, "kafka-cluster", "User:alice", .alter)])
        let allowed = try await Self.update(alice, "transaction.version", 1, type: 2, validateOnly: true)
        #expect(allowed.errorCode == 0 && allowed.results.first?.errorCode == 0)
        let notRegistered = try await alice.send(UnregisterBrokerRequest(brokerID: 5), version: 0)
        #expect(notRegistered.errorCode == ErrorCode.brokerIDNotRegistered.rawValue)
        await setup.close()
        await alice.close()
        await broker.shutdown()
    }
}
