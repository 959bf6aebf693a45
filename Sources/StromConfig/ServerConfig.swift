/// A broker+controller node's settings, by Kafka's `server.properties` keys and defaults.
///
/// Durations and sizes keep Kafka's units (ms, bytes). Keys are validated together: listeners must
/// exist for the controller listener names, a controller node must be among the quorum voters, and
/// every number must be in its range. See `ServerConfig.parse`.
public struct ServerConfig: Hashable, Sendable {
    public enum ProcessRole: String, Hashable, Sendable, CaseIterable {
        case broker, controller
    }

    public var nodeID: Int32
    public var processRoles: Set<ProcessRole>
    public var listeners: [Listener]
    public var advertisedListeners: [Listener]
    /// Listener name → security protocol (`PLAINTEXT`, …).
    public var listenerSecurityProtocols: [String: String]
    public var controllerListenerNames: [String]
    public var interBrokerListenerName: String
    public var quorumVoters: [QuorumVoter]
    public var quorumBootstrapServers: [String]
    public var logDirs: [String]

    public var numPartitions: Int32
    public var defaultReplicationFactor: Int16
    public var autoCreateTopicsEnable: Bool
    public var logSegmentBytes: Int
    public var logRollMs: Int64
    public var logRetentionMs: Int64
    public var logRetentionBytes: Int64
    public var logRetentionCheckIntervalMs: Int64
    /// Flush after this many messages; nil when unset, in which case Strom flushes before
    /// acknowledging acks=all produce requests (a single node has no replicas to lean on).
    public var logFlushIntervalMessages: Int64?
    /// Flush when data is older than this; nil when unset.
    public var logFlushIntervalMs: Int64?
    public var logIndexIntervalBytes: Int
    public var logIndexSizeMaxBytes: Int
    public var messageMaxBytes: Int
    public var socketRequestMaxBytes: Int

    public var offsetsTopicNumPartitions: Int32
    public var offsetsRetentionMinutes: Int64
    /// `offsets.retention.check.interval.ms`: how often expired committed offsets are removed.
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offsets.topic.replication.factor`: the replicas `__consumer_offsets` is created with (Kafka's
    /// default, 3; the embedded single-node defaults say 1). Until that many brokers are registered and
    /// unfenced the topic cannot be created, and FindCoordinator answers COORDINATOR_NOT_AVAILABLE.
    public var offsetsTopicReplicationFactor: Int16 = 3
    /// `transaction.state.log.num.partitions`, `.replication.factor`, `.min.isr`, `.segment.bytes`: how
    /// `__transaction_state` is created (Kafka's defaults 50, 3, 2, 100 MiB; the embedded single-node
    /// defaults say 1 replica and min ISR 1).
    public var transactionStateLogNumPartitions: Int32 = 50
    public var transactionStateLogReplicationFactor: Int16 = 3
    public var transactionStateLogMinIsr: Int32 = 2
    public var transactionStateLogSegmentBytes: Int32 = 104_857_600
    /// `transaction.max.timeout.ms`: the longest `transaction.timeout.ms` a producer may ask for.
    public var transactionMaxTimeoutMs: Int32 = 900_000
    /// `transactional.id.expiration.ms`: a transactional id idle this long is forgotten.
    public var transactionalIDExpirationMs: Int64 = 604_800_000
    /// `producer.id.expiration.ms`, `producer.id.expiration.check.interval.ms`: a partition forgets a
    /// producer with no open transaction whose last batch or marker is this old, checked this often.
    public var producerIDExpirationMs: Int64 = 86_400_000
    public var producerIDExpirationCheckIntervalMs: Int64 = 600_000
    /// `transaction.partition.verification.enable` (KIP-890): a partition leader asks the coordinator
    /// before a transactional producer's first batch of a transaction is written to the partition.
    public var transactionPartitionVerificationEnable = true
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`,
    /// `transaction.remove.expired.transaction.cleanup.interval.ms`: the coordinator's scans.
    public var transactionAbortTimedOutTransactionCleanupIntervalMs: Int64 = 10_000
    public var transactionRemoveExpiredTransactionCleanupIntervalMs: Int64 = 3_600_000
    /// `offsets.commit.timeout.ms`: how long a group change or offset commit waits for the ISR of its
    /// `__consumer_offsets` partition before it is answered COORDINATOR_NOT_AVAILABLE.
    public var offsetsCommitTimeoutMs: Int64 = 5_000
    public var groupInitialRebalanceDelayMs: Int64
    public var groupMinSessionTimeoutMs: Int32
    public var groupMaxSessionTimeoutMs: Int32
    /// `group.consumer.session.timeout.ms`, `group.consumer.heartbeat.interval.ms`, `group.consumer.max.size`:
    /// the consumer (KIP-848) group settings.
    public var groupConsumerSessionTimeoutMs: Int32 = 45_000
    public var groupConsumerHeartbeatIntervalMs: Int32 = 5_000
    public var groupConsumerMaxSize: Int32 = .max

