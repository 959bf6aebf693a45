import BrokerTestKit
import KafkaAdmin
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// Each tool against a real in-process node, its output captured and compared with what Kafka 3.9's
/// tool prints, and its effect checked with raw requests.
@Suite struct AdminEndToEndTests {
    /// Runs a tool and returns (exit status, standard output, standard error).
    static func run(_ tool: (([String], Console) async -> Int32), _ args: [String]) async -> (Int32, String, String) {
        let console = Console.capturing()
        let status = await tool(args, console)
        return (status, console.output, console.errors)
    }

    static func topics(_ broker: TestBroker, _ args: String...) async -> (Int32, String, String) {
        await run(TopicCommand.main, ["--bootstrap-server", "127.0.0.1:\(broker.port)"] + args)
    }

    static func groups(_ broker: TestBroker, _ args: String...) async -> (Int32, String, String) {
        await run(ConsumerGroupCommand.main, ["--bootstrap-server", "127.0.0.1:\(broker.port)"] + args)
    }

    static func configs(_ broker: TestBroker, _ args: String...) async -> (Int32, String, String) {
        await run(ConfigCommand.main, ["--bootstrap-server", "127.0.0.1:\(broker.port)"] + args)
    }

    static func produce(_ client: TestKafkaClient, topic: String, partition: Int32, count: Int) async throws {
        var b = RecordBatchBuilder()
        for i in 0..<count { b.append(timestamp: 1_700_000_000_000 + Int64(i), key: Array("k\(i)".utf8), value: Array("v\(i)".utf8), headers: []) }
        let r = try await client.send(ProduceRequest(acks: -1, timeoutMs: 5000, topicData: [
            .init(name: topic, partitionData: [.init(index: partition, records: try b.build().bytes)]),
        ]), version: 9)
        #expect(r.responses.first?.partitionResponses.first?.errorCode == 0)
    }

