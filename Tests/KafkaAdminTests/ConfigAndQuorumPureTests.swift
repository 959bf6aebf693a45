import KafkaAdmin
import KafkaProtocol
import Testing

@Suite struct ConfigAndQuorumPureTests {
    func options(_ args: [String]) throws -> ConfigCommandOptions { try ConfigCommandOptions(arguments: args) }

    @Test func entityNamesPairWithTypesByOrder() throws {
        let o = try options(["--bootstrap-server", "b:1", "--alter", "--entity-type", "users", "--entity-name", "alice", "--entity-type", "clients",
                             "--entity-default", "--add-config", "producer_byte_rate=10"])
        #expect(o.entityTypes == ["users", "clients"])
        #expect(o.entityNames == ["alice", ""])
        let short = try options(["--bootstrap-server", "b:1", "--describe", "--broker-defaults"])
        #expect(short.entityTypes == ["brokers"] && short.entityNames == [""])
    }

    @Test func argumentChecks() {
        #expect(throws: ToolUsageError("Command must include exactly one action: --describe, --alter")) {
            try options(["--bootstrap-server", "b:1", "--entity-type", "topics"])
        }
        #expect(throws: ToolFailure("Only 'users' and 'clients' entity types may be specified together")) {
            try options(["--bootstrap-server", "b:1", "--describe", "--entity-type", "topics", "--entity-type", "users"])
        }
        #expect(throws: ToolFailure("an entity name must be specified with --alter of topics")) {
            try options(["--bootstrap-server", "b:1", "--alter", "--entity-type", "topics", "--add-config", "a=b"])
        }
        #expect(throws: ToolFailure("The entity name for brokers must be a valid integer broker id, but it is: x")) {
            try options(["--bootstrap-server", "b:1", "--describe", "--entity-type", "brokers", "--entity-name", "x"])
        }
        #expect(throws: ToolFailure("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")) {
            try options(["--bootstrap-server", "b:1", "--alter", "--topic", "t"])
        }
        #expect(throws: ToolFailure("--entity-{type,name,default} should not be used in conjunction with specific entity flags")) {
            try options(["--bootstrap-server", "b:1", "--describe", "--entity-type", "users", "--client", "c"])
        }
    }

    @Test func addConfigKeepsBracketedCommasAndDropsTheBrackets() throws {
        let v = try ConfigValues.parseAddConfig("a=1, b=[x,y] ,SCRAM-SHA-256=[iterations=8192,password=p=w],ssl.endpoint.identification.algorithm=")
        #expect(v.map(\.0) == ["a", "b", "SCRAM-SHA-256", "ssl.endpoint.identification.algorithm"])
        #expect(v.map(\.1) == ["1", "x,y", "iterations=8192,password=p=w", ""])
        #expect(throws: ToolFailure.self) { try ConfigValues.parseAddConfig("a") }
        #expect(throws: ToolFailure("Invalid character found for config key: a b")) { try ConfigValues.parseAddConfig("a b=1") }
        #expect(try ConfigValues.scramCredential(mechanism: "SCRAM-SHA-256", "iterations=8192,password=p=w", minIterations: 4096) == (8192, "p=w"))
        #expect(try ConfigValues.scramCredential(mechanism: "SCRAM-SHA-256", "password=x", minIterations: 4096) == (4096, "x"))
        #expect(throws: ToolFailure("Iterations 10 is less than the minimum 4096 required for SCRAM-SHA-256")) {
            try ConfigValues.scramCredential(mechanism: "SCRAM-SHA-256", "iterations=10,password=x", minIterations: 4096)
        }
    }

    @Test func describeLinesAndJavaDoubles() {
        let e = ConfigEntry(name: "retention.ms", value: "1000", source: .dynamicTopicConfig,
                            synonyms: [.init(name: "retention.ms", value: "1000", source: .dynamicTopicConfig),
                                       .init(name: "log.retention.hours", value: "168", source: .defaultConfig)])
        #expect(ConfigFormat.entryLine(e) == "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000, DEFAULT_CONFIG:log.retention.hours=168}")
        #expect(ConfigFormat.entryLine(ConfigEntry(name: "p", value: nil, source: .dynamicBrokerConfig, isSensitive: true)) == "  p=null sensitive=true synonyms={}")
        #expect(ConfigValues.javaDouble(1024) == "1024.0")
        #expect(ConfigValues.javaDouble(0.5) == "0.5")
        #expect(ConfigValues.javaDouble(2e7) == "2.0E7")
        #expect(ConfigFormat.quotaLine(entity: [("user", "alice"), ("client-id", nil)], values: [("producer_byte_rate", 10), ("consumer_byte_rate", 1.5)])
            == "Quota configs for user-principal 'alice', the default client-id are consumer_byte_rate=1.5, producer_byte_rate=10.0")
        let dynamicOnly = ConfigCommand.filtered([e, ConfigEntry(name: "a", value: "1", source: .defaultConfig)], type: "topics", name: "t", all: false)
        #expect(dynamicOnly.map(\.name) == ["retention.ms"])
        #expect(ConfigCommand.filtered([e, ConfigEntry(name: "a", value: "1", source: .defaultConfig)], type: "topics", name: "t", all: true).map(\.name) == ["a", "retention.ms"])
    }

    @Test func quorumStatusAndReplication() throws {
        let q = QuorumInfo(leaderID: 1, leaderEpoch: 4, highWatermark: 90, voters: [
            .init(id: 1, logEndOffset: 100, lastFetchTimestamp: 5000, lastCaughtUpTimestamp: 5000),
            .init(id: 2, logEndOffset: 95, lastFetchTimestamp: 4900, lastCaughtUpTimestamp: 4000),
        ], observers: [.init(id: 7, logEndOffset: 100)], endpoints: [1: ["CONTROLLER://h1:9093"]])
        #expect(QuorumFormat.status(clusterID: "c", q) == """
            ClusterId:              c
            LeaderId:               1
            LeaderEpoch:            4
            HighWatermark:          90
            MaxFollowerLag:         5
            MaxFollowerLagTimeMs:   1000
            CurrentVoters:          [{"id": 1, "directoryId": null, "endpoints": ["CONTROLLER://h1:9093"]}, {"id": 2, "directoryId": null}]
            CurrentObservers:       [{"id": 7, "directoryId": null}]
            """)
        let table = try QuorumFormat.replication(q, humanReadable: true, nowMs: 6000)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[0] == "NodeId\tDirectoryId           \tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t")
        #expect(lines[1] == "1     \tAAAAAAAAAAAAAAAAAAAAAA\t100         \t0  \t1000 ms ago       \t1000 ms ago          \tLeader  \t")
        #expect(lines[2].hasSuffix("\t95          \t5  \t1100 ms ago       \t2000 ms ago          \tFollower\t"))
        #expect(lines[3].hasSuffix("\t-1                \t-1                   \tObserver\t"))
    }
}
