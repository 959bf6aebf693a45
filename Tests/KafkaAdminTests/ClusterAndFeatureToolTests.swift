import BrokerTestKit
import KafkaAdmin
import KafkaProtocol
import Testing

/// `strom cluster` (kafka-cluster.sh) and `strom features` (kafka-features.sh) against a real node,
/// their output compared with what Kafka 3.9's tools print.
@Suite struct ClusterAndFeatureToolTests {
    static func cluster(_ args: String...) async -> (Int32, String, String) {
        await AdminEndToEndTests.run(ClusterCommand.main, args)
    }

    static func features(_ broker: TestBroker, _ args: String...) async -> (Int32, String, String) {
        await AdminEndToEndTests.run(FeatureCommand.main, ["--bootstrap-server", "127.0.0.1:\(broker.port)"] + args)
    }

    /// Registers broker 2 over the controller listener (no node behind it) and heartbeats it unfenced.
    static func registerBroker2(_ broker: TestBroker) async throws {
        let controller = try await TestKafkaClient(port: broker.controllerPort)
        var registration = BrokerRegistrationRequest(brokerID: 2, clusterID: broker.metadata.clusterID,
                                                     incarnationID: KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2))
        registration.listeners = [.init(name: "PLAINTEXT", host: "127.0.0.1", port: 1, securityProtocol: 0)]
        registration.features = [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21),
                                 .init(name: "transaction.version", minSupportedVersion: 0, maxSupportedVersion: 2)]
        let registered = try await controller.send(registration, version: 4)
        #expect(registered.errorCode == 0)
        let heartbeat = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: registered.brokerEpoch,
                                                                         currentMetadataOffset: broker.metadata.image.provenance.offset), version: 1)
        #expect(heartbeat.errorCode == 0 && !heartbeat.isFenced)
        await controller.close()
    }

    @Test func clusterUnregisterRemovesABroker() async throws {
        let broker = try await TestBroker()
        let b = "127.0.0.1:\(broker.port)"
        try await Self.registerBroker2(broker)
        var r = await Self.cluster("unregister", "--bootstrap-server", b, "--id", "2")
        #expect(r.0 == 0 && r.1 == "Broker 2 is no longer registered.\n")
        #expect(broker.metadata.image.brokers[2] == nil)
        r = await Self.cluster("unregister", "-b", b, "-i", "2")
        #expect(r.0 == 1 && r.2 == "The given broker ID was not registered.\n")
        // Straight to the controller listener.
        try await Self.registerBroker2(broker)
        r = await Self.cluster("unregister", "--bootstrap-controller", "127.0.0.1:\(broker.controllerPort)", "--id", "2")
        #expect(r.0 == 0 && r.1 == "Broker 2 is no longer registered.\n")

        r = await Self.cluster("cluster-id", "--bootstrap-server", b)
        #expect(r.0 == 0 && r.1 == "Cluster ID: \(broker.metadata.clusterID)\n")
        r = await Self.cluster("unregister", "--bootstrap-server", b)
        #expect(r.0 == 1 && r.2.hasPrefix("argument --id/-i is required\n"))
        r = await Self.cluster("unregister", "--id", "2")
        #expect(r.0 == 1 && r.2.hasPrefix("one of the arguments --bootstrap-server --bootstrap-controller is required\n"))
        r = await Self.cluster()
        #expect(r.0 == 1 && r.2.hasPrefix("too few arguments\n"))
        r = await Self.cluster("decommission")
        #expect(r.0 == 1 && r.2.hasPrefix("invalid choice: 'decommission' (choose from 'cluster-id', 'unregister')\n"))
        await broker.shutdown()
    }

    @Test func featuresDescribeUpgradeDowngradeDisable() async throws {
        let broker = try await TestBroker()
        let first = broker.metadata.image.provenance.offset
        var r = await Self.features(broker, "describe")
        #expect(r.0 == 0)
        // The epoch is the offset of the node's metadata image when it answered.
        let epoch = try #require(r.1.split(separator: "\n").first?.split(separator: " ").last.flatMap { Int64($0) })
        #expect(first <= epoch && epoch <= broker.metadata.image.provenance.offset)
        #expect(r.1 == """
            Feature: eligible.leader.replicas.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: \(epoch)
            Feature: kraft.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 1\tEpoch: \(epoch)
            Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 3.9-IV0\tFinalizedVersionLevel: 3.9-IV0\tEpoch: \(epoch)
            Feature: transaction.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 2\tEpoch: \(epoch)

            """)

        r = await Self.features(broker, "downgrade", "--feature", "transaction.version=1")
        #expect(r.0 == 0 && r.1 == "transaction.version was downgraded to 1.\n")
        #expect(broker.metadata.image.features["transaction.version"] == 1)
        r = await Self.features(broker, "upgrade", "--feature", "transaction.version=2", "--dry-run")
        #expect(r.0 == 0 && r.1 == "transaction.version can be upgraded to 2.\n")
        #expect(broker.metadata.image.features["transaction.version"] == 1)
        r = await Self.features(broker, "upgrade", "--metadata", "3.7-IV2", "--feature", "transaction.version=2")
        #expect(r.0 == 1)
        #expect(r.1 == "Could not upgrade metadata.version to 17. Invalid update version 17 for feature metadata.version. "
            + "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.\n"
            + "transaction.version was upgraded to 2.\n")
        #expect(r.2 == "1 out of 2 operation(s) failed.\n")
        r = await Self.features(broker, "downgrade", "--metadata", "3.7")
        #expect(r.0 == 0 && r.1 == "metadata.version was downgraded to 19.\n")
        r = await Self.features(broker, "describe")
        #expect(r.1.contains("Feature: metadata.version\tSupportedMinVersion: 3.3-IV3\tSupportedMaxVersion: 3.9-IV0\tFinalizedVersionLevel: 3.7-IV4\t"))
        r = await Self.features(broker, "disable", "--feature", "transaction.version")
        #expect(r.0 == 0 && r.1 == "transaction.version was disabled.\n")
        r = await Self.features(broker, "describe")
        #expect(r.1.contains("Feature: transaction.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 2\tFinalizedVersionLevel: 0\t"))

        r = await Self.features(broker, "upgrade", "--feature", "transaction.version")
        #expect(r.0 == 1 && r.2 == "Can't parse feature=level string transaction.version: equals sign not found.\n")
        r = await Self.features(broker, "upgrade")
        #expect(r.0 == 1 && r.2 == "You must specify at least one feature to upgrade\n")
        r = await Self.features(broker, "upgrade", "--metadata", "9.9")
        #expect(r.0 == 1 && r.2.hasPrefix("Unsupported metadata.version 9.9. Supported metadata.version are 3.3-IV0, 3.3-IV1, "))
        #expect(r.2.hasSuffix(", 3.8-IV0, 3.9-IV0\n"))
        r = await Self.features(broker, "upgrade", "--unsafe", "--feature", "transaction.version=2")
        #expect(r.0 == 1 && r.2.hasPrefix("unrecognized arguments: '--unsafe'\n"))
        await broker.shutdown()
    }

    /// The plan kafka-features.sh would send, and a top-level error failing every feature of it.
    @Test func featurePlansAndTopLevelErrors() throws {
        let a = try ToolArguments(parsing: ["--feature", "b=1", "--feature", " a = 2 ", "--dry-run"], options: FeatureCommand.options)
        let plan = try FeaturePlan(command: "downgrade", arguments: a)
        let v1 = plan.request(version: 1), v0 = plan.request(version: 0)
        #expect(plan.upgradeType == 2 && v1.validateOnly && v1.featureUpdates.map(\.feature) == ["a", "b"])
        #expect(v1.featureUpdates.allSatisfy { $0.upgradeType == 2 && !$0.allowDowngrade })
        #expect(v0.featureUpdates.allSatisfy { $0.upgradeType == 1 && $0.allowDowngrade })
        let (text, failures) = FeatureFormat.updateReport(plan, UpdateFeaturesResponse(errorCode: 31, errorMessage: "Cluster authorization failed."))
        #expect(failures == 2)
        #expect(text == "Can not downgrade a to 2. Cluster authorization failed.\nCan not downgrade b to 1. Cluster authorization failed.\n")
        let unsafe = try FeaturePlan(command: "disable", arguments: try ToolArguments(parsing: ["--feature", "x", "--unsafe"], options: FeatureCommand.options))
        #expect(unsafe.upgradeType == 3 && unsafe.updates == ["x": 0])
        let twice = try ToolArguments(parsing: ["--metadata", "3.9", "--feature", "metadata.version=21"], options: FeatureCommand.options)
        #expect(throws: ToolFailure("Feature metadata.version was specified more than once.")) { try FeaturePlan(command: "upgrade", arguments: twice) }
        let notShort = try ToolArguments(parsing: ["--feature", "a=70000"], options: FeatureCommand.options)
        #expect(throws: ToolFailure("Can't parse feature=level string a=70000: unable to parse 70000 as a short.")) {
            try FeaturePlan(command: "upgrade", arguments: notShort)
        }
        #expect(FeatureFormat.level("metadata.version", 99) == "UNKNOWN 99" && FeatureFormat.level("x", 3) == "3")
    }
}
