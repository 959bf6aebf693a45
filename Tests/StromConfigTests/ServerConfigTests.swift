import StromConfig
import Testing

@Suite struct ServerConfigTests {
    private func parse(_ overrides: [String: String], removing: [String] = []) throws(ConfigError) -> ServerConfig {
        var p = ServerConfig.embeddedDefaults
        for k in removing { p.removeValue(forKey: k) }
        p.merge(overrides) { $1 }
        return try ServerConfig.parse(p)
    }

    @Test func embeddedDefaultsMakeASingleCombinedNode() throws {
        let c = try parse([:])
        #expect(c.nodeID == 1)
        #expect(c.isCombined)
        #expect(c.clientListeners == [Listener(name: "PLAINTEXT", host: "127.0.0.1", port: 9092)])
        #expect(c.listener(named: "CONTROLLER")?.port == 9093)
        #expect(c.quorumVoters == [QuorumVoter(id: 1, host: "127.0.0.1", port: 9093)])
        #expect(c.logDirs == ["./strom-data"])
        #expect(c.numPartitions == 1)
        #expect(c.messageMaxBytes == 1_048_588)
        #expect(c.socketRequestMaxBytes == 104_857_600)
        #expect(c.logRetentionMs == 168 * 3_600_000)
        #expect(c.logFlushIntervalMessages == nil)
    }

    @Test func producerExpiryKeysAreReadWithKafkasDefaults() throws {
        let defaults = try parse([:])
        #expect(defaults.producerIDExpirationMs == 86_400_000 && defaults.producerIDExpirationCheckIntervalMs == 600_000)
        let c = try parse(["producer.id.expiration.ms": "60000", "producer.id.expiration.check.interval.ms": "1000"])
        #expect(c.producerIDExpirationMs == 60_000 && c.producerIDExpirationCheckIntervalMs == 1_000)
        #expect(throws: ConfigError.self) { try parse(["producer.id.expiration.ms": "0"]) }
    }

    @Test func kafkaKeysAreRead() throws {
        let c = try parse([
            "num.partitions": "6", "log.segment.bytes": "1048576", "log.retention.ms": "60000",
            "log.retention.bytes": "1000000", "auto.create.topics.enable": "false", "log.flush.interval.messages": "1",
            "message.max.bytes": "2000000", "socket.request.max.bytes": "5000000",
        ])
        #expect(c.numPartitions == 6)
        #expect(c.logSegmentBytes == 1_048_576)
        #expect(c.logRetentionMs == 60_000)
        #expect(c.logRetentionBytes == 1_000_000)
        #expect(!c.autoCreateTopicsEnable)
        #expect(c.logFlushIntervalMessages == 1)
        #expect(c.messageMaxBytes == 2_000_000)
        #expect(c.socketRequestMaxBytes == 5_000_000)
    }

    @Test func retentionPrecedenceIsMsThenMinutesThenHours() throws {
        #expect(try parse(["log.retention.hours": "1"]).logRetentionMs == 3_600_000)
        #expect(try parse(["log.retention.hours": "1", "log.retention.minutes": "2"]).logRetentionMs == 120_000)
        #expect(try parse(["log.retention.minutes": "2", "log.retention.ms": "5"]).logRetentionMs == 5)
    }

    @Test func logCleanerKeysAreRead() throws {
        let defaults = try parse([:])
        #expect(defaults.logCleanerEnable && defaults.logCleanerBackoffMs == 15_000)
        let set = try parse(["log.cleaner.enable": "false", "log.cleaner.backoff.ms": "500"])
        #expect(!set.logCleanerEnable && set.logCleanerBackoffMs == 500)
        #expect(!set.ignoredKeys.contains("log.cleaner.enable"))
        #expect(throws: ConfigError.self) { try parse(["log.cleaner.backoff.ms": "-1"]) }
        #expect(throws: ConfigError.self) { try parse(["log.cleaner.enable": "sometimes"]) }
    }

    @Test func checkpointIntervalKeysAreRead() throws {
        let defaults = try parse([:])
        #expect(defaults.replicaHighWatermarkCheckpointIntervalMs == 5_000)
        #expect(defaults.logFlushOffsetCheckpointIntervalMs == 60_000 && defaults.logFlushStartOffsetCheckpointIntervalMs == 60_000)
        let set = try parse([
            "replica.high.watermark.checkpoint.interval.ms": "1000", "log.flush.offset.checkpoint.interval.ms": "2000",
            "log.flush.start.offset.checkpoint.interval.ms": "3000",
        ])
        #expect(set.replicaHighWatermarkCheckpointIntervalMs == 1_000)
        #expect(set.logFlushOffsetCheckpointIntervalMs == 2_000 && set.logFlushStartOffsetCheckpointIntervalMs == 3_000)
        #expect(throws: ConfigError.self) { try parse(["log.flush.offset.checkpoint.interval.ms": "-1"]) }
        #expect(throws: ConfigError.self) { try parse(["replica.high.watermark.checkpoint.interval.ms": "soon"]) }
    }