    @Test func topicsCreateListDescribeAlterDelete() async throws {
        let broker = try await TestBroker()
        var r = await Self.topics(broker, "--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=60000")
        #expect(r.0 == 0 && r.1 == "Created topic orders.\n")
        r = await Self.topics(broker, "--create", "--topic", "orders", "--partitions", "3")
        #expect(r.0 == 1 && r.1 == "Error while executing topic command : Topic 'orders' already exists.\n")
        r = await Self.topics(broker, "--create", "--topic", "orders", "--partitions", "3", "--if-not-exists")
        #expect(r.0 == 0 && r.1 == "")
        r = await Self.topics(broker, "--create", "--topic", "my_topic.x")
        #expect(r.1.hasPrefix("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide."))
        #expect(r.1.hasSuffix("Created topic my_topic.x.\n"))
        r = await Self.topics(broker, "--list", "--exclude-internal")
        #expect(r.1 == "my_topic.x\norders\n")
        r = await Self.topics(broker, "--list")
        #expect(r.1 == "__consumer_offsets\nmy_topic.x\norders\n")

        r = await Self.topics(broker, "--describe", "--topic", "orders")
        let id = try #require(broker.metadata.image.topic(named: "orders")?.id)
        #expect(r.1 == """
            Topic: orders\tTopicId: \(id)\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=60000
            \tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: 
            \tTopic: orders\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: 
            \tTopic: orders\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: 

            """)
        r = await Self.topics(broker, "--describe", "--topics-with-overrides", "--exclude-internal")
        #expect(r.1.split(separator: "\n").count == 1 && r.1.hasPrefix("Topic: orders\t"))
        r = await Self.topics(broker, "--describe", "--under-replicated-partitions")
        #expect(r.0 == 0 && r.1 == "")

        r = await Self.topics(broker, "--alter", "--topic", "orders", "--partitions", "5")
        #expect(r.0 == 0 && r.1 == "")
        #expect(broker.metadata.image.topic(named: "orders")?.partitions.count == 5)
        r = await Self.topics(broker, "--alter", "--topic", "orders", "--partitions", "2")
        #expect(r.0 == 1 && r.1.hasPrefix("Error while executing topic command : "))

        r = await Self.topics(broker, "--delete", "--topic", "orders")
        #expect(r.0 == 0)
        #expect(broker.metadata.image.topic(named: "orders") == nil)
        r = await Self.topics(broker, "--describe", "--topic", "orders")
        #expect(r.0 == 1 && r.1 == "Error while executing topic command : Topic 'Optional[orders]' does not exist as expected\n")
        r = await Self.topics(broker, "--delete", "--topic", "orders", "--if-exists")
        #expect(r.0 == 0 && r.1 == "")
        await broker.shutdown()
    }

    @Test func consumerGroupsDescribeResetDeleteOffsetsAndDelete() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        #expect(await Self.topics(broker, "--create", "--topic", "t", "--partitions", "2").0 == 0)
        try await Self.produce(client, topic: "t", partition: 0, count: 10)
        try await Self.produce(client, topic: "t", partition: 1, count: 4)
        // The group's coordinator, then offsets committed as an inactive group (no member).
        var coordinator = try await client.send(FindCoordinatorRequest(key: "g", keyType: 0), version: 3)
        for _ in 0..<50 where coordinator.errorCode != 0 {
            coordinator = try await client.send(FindCoordinatorRequest(key: "g", keyType: 0), version: 3)
        }
        #expect(coordinator.errorCode == 0)
        let commit = try await client.send(OffsetCommitRequest(groupID: "g", topics: [.init(name: "t", partitions: [
            .init(partitionIndex: 0, committedOffset: 3), .init(partitionIndex: 1, committedOffset: 4),
        ])]), version: 8)
        #expect(commit.topics.flatMap(\.partitions).allSatisfy { $0.errorCode == 0 })

        var r = await Self.groups(broker, "--list")
        #expect(r.1 == "g\n")
        r = await Self.groups(broker, "--list", "--state")
        #expect(r.1 == "GROUP                     STATE               \ng                         Empty               \n")
        r = await Self.groups(broker, "--describe", "--group", "g")
        #expect(r.0 == 0)
        #expect(r.2 == "\nConsumer group 'g' has no active members.\n")
        let rows = r.1.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"])
        #expect(rows.dropFirst().map { $0 } == [["g", "t", "0", "3", "10", "7", "-", "-", "-"], ["g", "t", "1", "4", "4", "0", "-", "-", "-"]])
        #expect(r.1.hasPrefix("\nGROUP") && !r.1.hasSuffix("\n"))

        // Dry run: the table, nothing committed.
        r = await Self.groups(broker, "--reset-offsets", "--group", "g", "--topic", "t", "--to-earliest", "--dry-run")
        #expect(r.1.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            == [["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], ["g", "t", "0", "0"], ["g", "t", "1", "0"]])
        func committed() async throws -> [Int32: Int64] {
            let f = try await client.send(OffsetFetchRequest(groupID: "g", topics: nil), version: 7)
            return Dictionary(uniqueKeysWithValues: f.topics.flatMap(\.partitions).map { ($0.partitionIndex, $0.committedOffset) })
        }
        #expect(try await committed() == [0: 3, 1: 4])
        r = await Self.groups(broker, "--reset-offsets", "--group", "g", "--topic", "t:0", "--shift-by", "4", "--execute")
        #expect(r.1.contains("g                              t                              0          7"))
        #expect(try await committed() == [0: 7, 1: 4])
        r = await Self.groups(broker, "--reset-offsets", "--group", "g", "--all-topics", "--to-offset", "100", "--execute")
        #expect(try await committed() == [0: 10, 1: 4])
        r = await Self.groups(broker, "--reset-offsets", "--group", "g", "--all-topics", "--to-datetime", "2023-11-14T22:13:20.005Z", "--execute")
        #expect(try await committed() == [0: 5, 1: 4], "the first record at or after the time: 1_700_000_000_005 is offset 5")
        r = await Self.groups(broker, "--reset-offsets", "--group", "g", "--all-topics", "--to-datetime", "2030-01-01T00:00:00.000Z", "--dry-run")
        #expect(r.1.contains("Warn: Partition 0 from topic t is empty. Falling back to latest known offset."))

        r = await Self.groups(broker, "--delete-offsets", "--group", "g", "--topic", "t:1")
        #expect(r.0 == 0 && r.1.hasPrefix("Request succeed for deleting offsets with topic t:1 group g\n"))
        #expect(r.1.contains("t                              1               Successful"))
        let afterDelete = try await committed()
        #expect(afterDelete[1] == nil || afterDelete[1] == -1)
        #expect(afterDelete[0] == 5)

        r = await Self.groups(broker, "--delete", "--group", "g")
        #expect(r.0 == 0 && r.1 == "Deletion of requested consumer groups ('g') was successful.\n")
        r = await Self.groups(broker, "--describe", "--group", "g")
        #expect(r.1 == "\nError: Consumer group 'g' does not exist.\n")
        r = await Self.groups(broker, "--delete", "--group", "g")
        #expect(r.0 == 1 && r.1.contains("* Group 'g' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupIdNotFoundException"))
        await client.close()
        await broker.shutdown()
    }

    @Test func configsTopicsUsersAndBrokers() async throws {
        let broker = try await TestBroker()
        #expect(await Self.topics(broker, "--create", "--topic", "t").0 == 0)
        var r = await Self.configs(broker, "--alter", "--entity-type", "topics", "--entity-name", "t", "--add-config", "retention.ms=1000,cleanup.policy=[compact,delete]")
        #expect(r.0 == 0 && r.1 == "Completed updating config for topic t.\n")
        r = await Self.configs(broker, "--describe", "--topic", "t")
        #expect(r.1.hasPrefix("Dynamic configs for topic t are:\n  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, "))
        r = await Self.configs(broker, "--alter", "--topic", "t", "--delete-config", "retention.ms,nope")
        #expect(r.0 == 1 && r.2.hasPrefix("Invalid config(s): nope"))
        r = await Self.configs(broker, "--alter", "--topic", "t", "--delete-config", "retention.ms")
        #expect(r.0 == 0)
        #expect(broker.metadata.image.configs(for: .topic("t"))["retention.ms"] == nil)
        #expect(broker.metadata.image.configs(for: .topic("t"))["cleanup.policy"] == "compact,delete")
        r = await Self.configs(broker, "--describe", "--topic", "t", "--all")
        #expect(r.1.hasPrefix("All configs for topic t are:\n") && r.1.contains("\n  segment.bytes="))

        r = await Self.configs(broker, "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "producer_byte_rate=1024,consumer_byte_rate=20000000")
        #expect(r.0 == 0 && r.1 == "Completed updating config for user alice.\n")
        r = await Self.configs(broker, "--alter", "--user", "alice", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=alice-secret]")
        #expect(r.0 == 0)
        r = await Self.configs(broker, "--describe", "--entity-type", "users", "--entity-name", "alice")
        #expect(r.1 == """
            Quota configs for user-principal 'alice' are consumer_byte_rate=2.0E7, producer_byte_rate=1024.0
            SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192

            """)
        r = await Self.configs(broker, "--alter", "--client-defaults", "--add-config", "request_percentage=50")
        #expect(r.1 == "Completed updating default config for clients in the cluster.\n")
        r = await Self.configs(broker, "--describe", "--entity-type", "clients")
        #expect(r.1 == "Quota configs for the default client-id are request_percentage=50.0\n")

        // A broker config goes as AlterConfigs to that broker; whatever it answers is printed as Kafka does.
        r = await Self.configs(broker, "--alter", "--broker", "1", "--add-config", "log.cleaner.threads=2")
        if r.0 != 0 {
            #expect(r.2.hasPrefix("Error while executing config command with args '--bootstrap-server 127.0.0.1:\(broker.port) --alter --broker 1 --add-config log.cleaner.threads=2'\njava.util.concurrent.ExecutionException: org.apache.kafka.common.errors."))
        } else {
            #expect(r.1 == "Completed updating config for broker 1.\n")
        }
        r = await Self.configs(broker, "--describe", "--broker-defaults")
        #expect(r.1.hasPrefix("Default configs for brokers in the cluster are:\n"))
        await broker.shutdown()
    }

    @Test func metadataQuorumAndClusterID() async throws {
        let broker = try await TestBroker()
        let b = "127.0.0.1:\(broker.port)"
        var r = await Self.run({ await MetadataQuorumCommand.main(arguments: $0, console: $1) }, ["--bootstrap-server", b, "describe", "--status"])
        #expect(r.0 == 0)
        let lines = r.1.split(separator: "\n").map(String.init)
        #expect(lines.first == "ClusterId:              \(broker.metadata.clusterID)")
        #expect(lines.map { String($0.prefix(24)) } == ["ClusterId:              ", "LeaderId:               ", "LeaderEpoch:            ", "HighWatermark:          ",
                                                        "MaxFollowerLag:         ", "MaxFollowerLagTimeMs:   ", "CurrentVoters:          ", "CurrentObservers:       "])
        #expect(lines[1] == "LeaderId:               1")
        #expect(lines[6].hasPrefix("CurrentVoters:          [{\"id\": 1, \"directoryId\": "))
        r = await Self.run({ await MetadataQuorumCommand.main(arguments: $0, console: $1) }, ["--bootstrap-server", b, "describe", "--replication"])
        #expect(r.1.hasPrefix("NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\t\n1     \t"))
        #expect(r.1.contains("\t0  \t") && r.1.contains("Leader\t\n"))
        r = await Self.run({ await MetadataQuorumCommand.main(arguments: $0, console: $1) }, ["--bootstrap-server", b, "describe"])
        #expect(r.0 == 1 && r.2 == "One of --status or --replication must be specified with describe sub-command\n")
        r = await Self.run(ClusterIDCommand.main, ["-b", b])
        #expect(r.0 == 0 && r.1 == "Cluster ID: \(broker.metadata.clusterID)\n")
        r = await Self.run(ClusterIDCommand.main, ["--bootstrap-server", "127.0.0.1:1"])
        #expect(r.0 == 1 && r.2.hasPrefix("Could not connect to any of the bootstrap servers 127.0.0.1:1"))
        await broker.shutdown()
    }
}