    /// `replica.high.watermark.checkpoint.interval.ms`: how often each log directory's high watermarks are
    /// written to its `replication-offset-checkpoint` (and at shutdown).
    public var replicaHighWatermarkCheckpointIntervalMs: Int64 = 5_000
    /// `log.flush.offset.checkpoint.interval.ms`: how often each log directory's recovery points are written
    /// to its `recovery-point-offset-checkpoint` (and at shutdown).
    public var logFlushOffsetCheckpointIntervalMs: Int64 = 60_000
    /// `log.flush.start.offset.checkpoint.interval.ms`: how often each log directory's log start offsets are
    /// written to its `log-start-offset-checkpoint` (and at shutdown).
    public var logFlushStartOffsetCheckpointIntervalMs: Int64 = 60_000

    /// `log.cleaner.enable`: whether compacted topics (`cleanup.policy=compact`) are cleaned.
    public var logCleanerEnable = true
    /// `log.cleaner.backoff.ms`: how long the cleaner waits when it found nothing to clean.
    public var logCleanerBackoffMs: Int64 = 15_000

    /// `controller.quorum.election.timeout.ms`, `controller.quorum.fetch.timeout.ms`,
    /// `controller.quorum.election.backoff.max.ms`, `controller.quorum.request.timeout.ms`: the quorum's timers.
    public var quorumElectionTimeoutMs: Int64 = 1_000
    public var quorumFetchTimeoutMs: Int64 = 2_000
    public var quorumElectionBackoffMaxMs: Int64 = 1_000
    public var quorumRequestTimeoutMs: Int64 = 2_000
    /// `broker.heartbeat.interval.ms`: how often a broker heartbeats to the active controller.
    public var brokerHeartbeatIntervalMs: Int64 = 2_000
    /// `metadata.log.max.record.bytes.between.snapshots`: committed metadata bytes that trigger a snapshot.
    public var metadataSnapshotMaxBytes: Int64 = 20 << 20
    /// `metadata.log.max.snapshot.interval.ms`: the longest a snapshot waits once anything was committed.
    public var metadataSnapshotIntervalMs: Int64 = 3_600_000
    /// `broker.session.timeout.ms`: a broker without a heartbeat for this long is fenced.
    public var brokerSessionTimeoutMs: Int64 = 9_000
    /// `controller.quota.window.num` and `controller.quota.window.size.seconds`: the controller mutation
    /// quota's window (KIP-599); a client's burst is its `controller_mutation_rate` times both.
    public var controllerQuotaWindowNum: Int = 11
    public var controllerQuotaWindowSizeSeconds: Int = 1
    /// `quota.window.num` and `quota.window.size.seconds`: the windows client quotas
    /// (`producer_byte_rate`, `consumer_byte_rate`, `request_percentage`) measure rates over.
    public var quotaWindowNum: Int = 11
    public var quotaWindowSizeSeconds: Int = 1
    /// `unclean.leader.election.enable`: the default of the topic key of that name (whether a replica
    /// outside the ISR may become leader when no ISR member can, at the price of losing records).
    public var uncleanLeaderElectionEnable = false
    /// `log.message.downconversion.enable`: the default of the topic key `message.downconversion.enable`
    /// (whether Fetch v0-3 consumers get stored batches converted to their message format).
    public var logMessageDownconversionEnable = true
    /// `log.cleanup.policy`: the default of the topic key `cleanup.policy` (delete, compact, or both).
    public var logCleanupPolicy = "delete"
    /// `auto.leader.rebalance.enable`, `leader.imbalance.check.interval.seconds`,
    /// `leader.imbalance.per.broker.percentage`: the active controller moves leadership back to the
    /// preferred replicas every check interval, for each broker whose share of partitions led by
    /// someone else, among those it is the preferred replica of, is above the percentage.
    public var autoLeaderRebalanceEnable = true
    public var leaderImbalanceCheckIntervalSeconds: Int64 = 300
    public var leaderImbalancePerBrokerPercentage: Int32 = 10
    /// `broker.rack`: the rack this broker registers with; replicas of a partition go to different racks.
    public var brokerRack: String?
    /// `replica.selector.class` (KIP-392): nil (Kafka's default) keeps consumers on the leaders; with
    /// ``ReplicaSelectorClass/rackAware`` a leader sends a consumer with `client.rack` to a caught-up
    /// follower in its rack.
    public var replicaSelectorClass: ReplicaSelectorClass?