    /// Topic defaults that were accepted without effect and are read now: the broker's cleanup policy,
    /// down-conversion for old fetchers, and the fetch size cap.
    @Test func topicDefaultsAndFetchCapAreRead() throws {
        let defaults = try parse([:])
        #expect(defaults.logCleanupPolicy == "delete" && defaults.logMessageDownconversionEnable && defaults.fetchMaxBytes == 57_671_680)
        let set = try parse(["log.cleanup.policy": "compact, delete", "log.message.downconversion.enable": "false", "fetch.max.bytes": "1048576"])
        #expect(set.logCleanupPolicy == "compact,delete" && !set.logMessageDownconversionEnable && set.fetchMaxBytes == 1_048_576)
        #expect(!set.ignoredKeys.contains("log.cleanup.policy"))
        #expect(throws: ConfigError.self) { try parse(["log.cleanup.policy": "shred"]) }
        #expect(throws: ConfigError.self) { try parse(["fetch.max.bytes": "10"]) }
        #expect(throws: ConfigError.self) { try parse(["log.index.size.max.bytes": "8"]) }
    }

    @Test func leaderElectionKeysAreRead() throws {
        let defaults = try parse([:])
        #expect(!defaults.uncleanLeaderElectionEnable && defaults.autoLeaderRebalanceEnable)
        #expect(defaults.leaderImbalanceCheckIntervalSeconds == 300 && defaults.leaderImbalancePerBrokerPercentage == 10)
        let set = try parse(["unclean.leader.election.enable": "true", "auto.leader.rebalance.enable": "false",
                             "leader.imbalance.check.interval.seconds": "5", "leader.imbalance.per.broker.percentage": "0",
                             "broker.rack": "eu-1a"])
        #expect(defaults.brokerRack == nil && set.brokerRack == "eu-1a")
        #expect(set.uncleanLeaderElectionEnable && !set.autoLeaderRebalanceEnable)
        #expect(set.leaderImbalanceCheckIntervalSeconds == 5 && set.leaderImbalancePerBrokerPercentage == 0)
        #expect(!set.ignoredKeys.contains("unclean.leader.election.enable"))
        #expect(throws: ConfigError.self) { try parse(["leader.imbalance.check.interval.seconds": "0"]) }
        #expect(throws: ConfigError.self) { try parse(["unclean.leader.election.enable": "maybe"]) }
    }

    @Test func replicaSelectorClassIsKafkasRackAwareSelectorOrNone() throws {
        #expect(try parse([:]).replicaSelectorClass == nil)
        #expect(try parse(["replica.selector.class": ""]).replicaSelectorClass == nil)
        let set = try parse(["replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector"])
        #expect(set.replicaSelectorClass == .rackAware && !set.ignoredKeys.contains("replica.selector.class"))
        for unknown in ["com.example.NearestReplicaSelector", "RackAwareReplicaSelector"] {
            do {
                _ = try parse(["replica.selector.class": unknown])
                Issue.record("\(unknown) was accepted")
            } catch {
                #expect(error.key == "replica.selector.class")
                #expect(error.message.contains(unknown) && error.message.contains("org.apache.kafka.common.replica.RackAwareReplicaSelector"))
            }
        }
    }

