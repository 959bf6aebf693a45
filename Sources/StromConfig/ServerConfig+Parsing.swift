/// An invalid configuration: which key, and why.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "invalid configuration \(key): \(message)" }
}

extension ServerConfig {
    /// What `strom` runs with when given no configuration: one combined node on loopback, data in
    /// `./strom-data`. As in Kafka's single-node quickstart configuration, `__consumer_offsets` and
    /// `__transaction_state` have one replica (Kafka's default of three would leave a lone node without a
    /// group or transaction coordinator).
    public static let embeddedDefaults: [String: String] = [
        "node.id": "1",
        "process.roles": "broker,controller",
        "listeners": "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
        "advertised.listeners": "PLAINTEXT://127.0.0.1:9092",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.voters": "1@127.0.0.1:9093",
        "log.dirs": "./strom-data",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        MetricsListener.key: MetricsListener.zeroConfigurationDefault,
    ]

    /// Kafka keys accepted without effect: they tune the JVM broker's thread pools and sockets, or
    /// replication of internal topics Strom does not have yet, which a Strom node sizes for itself.
    public static let acceptedWithoutEffect: Set<String> = [
        "num.network.threads", "num.io.threads", "num.replica.fetchers", "num.recovery.threads.per.data.dir",
        "socket.send.buffer.bytes", "socket.receive.buffer.bytes", "background.threads", "queued.max.requests",
        "share.coordinator.state.topic.replication.factor", "share.coordinator.state.topic.min.isr",
        "metadata.log.dir", "log.message.format.version", "inter.broker.protocol.version",
    ]