    /// Partition replication: `replica.lag.time.max.ms` (a follower not caught up for this long leaves
    /// the ISR), `replica.fetch.wait.max.ms`, `replica.fetch.min.bytes`, `replica.fetch.max.bytes` (per
    /// partition), `replica.fetch.response.max.bytes`, `replica.fetch.backoff.ms` (after a failed fetch),
    /// `replica.socket.timeout.ms`, and `min.insync.replicas` (the broker default of the topic setting).
    public var replicaLagTimeMaxMs: Int64 = 30_000
    public var replicaFetchWaitMaxMs: Int32 = 500
    public var replicaFetchMinBytes: Int32 = 1
    public var replicaFetchMaxBytes: Int32 = 1_048_576
    public var replicaFetchResponseMaxBytes: Int32 = 10_485_760
    /// `fetch.max.bytes`: the most record bytes one consumer fetch returns, whatever it asks for
    /// (Kafka's default, 55 MiB).
    public var fetchMaxBytes: Int = 57_671_680
    public var replicaFetchBackoffMs: Int64 = 1_000
    public var replicaSocketTimeoutMs: Int64 = 30_000
    public var minInsyncReplicas: Int32 = 1
    /// `super.users` (`User:admin;User:broker`): the principals allowed everything by the authorizer.
    /// Without one, the principals that may change SCRAM credentials and the quorum's voters.
    public var superUsers: Set<String> = []
    /// `authorizer.class.name` names Kafka's `StandardAuthorizer`: every request is checked against the
    /// ACLs in the metadata log (see `KafkaSecurity.StandardAuthorizer`).
    public var authorizerEnabled = false
    /// `allow.everyone.if.no.acl.found`: allow an action on a resource that no ACL names (default false).
    public var allowEveryoneIfNoAclFound = false
    /// The one authorizer class Strom has (Kafka's KRaft authorizer).
    public static let standardAuthorizerClassName = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    /// SASL settings of each SASL_PLAINTEXT or SASL_SSL listener, by listener name.
    public var saslListeners: [String: ListenerSasl] = [:]
    /// TLS settings of each SSL or SASL_SSL listener, by listener name.
    public var tlsListeners: [String: ListenerTls] = [:]
    /// `sasl.mechanism.inter.broker.protocol`: how this broker authenticates to a SASL inter-broker listener.
    public var saslMechanismInterBrokerProtocol = "GSSAPI"
    /// `sasl.mechanism.controller.protocol`: how this node authenticates to a SASL controller listener.
    public var saslMechanismControllerProtocol = "GSSAPI"
    /// `connections.max.idle.ms`: connections with no traffic for this long are closed.
    public var connectionsMaxIdleMs: Int64 = 600_000
    /// `strom.metrics.listener`: where Prometheus metrics and health checks are served over HTTP (nil: nowhere).
    public var metricsListener: MetricsListener?
    /// `connections.max.reauth.ms`: the lifetime of an authenticated SASL session (0: the connection's).
    public var connectionsMaxReauthMs: Int64 = 0
    /// `connection.failed.authentication.delay.ms`: how long a failed authentication waits before its
    /// answer and the close.
    public var connectionFailedAuthenticationDelayMs: Int64 = 100
    /// `sasl.server.max.receive.size`: the largest frame taken before a connection has authenticated.
    public var saslServerMaxReceiveSize: Int = 524_288

    /// Kafka keys that were given and are accepted but have no effect in Strom (thread counts, socket
    /// buffer sizes, replication factors of internal topics on a single node, …), for a warning.
    public var ignoredKeys: [String]
    /// Every key the configuration gave (including the embedded defaults when those were used),
    /// so DescribeConfigs can tell a static broker setting from Kafka's default.
    public var explicitKeys: Set<String> = []
    /// Every key Strom reads from server.properties for this configuration, given or not, and those it
    /// accepts without effect: what a dynamic broker config must not name (see `DynamicBrokerConfigs`).
    public var knownKeys: Set<String> = []
    /// Dynamic broker configs (KIP-226) in force on this node, kept as ConfigRecords of the broker
    /// resources: this node's own ("<node.id>") and the cluster default (""). Empty in the static
    /// configuration; see `dynamicValue(_:)` for the precedence.
    public var dynamicPerBroker: [String: String] = [:]
    public var dynamicClusterDefault: [String: String] = [:]

    /// A key's dynamic value: this node's, else the cluster default's, else nil (the static value applies).
    public func dynamicValue(_ key: String) -> String? { dynamicPerBroker[key] ?? dynamicClusterDefault[key] }

    /// `message.max.bytes` as in force: its dynamic value, else the static one.
    public var messageMaxBytesInForce: Int { dynamicValue("message.max.bytes").flatMap { Int($0) } ?? messageMaxBytes }

    /// The listeners clients are sent to: advertised ones where given, else the listeners, less the controller's.
    public var clientListeners: [Listener] {
        let source = advertisedListeners.isEmpty ? listeners : advertisedListeners
        return source.filter { !controllerListenerNames.contains($0.name) }
    }

    public func listener(named name: String) -> Listener? { listeners.first { $0.name == name } }

    public var isCombined: Bool { processRoles == [.broker, .controller] }
}