    @Test func controllerQuotaWindowKeysAreRead() throws {
        let defaults = try parse([:])
        #expect(defaults.controllerQuotaWindowNum == 11 && defaults.controllerQuotaWindowSizeSeconds == 1)
        let set = try parse(["controller.quota.window.num": "3", "controller.quota.window.size.seconds": "2"])
        #expect(set.controllerQuotaWindowNum == 3 && set.controllerQuotaWindowSizeSeconds == 2)
        for bad in [["controller.quota.window.num": "0"], ["controller.quota.window.size.seconds": "-1"],
                    ["controller.quota.window.num": "many"]] {
            #expect(throws: ConfigError.self, "\(bad)") { try parse(bad) }
            do { _ = try parse(bad) } catch { #expect(error.key == bad.keys.first!, "\(bad) blamed \(error.key)") }
        }
    }

    @Test func invalidValuesNameTheKey() {
        let cases: [([String: String], String)] = [
            (["node.id": "x"], "node.id"),
            (["node.id": "-3"], "node.id"),
            (["num.partitions": "0"], "num.partitions"),
            (["auto.create.topics.enable": "yes"], "auto.create.topics.enable"),
            (["process.roles": "broker"], "process.roles"),
            (["listeners": "PLAINTEXT://127.0.0.1"], "listeners"),
            (["controller.listener.names": "MISSING"], "controller.listener.names"),
            (["controller.quorum.voters": "2@127.0.0.1:9093"], "controller.quorum.voters"),
            (["controller.quorum.voters": "1@nowhere"], "controller.quorum.voters"),
            (["listener.security.protocol.map": "PLAINTEXT:TLS,CONTROLLER:PLAINTEXT"], "listener.security.protocol.map"),
            (["zookeeper.connect": "localhost:2181"], "zookeeper.connect"),
            (["log.segmnt.bytes": "100"], "log.segmnt.bytes"),
            (["broker.id": "7"], "broker.id"),
        ]
        for (overrides, key) in cases {
            #expect(throws: ConfigError.self, "\(overrides)") { try parse(overrides) }
            do { _ = try parse(overrides) } catch { #expect(error.key == key, "\(overrides) blamed \(error.key)") }
        }
        #expect(throws: ConfigError(key: "log.dirs", "required")) { try parse([:], removing: ["log.dirs"]) }
    }

    @Test func withoutAProtocolMapKafkasDefaultsApplyAndControllersArePlaintext() throws {
        let c = try parse([:], removing: ["listener.security.protocol.map"])
        #expect(c.listenerSecurityProtocols["CONTROLLER"] == "PLAINTEXT")
        #expect(c.listenerSecurityProtocols["PLAINTEXT"] == "PLAINTEXT")
        #expect(throws: ConfigError.self) {
            try parse(["listeners": "INTERNAL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093", "advertised.listeners": "INTERNAL://127.0.0.1:9092"],
                      removing: ["listener.security.protocol.map"])
        }
    }

    @Test func jvmTuningKeysAreAcceptedAndReported() throws {
        let c = try parse(["num.network.threads": "3", "num.io.threads": "8", "transaction.state.log.replication.factor": "1"])
        #expect(c.ignoredKeys == ["num.io.threads", "num.network.threads"])
        #expect(c.transactionStateLogReplicationFactor == 1, "a key Strom reads is not reported as ignored")
    }

    @Test func theOffsetsTopicKeysAreReadWithKafkasDefaultsExceptOnTheEmbeddedSingleNode() throws {
        let embedded = try parse([:])
        #expect(embedded.offsetsTopicReplicationFactor == 1, "the zero-config node, as Kafka's single-node quickstart")
        #expect(embedded.offsetsCommitTimeoutMs == 5_000)
        let kafkaDefault = try parse([:], removing: ["offsets.topic.replication.factor"])
        #expect(kafkaDefault.offsetsTopicReplicationFactor == 3)
        let set = try parse(["offsets.topic.replication.factor": "2", "offsets.commit.timeout.ms": "800"])
        #expect(set.offsetsTopicReplicationFactor == 2 && set.offsetsCommitTimeoutMs == 800)
        #expect(set.ignoredKeys.isEmpty, "both have an effect now")
        for bad in [["offsets.topic.replication.factor": "0"], ["offsets.topic.replication.factor": "40000"], ["offsets.commit.timeout.ms": "0"]] {
            #expect(throws: ConfigError.self) { try parse(bad) }
        }
    }

    @Test func listenersParseIPv6AndWildcards() {
        #expect(Listener(parsing: "PLAINTEXT://[::1]:9092") == Listener(name: "PLAINTEXT", host: "::1", port: 9092))
        #expect(Listener(parsing: "plaintext://:9092") == Listener(name: "PLAINTEXT", host: "", port: 9092))
        #expect(Listener(parsing: "PLAINTEXT://h:99999") == nil)
        #expect(QuorumVoter(parsing: "3@127.0.0.1:29093") == QuorumVoter(id: 3, host: "127.0.0.1", port: 29093))
    }
}

@Suite struct JavaPropertiesTests {
    @Test func separatorsCommentsContinuationsAndEscapes() {
        let text = """
        # comment
        ! also a comment
        node.id=1
        log.dirs : /a,\\
                   /b
        listeners PLAINTEXT://127.0.0.1:9092
        key\\ with\\ space=v\\tx\\u0041
          indented = 2
        empty=
        """
        let entries = JavaProperties.parse(text)
        let map = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        #expect(map["node.id"] == "1")
        #expect(map["log.dirs"] == "/a,/b")
        #expect(map["listeners"] == "PLAINTEXT://127.0.0.1:9092")
        #expect(map["key with space"] == "v\txA")
        #expect(map["indented"] == "2")
        #expect(map["empty"] == "")
        #expect(entries.first { $0.key == "listeners" }?.line == 6)
    }
}