    /// Parses Kafka-style properties. Later sources override earlier ones; keys Strom does not know
    /// at all are an error naming the key.
    public static func parse(_ properties: [String: String]) throws(ConfigError) -> ServerConfig {
        var p = Properties(properties)
        if p.has("zookeeper.connect") {
            throw ConfigError(key: "zookeeper.connect", "ZooKeeper mode is not supported; Strom runs KRaft only")
        }
        let nodeID = try p.int32("node.id", range: 0...Int32.max)
        if let brokerID = try p.optionalInt32("broker.id", range: -1...Int32.max), brokerID >= 0, brokerID != nodeID {
            throw ConfigError(key: "broker.id", "\(brokerID) differs from node.id \(nodeID)")
        }
        let roleNames = try p.list("process.roles")
        var roles: Set<ProcessRole> = []
        for name in roleNames {
            guard let role = ProcessRole(rawValue: name) else {
                throw ConfigError(key: "process.roles", "unknown role `\(name)` (use broker, controller)")
            }
            roles.insert(role)
        }
        guard roles == [.broker, .controller] else {
            throw ConfigError(key: "process.roles", "`\(roleNames.joined(separator: ","))`: Strom nodes run as broker,controller")
        }

        let listeners = try p.listeners("listeners")
        guard !listeners.isEmpty else { throw ConfigError(key: "listeners", "no listener given") }
        let advertised = try p.has("advertised.listeners") ? p.listeners("advertised.listeners") : []
        // Kafka's default map names each protocol after itself.
        var protocols: [String: String] = ["PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL"]
        if p.has("listener.security.protocol.map") {
            protocols = [:]
            for entry in try p.list("listener.security.protocol.map") {
                let parts = entry.split(separator: ":", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw ConfigError(key: "listener.security.protocol.map", "`\(entry)` is not NAME:PROTOCOL")
                }
                protocols[parts[0].uppercased()] = parts[1].uppercased()
            }
        }
        let controllerNames = try p.list("controller.listener.names").map { $0.uppercased() }
        // As in Kafka's KRaft mode, a controller listener missing from the map is PLAINTEXT.
        for name in controllerNames where protocols[name] == nil { protocols[name] = "PLAINTEXT" }
        for l in listeners + advertised {
            guard let proto = protocols[l.name] else {
                throw ConfigError(key: "listener.security.protocol.map", "no security protocol for listener \(l.name)")
            }
            guard ["PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"].contains(proto) else {
                throw ConfigError(key: "listener.security.protocol.map", "listener \(l.name) uses \(proto), not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
            }
        }
        guard !controllerNames.isEmpty else {
            throw ConfigError(key: "controller.listener.names", "required for a controller node")
        }
        for name in controllerNames where !listeners.contains(where: { $0.name == name }) {
            throw ConfigError(key: "controller.listener.names", "\(name) is not in listeners")
        }
        let brokerListeners = listeners.filter { !controllerNames.contains($0.name) }
        guard !brokerListeners.isEmpty else { throw ConfigError(key: "listeners", "no client listener besides the controller's") }
        let interBroker = try p.optionalString("inter.broker.listener.name")?.uppercased() ?? brokerListeners[0].name
        guard brokerListeners.contains(where: { $0.name == interBroker }) else {
            throw ConfigError(key: "inter.broker.listener.name", "\(interBroker) is not a client listener")
        }
        for a in advertised where controllerNames.contains(a.name) {
            throw ConfigError(key: "advertised.listeners", "the controller listener \(a.name) is not advertised to clients")
        }
        for a in advertised where a.host.isEmpty || a.host == "0.0.0.0" {
            throw ConfigError(key: "advertised.listeners", "\(a) needs a host clients can reach")
        }

        var voters: [QuorumVoter] = []
        if p.has("controller.quorum.voters") {
            for text in try p.list("controller.quorum.voters") {
                guard let v = QuorumVoter(parsing: text) else {
                    throw ConfigError(key: "controller.quorum.voters", "`\(text)` is not id@host:port")
                }
                guard !voters.contains(where: { $0.id == v.id }) else {
                    throw ConfigError(key: "controller.quorum.voters", "voter \(v.id) listed twice")
                }
                voters.append(v)
            }
        }
        let bootstrap = try p.has("controller.quorum.bootstrap.servers") ? p.list("controller.quorum.bootstrap.servers") : []
        if voters.isEmpty && bootstrap.isEmpty {
            throw ConfigError(key: "controller.quorum.voters", "required (or controller.quorum.bootstrap.servers)")
        }
        if !voters.isEmpty && !voters.contains(where: { $0.id == nodeID }) {
            throw ConfigError(key: "controller.quorum.voters", "node.id \(nodeID) is a controller but not among the voters")
        }

        var logDirs = try p.has("log.dirs") ? p.list("log.dirs") : []
        if logDirs.isEmpty, let single = try p.optionalString("log.dir") { logDirs = [single] }
        guard !logDirs.isEmpty else { throw ConfigError(key: "log.dirs", "required") }

        let hour: Int64 = 3_600_000
        // All three are read (so none is reported unknown); ms wins over minutes over hours.
        let retentionHours = try p.optionalInt64("log.retention.hours", range: -1...Int64.max / hour)
        let retentionMinutes = try p.optionalInt64("log.retention.minutes", range: -1...Int64.max / 60_000)
        let retentionMs: Int64
        if let ms = try p.optionalInt64("log.retention.ms", range: -1...Int64.max) {
            retentionMs = ms
        } else if let minutes = retentionMinutes {
            retentionMs = minutes < 0 ? -1 : minutes * 60_000
        } else {
            let hours = retentionHours ?? 168
            retentionMs = hours < 0 ? -1 : hours * hour
        }
        var rollMs = (try p.optionalInt64("log.roll.hours", range: 1...Int64.max / hour) ?? 168) * hour
        if let ms = try p.optionalInt64("log.roll.ms", range: 1...Int64.max) { rollMs = ms }

        var config = ServerConfig(
            nodeID: nodeID,
            processRoles: roles,
            listeners: listeners,
            advertisedListeners: advertised,
            listenerSecurityProtocols: protocols,
            controllerListenerNames: controllerNames,
            interBrokerListenerName: interBroker,
            quorumVoters: voters,
            quorumBootstrapServers: bootstrap,
            logDirs: logDirs,
            numPartitions: try p.optionalInt32("num.partitions", range: 1...Int32.max) ?? 1,
            defaultReplicationFactor: Int16(try p.optionalInt32("default.replication.factor", range: 1...Int32(Int16.max)) ?? 1),
            autoCreateTopicsEnable: try p.optionalBool("auto.create.topics.enable") ?? true,
            logSegmentBytes: Int(try p.optionalInt64("log.segment.bytes", range: 14...Int64(Int32.max)) ?? 1_073_741_824),
            logRollMs: rollMs,
            logRetentionMs: retentionMs,
            logRetentionBytes: try p.optionalInt64("log.retention.bytes", range: -1...Int64.max) ?? -1,
            logRetentionCheckIntervalMs: try p.optionalInt64("log.retention.check.interval.ms", range: 1...Int64.max) ?? 300_000,
            logFlushIntervalMessages: try p.optionalInt64("log.flush.interval.messages", range: 1...Int64.max),
            logFlushIntervalMs: try p.optionalInt64("log.flush.interval.ms", range: 0...Int64.max),
            logIndexIntervalBytes: Int(try p.optionalInt64("log.index.interval.bytes", range: 0...Int64(Int32.max)) ?? 4096),
            logIndexSizeMaxBytes: Int(try p.optionalInt64("log.index.size.max.bytes", range: 12...Int64(Int32.max)) ?? 10_485_760),
            messageMaxBytes: Int(try p.optionalInt64("message.max.bytes", range: 0...Int64(Int32.max)) ?? 1_048_588),
            socketRequestMaxBytes: Int(try p.optionalInt64("socket.request.max.bytes", range: 1...Int64(Int32.max)) ?? 104_857_600),
            offsetsTopicNumPartitions: try p.optionalInt32("offsets.topic.num.partitions", range: 1...Int32.max) ?? 50,
            offsetsRetentionMinutes: try p.optionalInt64("offsets.retention.minutes", range: 1...Int64.max / 60_000) ?? 10_080,
            groupInitialRebalanceDelayMs: try p.optionalInt64("group.initial.rebalance.delay.ms", range: 0...Int64.max) ?? 3_000,
            groupMinSessionTimeoutMs: try p.optionalInt32("group.min.session.timeout.ms", range: 0...Int32.max) ?? 6_000,
            groupMaxSessionTimeoutMs: try p.optionalInt32("group.max.session.timeout.ms", range: 0...Int32.max) ?? 1_800_000,
            ignoredKeys: p.remaining.filter { acceptedWithoutEffect.contains($0) }.sorted()
        )
        config.offsetsRetentionCheckIntervalMs = try p.optionalInt64("offsets.retention.check.interval.ms", range: 1...Int64.max) ?? 600_000
        config.offsetsTopicReplicationFactor = Int16(try p.optionalInt32("offsets.topic.replication.factor", range: 1...Int32(Int16.max)) ?? 3)
        config.offsetsCommitTimeoutMs = try p.optionalInt64("offsets.commit.timeout.ms", range: 1...Int64(Int32.max)) ?? 5_000
        config.logCleanerEnable = try p.optionalBool("log.cleaner.enable") ?? true
        config.logCleanerBackoffMs = try p.optionalInt64("log.cleaner.backoff.ms", range: 0...Int64.max) ?? 15_000
        config.replicaHighWatermarkCheckpointIntervalMs = try p.optionalInt64("replica.high.watermark.checkpoint.interval.ms", range: 0...Int64.max) ?? 5_000
        config.logFlushOffsetCheckpointIntervalMs = try p.optionalInt64("log.flush.offset.checkpoint.interval.ms", range: 0...Int64(Int32.max)) ?? 60_000
        config.logFlushStartOffsetCheckpointIntervalMs = try p.optionalInt64("log.flush.start.offset.checkpoint.interval.ms", range: 0...Int64(Int32.max)) ?? 60_000
        config.explicitKeys = Set(properties.keys)
        config.quorumElectionTimeoutMs = try p.optionalInt64("controller.quorum.election.timeout.ms", range: 1...Int64(Int32.max)) ?? 1_000
        config.quorumFetchTimeoutMs = try p.optionalInt64("controller.quorum.fetch.timeout.ms", range: 1...Int64(Int32.max)) ?? 2_000
        config.quorumElectionBackoffMaxMs = try p.optionalInt64("controller.quorum.election.backoff.max.ms", range: 1...Int64(Int32.max)) ?? 1_000
        config.quorumRequestTimeoutMs = try p.optionalInt64("controller.quorum.request.timeout.ms", range: 1...Int64(Int32.max)) ?? 2_000
        config.brokerHeartbeatIntervalMs = try p.optionalInt64("broker.heartbeat.interval.ms", range: 1...Int64(Int32.max)) ?? 2_000
        config.brokerSessionTimeoutMs = try p.optionalInt64("broker.session.timeout.ms", range: 1...Int64(Int32.max)) ?? 9_000
        config.metadataSnapshotMaxBytes = try p.optionalInt64("metadata.log.max.record.bytes.between.snapshots", range: 1...Int64.max) ?? (20 << 20)
        config.metadataSnapshotIntervalMs = try p.optionalInt64("metadata.log.max.snapshot.interval.ms", range: 0...Int64.max) ?? 3_600_000
        config.controllerQuotaWindowNum = Int(try p.optionalInt32("controller.quota.window.num", range: 1...Int32.max) ?? 11)
        config.quotaWindowNum = Int(try p.optionalInt32("quota.window.num", range: 1...Int32.max) ?? 11)
        config.quotaWindowSizeSeconds = Int(try p.optionalInt32("quota.window.size.seconds", range: 1...Int32.max) ?? 1)
        config.controllerQuotaWindowSizeSeconds = Int(try p.optionalInt32("controller.quota.window.size.seconds", range: 1...Int32.max) ?? 1)
        config.uncleanLeaderElectionEnable = try p.optionalBool("unclean.leader.election.enable") ?? false
        config.logMessageDownconversionEnable = try p.optionalBool("log.message.downconversion.enable") ?? true
        if let policy = try p.optionalString("log.cleanup.policy") {
            let items = policy.split(separator: ",").map { $0.trimmingWhitespace() }
            guard !items.isEmpty, items.allSatisfy({ $0 == "delete" || $0 == "compact" }) else {
                throw ConfigError(key: "log.cleanup.policy", "`\(policy)`: a list of delete and compact")
            }
            config.logCleanupPolicy = items.joined(separator: ",")
        }
        config.transactionStateLogNumPartitions = try p.optionalInt32("transaction.state.log.num.partitions", range: 1...Int32.max) ?? 50
        config.transactionStateLogReplicationFactor = Int16(try p.optionalInt32("transaction.state.log.replication.factor", range: 1...Int32(Int16.max)) ?? 3)
        config.transactionStateLogMinIsr = try p.optionalInt32("transaction.state.log.min.isr", range: 1...Int32.max) ?? 2
        config.transactionStateLogSegmentBytes = try p.optionalInt32("transaction.state.log.segment.bytes", range: 1...Int32.max) ?? 104_857_600
        config.transactionMaxTimeoutMs = try p.optionalInt32("transaction.max.timeout.ms", range: 1...Int32.max) ?? 900_000
        config.transactionalIDExpirationMs = try p.optionalInt64("transactional.id.expiration.ms", range: 1...Int64(Int32.max)) ?? 604_800_000
        config.transactionPartitionVerificationEnable = try p.optionalBool("transaction.partition.verification.enable") ?? true
        config.producerIDExpirationMs = try p.optionalInt64("producer.id.expiration.ms", range: 1...Int64(Int32.max)) ?? 86_400_000
        config.producerIDExpirationCheckIntervalMs =
            try p.optionalInt64("producer.id.expiration.check.interval.ms", range: 1...Int64(Int32.max)) ?? 600_000
        config.transactionAbortTimedOutTransactionCleanupIntervalMs =
            try p.optionalInt64("transaction.abort.timed.out.transaction.cleanup.interval.ms", range: 1...Int64(Int32.max)) ?? 10_000
        config.transactionRemoveExpiredTransactionCleanupIntervalMs =
            try p.optionalInt64("transaction.remove.expired.transaction.cleanup.interval.ms", range: 1...Int64(Int32.max)) ?? 3_600_000
        config.autoLeaderRebalanceEnable = try p.optionalBool("auto.leader.rebalance.enable") ?? true
        config.leaderImbalanceCheckIntervalSeconds = try p.optionalInt64("leader.imbalance.check.interval.seconds", range: 1...Int64.max / 1_000) ?? 300
        config.brokerRack = try p.optionalString("broker.rack")
        if let name = try p.optionalString("replica.selector.class") {
            guard let selector = ReplicaSelectorClass(rawValue: name) else {
                throw ConfigError(key: "replica.selector.class",
                                  "`\(name)` is not a replica selector Strom has (\(ReplicaSelectorClass.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            config.replicaSelectorClass = selector
        }
        config.leaderImbalancePerBrokerPercentage = try p.optionalInt32("leader.imbalance.per.broker.percentage", range: 0...Int32.max) ?? 10
        if config.brokerHeartbeatIntervalMs >= config.brokerSessionTimeoutMs {
            throw ConfigError(key: "broker.heartbeat.interval.ms", "must be less than broker.session.timeout.ms")
        }
        config.groupConsumerSessionTimeoutMs = try p.optionalInt32("group.consumer.session.timeout.ms", range: 1...Int32.max) ?? 45_000
        config.groupConsumerHeartbeatIntervalMs = try p.optionalInt32("group.consumer.heartbeat.interval.ms", range: 1...Int32.max) ?? 5_000
        config.groupConsumerMaxSize = try p.optionalInt32("group.consumer.max.size", range: 1...Int32.max) ?? .max
        if config.groupConsumerHeartbeatIntervalMs >= config.groupConsumerSessionTimeoutMs {
            throw ConfigError(key: "group.consumer.heartbeat.interval.ms", "must be less than group.consumer.session.timeout.ms")
        }
        config.replicaLagTimeMaxMs = try p.optionalInt64("replica.lag.time.max.ms", range: 1...Int64(Int32.max)) ?? 30_000
        config.replicaFetchWaitMaxMs = try p.optionalInt32("replica.fetch.wait.max.ms", range: 0...Int32.max) ?? 500
        config.replicaFetchMinBytes = try p.optionalInt32("replica.fetch.min.bytes", range: 1...Int32.max) ?? 1
        config.replicaFetchMaxBytes = try p.optionalInt32("replica.fetch.max.bytes", range: 0...Int32.max) ?? 1_048_576
        config.replicaFetchResponseMaxBytes = try p.optionalInt32("replica.fetch.response.max.bytes", range: 0...Int32.max) ?? 10_485_760
        config.fetchMaxBytes = Int(try p.optionalInt32("fetch.max.bytes", range: 1024...Int32.max) ?? 57_671_680)
        config.replicaFetchBackoffMs = try p.optionalInt64("replica.fetch.backoff.ms", range: 0...Int64(Int32.max)) ?? 1_000
        config.replicaSocketTimeoutMs = try p.optionalInt64("replica.socket.timeout.ms", range: 1...Int64(Int32.max)) ?? 30_000
        config.minInsyncReplicas = try p.optionalInt32("min.insync.replicas", range: 1...Int32.max) ?? 1
        if Int64(config.replicaFetchWaitMaxMs) >= config.replicaSocketTimeoutMs {
            throw ConfigError(key: "replica.fetch.wait.max.ms", "must be less than replica.socket.timeout.ms")
        }
        if let text = try p.optionalString(MetricsListener.key)?.trimmingWhitespace(), !text.isEmpty {
            do { config.metricsListener = try MetricsListener(parsing: text) } catch {
                throw ConfigError(key: MetricsListener.key, "\(text): \(error)")
            }
        }
        try parseSasl(&p, into: &config)
        try parseTls(&p, into: &config)
        if let text = try p.optionalString("super.users") {
            for entry in text.split(separator: ";").map({ $0.trimmingWhitespace() }).filter({ !$0.isEmpty }) {
                guard let colon = entry.firstIndex(of: ":"), colon != entry.startIndex else {
                    throw ConfigError(key: "super.users", "`\(entry)` is not a principal (Type:name, e.g. User:admin)")
                }
                config.superUsers.insert(entry)
            }
        }
        if let name = try p.optionalString("authorizer.class.name")?.trimmingWhitespace(), !name.isEmpty {
            switch name {
            case ServerConfig.standardAuthorizerClassName:
                config.authorizerEnabled = true
            case "kafka.security.authorizer.AclAuthorizer", "kafka.security.auth.SimpleAclAuthorizer":
                throw ConfigError(key: "authorizer.class.name",
                                  "\(name) keeps ACLs in ZooKeeper; in KRaft mode use \(ServerConfig.standardAuthorizerClassName)")
            default:
                // Refused rather than ignored: a node that accepted it would serve every client as if ACLs held.
                throw ConfigError(key: "authorizer.class.name",
                                  "\(name) is not an authorizer Strom has; the one it has is \(ServerConfig.standardAuthorizerClassName)")
            }
        }
        if let text = try p.optionalString("allow.everyone.if.no.acl.found") {
            // Java's Boolean.parseBoolean, as Kafka's StandardAuthorizer reads it: anything but "true" is false.
            config.allowEveryoneIfNoAclFound = text.trimmingWhitespace().lowercased() == "true"
        }
        if let unknown = p.remaining.filter({ !acceptedWithoutEffect.contains($0) }).sorted().first {
            throw ConfigError(key: unknown, "unknown configuration key")
        }
        config.knownKeys = p.read.union(acceptedWithoutEffect)
        if config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs {
            throw ConfigError(key: "group.min.session.timeout.ms", "greater than group.max.session.timeout.ms")
        }
        return config
    }
}

extension ServerConfig {
    /// The SASL settings of every SASL_PLAINTEXT listener (see `ListenerSasl`), and the mechanisms this
    /// node uses as a client of its inter-broker and controller listeners when those are SASL.
    fileprivate static func parseSasl(_ p: inout Properties, into config: inout ServerConfig) throws(ConfigError) {
        config.connectionsMaxReauthMs = try p.optionalInt64("connections.max.reauth.ms", range: 0...Int64.max) ?? 0
        config.connectionsMaxIdleMs = try p.optionalInt64("connections.max.idle.ms", range: 1...Int64(Int32.max) * 1000) ?? 600_000
        config.connectionFailedAuthenticationDelayMs = try p.optionalInt64("connection.failed.authentication.delay.ms", range: 0...Int64(Int32.max)) ?? 100
        config.saslServerMaxReceiveSize = Int(try p.optionalInt32("sasl.server.max.receive.size", range: 1...Int32.max) ?? 524_288)
        config.saslMechanismInterBrokerProtocol = try p.optionalString("sasl.mechanism.inter.broker.protocol")?.uppercased() ?? "GSSAPI"
        config.saslMechanismControllerProtocol = try p.optionalString("sasl.mechanism.controller.protocol")?.uppercased() ?? "GSSAPI"
        let defaultMechanisms = try p.has("sasl.enabled.mechanisms") ? p.list("sasl.enabled.mechanisms") : ["GSSAPI"]
        for listener in config.listeners where config.listenerSecurityProtocols[listener.name]?.hasPrefix("SASL_") == true {
            let prefix = "listener.name.\(listener.name.lowercased())."
            let key = prefix + "sasl.enabled.mechanisms"
            let mechanisms = (try p.has(key) ? p.list(key) : defaultMechanisms).map { $0.uppercased() }
            guard !mechanisms.isEmpty else { throw ConfigError(key: key, "no mechanism enabled for listener \(listener.name)") }
            for m in mechanisms where !ListenerSasl.servedMechanisms.contains(m) {
                throw ConfigError(key: p.has(key) ? key : "sasl.enabled.mechanisms",
                                  "\(m) is not supported on listener \(listener.name) (Strom serves \(ListenerSasl.servedMechanisms.joined(separator: ", ")))")
            }
            var jaas: [String: JaasConfig] = [:]
            // Login modules of mechanisms the listener does not enable are read (and checked) but unused.
            for m in ListenerSasl.servedMechanisms {
                let jaasKey = prefix + m.lowercased() + ".sasl.jaas.config"
                guard let text = try p.optionalString(jaasKey) else {
                    if m == "PLAIN", mechanisms.contains(m) {
                        throw ConfigError(key: jaasKey, "required: PLAIN's users are its user_<name>=\"<password>\" options")
                    }
                    continue
                }
                let parsed: JaasConfig
                do { parsed = try JaasConfig(parsing: text) } catch { throw ConfigError(key: jaasKey, error.description) }
                if mechanisms.contains(m) { jaas[m] = parsed }
            }
            config.saslListeners[listener.name] = ListenerSasl(enabledMechanisms: mechanisms, jaas: jaas)
        }
        if p.has("sasl.jaas.config") {
            throw ConfigError(key: "sasl.jaas.config", "a broker reads listener.name.<listener>.<mechanism>.sasl.jaas.config (Kafka ignores this key on brokers)")
        }
        for (name, mechanismKey, mechanism) in [(config.interBrokerListenerName, "sasl.mechanism.inter.broker.protocol", config.saslMechanismInterBrokerProtocol)]
            + config.controllerListenerNames.map({ ($0, "sasl.mechanism.controller.protocol", config.saslMechanismControllerProtocol) }) {
            guard let sasl = config.saslListeners[name] else { continue }
            guard sasl.enabledMechanisms.contains(mechanism) else {
                throw ConfigError(key: mechanismKey, "\(mechanism) must be among the mechanisms enabled on \(name), which this node connects to")
            }
            if config.controllerListenerNames.contains(name), mechanism.hasPrefix("SCRAM") {
                // As in Kafka (KIP-900): SCRAM credentials live in the metadata log the controllers replicate.
                throw ConfigError(key: mechanismKey, "SCRAM cannot authenticate controllers: its credentials live in the metadata log they replicate (use PLAIN)")
            }
            guard sasl.clientCredentials(mechanism: mechanism) != nil else {
                throw ConfigError(key: "listener.name.\(name.lowercased()).\(mechanism.lowercased()).sasl.jaas.config",
                                  "needs username and password: this node authenticates with them to \(name)")
            }
        }
    }
}

extension ServerConfig {
    /// The TLS settings of every SSL and SASL_SSL listener (see `ListenerTls`).
    fileprivate static func parseTls(_ p: inout Properties, into config: inout ServerConfig) throws(ConfigError) {
        let keys = ["ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
                    "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.truststore.type", "ssl.truststore.location",
                    "ssl.truststore.password", "ssl.truststore.certificates", "ssl.client.auth", "ssl.enabled.protocols",
                    "ssl.endpoint.identification.algorithm", "ssl.principal.mapping.rules", "ssl.protocol"]
        var global: [String: String] = [:]
        for key in keys { if let v = try p.optionalString(key) { global[key] = v } }
        for listener in config.listeners {
            let proto = config.listenerSecurityProtocols[listener.name] ?? "PLAINTEXT"
            let prefix = "listener.name.\(listener.name.lowercased())."
            var values = global
            for key in keys { if let v = try p.optionalString(prefix + key) { values[key] = v } }
            guard proto == "SSL" || proto == "SASL_SSL" else { continue }
            func keyName(_ key: String) -> String { values[key] != nil && global[key] != values[key] ? prefix + key : key }
            func storeType(_ key: String) throws(ConfigError) -> ListenerTls.StoreType {
                let text = (values[key] ?? "JKS").uppercased()
                guard let t = ListenerTls.StoreType(rawValue: text) else {
                    throw ConfigError(key: keyName(key), "\(text) is not supported on listener \(listener.name): use PEM or PKCS12 (JKS is Java's own keystore format)")
                }
                return t
            }
            var keystore: ListenerTls.Keystore?
            if values["ssl.keystore.location"] != nil || values["ssl.keystore.certificate.chain"] != nil || values["ssl.keystore.key"] != nil {
                let inline = values["ssl.keystore.certificate.chain"] != nil || values["ssl.keystore.key"] != nil
                let type: ListenerTls.StoreType = inline && values["ssl.keystore.type"] == nil ? .pem : try storeType("ssl.keystore.type")
                if inline {
                    guard type == .pem else { throw ConfigError(key: keyName("ssl.keystore.type"), "inline certificate chain and key need ssl.keystore.type=PEM") }
                    guard values["ssl.keystore.location"] == nil else {
                        throw ConfigError(key: keyName("ssl.keystore.location"), "give either a location or ssl.keystore.certificate.chain and ssl.keystore.key, not both")
                    }
                    guard values["ssl.keystore.certificate.chain"] != nil, values["ssl.keystore.key"] != nil else {
                        throw ConfigError(key: keyName("ssl.keystore.key"), "ssl.keystore.certificate.chain and ssl.keystore.key go together")
                    }
                }
                keystore = .init(type: type, location: values["ssl.keystore.location"], password: values["ssl.keystore.password"],
                                 keyPassword: values["ssl.key.password"], certificateChain: values["ssl.keystore.certificate.chain"],
                                 key: values["ssl.keystore.key"])
            }
            guard keystore != nil else {
                throw ConfigError(key: prefix + "ssl.keystore.location", "listener \(listener.name) is \(proto) and needs this node's certificate and key")
            }
            var truststore: ListenerTls.Truststore?
            if values["ssl.truststore.location"] != nil || values["ssl.truststore.certificates"] != nil {
                let inline = values["ssl.truststore.certificates"] != nil
                let type: ListenerTls.StoreType = inline && values["ssl.truststore.type"] == nil ? .pem : try storeType("ssl.truststore.type")
                guard type == .pem else {
                    // A PKCS#12 file of CA certificates alone (no key) is what Java writes; swift-nio-ssl
                    // cannot open one without a key.
                    throw ConfigError(key: keyName("ssl.truststore.type"),
                                      "PKCS12 truststores are not supported: use PEM (openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem)")
                }
                guard !inline || type == .pem else { throw ConfigError(key: keyName("ssl.truststore.type"), "inline certificates need ssl.truststore.type=PEM") }
                truststore = .init(type: type, location: values["ssl.truststore.location"], password: values["ssl.truststore.password"],
                                   certificates: values["ssl.truststore.certificates"])
            }
            // As in Kafka (KIP-684), a SASL_SSL listener asks for client certificates only when its own
            // listener.name.<l>.ssl.client.auth says so; the broker-wide key does not apply to it.
            let prefixedAuth = try p.optionalString(prefix + "ssl.client.auth")
            let authText = (proto == "SASL_SSL" ? prefixedAuth : values["ssl.client.auth"]) ?? "none"
            guard let clientAuth = ListenerTls.ClientAuth(rawValue: authText) else {
                throw ConfigError(key: keyName("ssl.client.auth"), "`\(authText)` is not none, requested or required")
            }
            if clientAuth != .none && truststore == nil {
                throw ConfigError(key: prefix + "ssl.truststore.location", "ssl.client.auth=\(authText) needs a truststore to check client certificates against")
            }
            let protocols = (values["ssl.enabled.protocols"] ?? "TLSv1.2,TLSv1.3").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            for proto in protocols where !["TLSv1.2", "TLSv1.3"].contains(proto) {
                throw ConfigError(key: keyName("ssl.enabled.protocols"), "\(proto) is not offered (TLSv1.2, TLSv1.3)")
            }
            guard !protocols.isEmpty else { throw ConfigError(key: keyName("ssl.enabled.protocols"), "no protocol enabled") }
            let rules = values["ssl.principal.mapping.rules"] ?? "DEFAULT"
            do { _ = try SslPrincipalMapper(rules: rules) } catch { throw ConfigError(key: keyName("ssl.principal.mapping.rules"), error.description) }
            let algorithm = values["ssl.endpoint.identification.algorithm"] ?? "https"
            guard algorithm.isEmpty || algorithm.lowercased() == "https" else {
                throw ConfigError(key: keyName("ssl.endpoint.identification.algorithm"), "`\(algorithm)` is not https or empty")
            }
            config.tlsListeners[listener.name] = ListenerTls(keystore: keystore, truststore: truststore, clientAuth: clientAuth,
                                                             enabledProtocols: protocols, endpointIdentificationAlgorithm: algorithm,
                                                             principalMappingRules: rules)
        }
    }
}

/// Typed reads of property values that remember which keys were used.
private struct Properties {
    private let values: [String: String]
    private var used: Set<String> = []

    init(_ values: [String: String]) { self.values = values }

    var remaining: [String] { values.keys.filter { !used.contains($0) } }

    /// Every key read so far, present or not.
    var read: Set<String> { used }

    mutating func has(_ key: String) -> Bool {
        used.insert(key)
        guard let v = values[key] else { return false }
        return !v.trimmingWhitespace().isEmpty
    }

    mutating func optionalString(_ key: String) throws(ConfigError) -> String? {
        used.insert(key)
        guard let v = values[key]?.trimmingWhitespace(), !v.isEmpty else { return nil }
        return v
    }

    mutating func list(_ key: String) throws(ConfigError) -> [String] {
        guard let v = try optionalString(key) else { throw ConfigError(key: key, "required") }
        return v.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    mutating func listeners(_ key: String) throws(ConfigError) -> [Listener] {
        var out: [Listener] = []
        for text in try list(key) {
            guard let l = Listener(parsing: text) else { throw ConfigError(key: key, "`\(text)` is not NAME://host:port") }
            guard !out.contains(where: { $0.name == l.name }) else { throw ConfigError(key: key, "listener \(l.name) given twice") }
            out.append(l)
        }
        return out
    }

    mutating func optionalInt64(_ key: String, range: ClosedRange<Int64>) throws(ConfigError) -> Int64? {
        guard let text = try optionalString(key) else { return nil }
        guard let v = Int64(text) else { throw ConfigError(key: key, "`\(text)` is not a whole number") }
        guard range.contains(v) else { throw ConfigError(key: key, "\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    mutating func optionalInt32(_ key: String, range: ClosedRange<Int32>) throws(ConfigError) -> Int32? {
        try optionalInt64(key, range: Int64(range.lowerBound)...Int64(range.upperBound)).map { Int32($0) }
    }

    mutating func int32(_ key: String, range: ClosedRange<Int32>) throws(ConfigError) -> Int32 {
        guard let v = try optionalInt32(key, range: range) else { throw ConfigError(key: key, "required") }
        return v
    }

    mutating func optionalBool(_ key: String) throws(ConfigError) -> Bool? {
        guard let text = try optionalString(key) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ConfigError(key: key, "`\(text)` is not true or false")
        }
    }
}
