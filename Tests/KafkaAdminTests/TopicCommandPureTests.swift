import KafkaAdmin
import KafkaProtocol
import Testing

@Suite struct TopicCommandPureTests {
    func options(_ args: String) throws -> TopicCommandOptions {
        try TopicCommandOptions(arguments: args.split(separator: " ").map(String.init))
    }

    @Test func argumentChecksUseKafkasMessages() throws {
        #expect(throws: ToolUsageError("Command must include exactly one action: --list, --describe, --create, --alter or --delete")) {
            try options("--bootstrap-server b:1 --list --describe")
        }
        #expect(throws: ToolFailure("--bootstrap-server must be specified")) { try options("--list") }
        #expect(throws: ToolUsageError("Missing required argument \"[topic]\"")) { try options("--bootstrap-server b:1 --create") }
        #expect(throws: ToolUsageError("Missing required argument \"[partitions]\"")) { try options("--bootstrap-server b:1 --alter --topic t") }
        #expect(throws: ToolUsageError("Option \"[partitions]\" can't be used with option \"[list]\"")) {
            try options("--bootstrap-server b:1 --list --partitions 3")
        }
        #expect(throws: ToolUsageError("Option \"[replica-assignment]\" can't be used with option \"[partitions]\"")) {
            try options("--bootstrap-server b:1 --create --topic t --partitions 2 --replica-assignment 1,2")
        }
        #expect(throws: ToolUsageError("Option \"[if-not-exists]\" can't be used with option \"[delete]\"")) {
            try options("--bootstrap-server b:1 --delete --topic t --if-not-exists")
        }
        let ok = try options("--bootstrap-server b:1 --create --topic t --partitions 3 --replication-factor 1 --config a=1 --config b=2")
        #expect(ok.action == .create && ok.partitions == 3 && ok.replicationFactor == 1)
        #expect(ok.configs.map { "\($0.0)=\($0.1)" } == ["a=1", "b=2"])
    }

    @Test func configValuesNeedKeyEqualsValue() {
        #expect(throws: ToolFailure.self) {
            try TopicCommandOptions(arguments: ["--bootstrap-server", "b:1", "--create", "--topic", "t", "--config", "a=b=c"])
        }
        #expect(throws: ToolFailure.self) {
            try TopicCommandOptions(arguments: ["--bootstrap-server", "b:1", "--create", "--topic", "t", "--config", "a="])
        }
    }

    @Test func replicaAssignment() throws {
        #expect(try ReplicaAssignment.parse("1:2, 2:3,3:1") == [[1, 2], [2, 3], [3, 1]])
        #expect(throws: ToolFailure("Partition replica lists may not contain duplicate entries: 1")) { try ReplicaAssignment.parse("1:1") }
        #expect(throws: ToolFailure("Partition 1 has different replication factor: [2]")) { try ReplicaAssignment.parse("1:2,2") }
    }

    @Test func topicFilterIsAWholeNameRegexWithCommasAsAlternatives() throws {
        let names = ["__consumer_offsets", "a.b", "axb", "foo", "foo2"]
        #expect(try TopicFilter.select(names, filter: "foo", excludeInternal: false) == ["foo"])
        #expect(try TopicFilter.select(names, filter: "a\\.b,foo.*", excludeInternal: false) == ["a.b", "foo", "foo2"])
        #expect(try TopicFilter.select(names, filter: ".*", excludeInternal: true) == ["a.b", "axb", "foo", "foo2"])
        #expect(try TopicFilter.select(names, filter: nil, excludeInternal: false) == names)
        #expect(throws: ToolFailure.self) { try TopicFilter("(") }
    }

    static let configs = [
        ConfigEntry(name: "cleanup.policy", value: "compact", source: .dynamicTopicConfig),
        ConfigEntry(name: "min.insync.replicas", value: "2", source: .defaultConfig),
        ConfigEntry(name: "segment.bytes", value: "1073741824", source: .staticBrokerConfig),
    ]

    @Test func describeLinesAsKafka39PrintsThem() {
        let id = KafkaUUID("aiKQeQsBSUuKsRxWhd-MPw")!
        let topic = TopicInfo(name: "t", id: id, partitions: [
            PartitionInfo(partition: 1, leader: nil, replicas: [2, 1], isr: [1]),
            PartitionInfo(partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2], elr: [], lastKnownElr: [3]),
        ])
        let lines = TopicDescribeFormat.lines(topic: topic, configs: Self.configs, reassignments: [:], liveBrokers: [1, 2], report: .init())
        #expect(lines == [
            "Topic: t\tTopicId: aiKQeQsBSUuKsRxWhd-MPw\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: cleanup.policy=compact,segment.bytes=1073741824",
            "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: \tLastKnownElr: 3",
            "\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A",
        ])
        // Partition reports print only matching partitions and no topic line.
        #expect(TopicDescribeFormat.lines(topic: topic, configs: Self.configs, reassignments: [:], liveBrokers: [1, 2], report: .init(underReplicated: true))
            == ["\tTopic: t\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A"])
        #expect(TopicDescribeFormat.lines(topic: topic, configs: Self.configs, reassignments: [:], liveBrokers: [1, 2], report: .init(atMinIsr: true))
            == ["\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: \tLastKnownElr: 3"])
        #expect(TopicDescribeFormat.lines(topic: topic, configs: Self.configs, reassignments: [:], liveBrokers: [2], report: .init(unavailable: true)).count == 2)
        // --topics-with-overrides: the topic line only, and only with an override.
        #expect(TopicDescribeFormat.lines(topic: topic, configs: Self.configs, reassignments: [:], liveBrokers: [1], report: .init(overriddenConfigs: true)).count == 1)
        #expect(TopicDescribeFormat.lines(topic: topic, configs: [Self.configs[1]], reassignments: [:], liveBrokers: [1], report: .init(overriddenConfigs: true)).isEmpty)
    }

    @Test func reassignmentShowsAddingAndRemovingAndLeavesAddedReplicasOutOfTheFactor() {
        let p = PartitionInfo(partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2])
        let r = PartitionReassignment(replicas: [1, 2, 3], adding: [3], removing: [])
        let topic = TopicInfo(name: "t", id: .zero, partitions: [p])
        let lines = TopicDescribeFormat.lines(topic: topic, configs: [], reassignments: [TopicPartition("t", 0): r], liveBrokers: [1], report: .init())
        #expect(lines[0] == "Topic: t\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: ")
        #expect(lines[1] == "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\tAdding Replicas: 3\tRemoving Replicas: \tElr: N/A\tLastKnownElr: N/A")
    }
}
