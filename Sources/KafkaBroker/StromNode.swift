import KafkaClient
import Foundation
import KafkaGroups
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaSecurity
import KafkaTransactions
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import StromConfig

/// One combined broker+controller node, assembled: locked and formatted log directories, the
/// `__cluster_metadata` log and the metadata service over it, the partition logs, a server per
/// listener, and a maintenance loop (retention, flush policy).
///
/// Start-up order makes restarts safe: metadata is replayed before any listener accepts a
/// connection, and partition logs are opened (recovering torn tails) before the broker registers.
public final class StromNode: Sendable {
    public let config: ServerConfig
    public let metadata: MetadataService
    public let replicas: ReplicaManager
    public let groups: GroupCoordinatorService
    public let transactions: TransactionCoordinatorService
    /// Bound port per listener name (differs from the configuration when it asked for port 0).
    public let boundPorts: [String: Int]
    public let quorum: QuorumDriver
    /// The node's metrics, served on `strom.metrics.listener`.
    public let metrics: NodeMetrics
    /// The metrics and health listener, when one is configured and bound.
    private let metricsServer: MetricsServer?
    /// Its bound port (nil without one).
    public var metricsPort: Int? { metricsServer?.port }
    private let servers: [KafkaServer]
    private let clientServers: [KafkaServer]
    /// Listener loops (they end when their listener closes) and the maintenance loop (cancelled).
    private let tasks: NIOLockedValueBox<(listeners: [Task<Void, Never>], maintenance: Task<Void, Never>?)>
    private let metadataLog: MetadataRaftLog
    /// The active controller's periodic work (fencing expired brokers); cancelled at shutdown.
    private let duties: NIOLockedValueBox<Task<Void, Never>?>
    private let locks: [DirectoryLock]
    private let clock: NodeClock
    private let logger: Logger

    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts a node. `clock` is the one clock of its shell: every timer and timestamp comes from it.
    public static func start(config: ServerConfig, formatIfNeeded: Bool, clock: NodeClock = SystemClock(),
                             logger: Logger) async throws -> StromNode {
        // Segment files share one budget of descriptors: half the limit (at most 4,096), the rest for
        // connections, indexes written in passing, checkpoints and the metadata log.
        let openFileLimit = OpenFileLimit.raiseSoftLimitToHardLimit(logger: logger)
        LogFileCache.shared.capacity = LogFileCache.defaultCapacity(openFileLimit: openFileLimit)
        for key in config.ignoredKeys {
            logger.warning("configuration key accepted but has no effect in Strom", metadata: ["config.key": "\(key)"])
        }
        var locks: [DirectoryLock] = []
        for dir in config.logDirs {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            locks.append(try DirectoryLock(directory: dir))
        }
        var clusterID = try MetaProperties.clusterID(config: config)
        if clusterID == nil {
            guard formatIfNeeded else {
                throw StartupError(description: "log directories \(config.logDirs) are not formatted; run `strom format --cluster-id $(strom random-uuid) --config <file>`")
            }
            let id = MetaProperties.randomClusterID()
            try MetaProperties.format(config: config, clusterID: id)
            logger.info("formatted log directories", metadata: ["kafka.cluster_id": "\(id)", "log.dirs": "\(config.logDirs)"])
            clusterID = id
        } else {
            // Directories added to log.dirs later are formatted into the same cluster.
            try MetaProperties.format(config: config, clusterID: clusterID!)
        }
        // Removed now, so that a crash from here on reads as the unclean shutdown it is.
        let previousBrokerEpoch = CleanShutdownFile.takePreviousBrokerEpoch(logDirs: config.logDirs, logger: logger)

        let metadataLog = try MetadataRaftLog(logDirectory: config.logDirs[0], logger: logger, now: clock.nowMs())
        // One set of connections to the other nodes' controller listeners, for the quorum and for requests.
        for warning in config.securityWarnings { logger.warning("\(warning)") }
        // The nodes' own TLS material is loaded now, so a bad truststore stops the start-up instead of
        // leaving replica fetchers and marker channels failing their handshakes later.
        do { _ = try ChannelSecurity.forListener(config.interBrokerListenerName, config: config) } catch {
            throw StartupError(description: "inter-broker listener \(config.interBrokerListenerName): cannot load its TLS material: \(error)")
        }
        let connections = ControllerConnections(nodeID: config.nodeID, logger: logger,
                                                security: try config.controllerListenerNames.first.map { try ChannelSecurity.forListener($0, config: config) } ?? ChannelSecurity())
        let metadata = MetadataService(config: config, clusterID: clusterID!, connections: connections, clock: clock, logger: logger)
        // One executor for the node's blocking file work (see BlockingIOExecutor).
        let io = BlockingIOExecutor()
        let replicas = ReplicaManager(config: config, clock: clock, logger: logger, io: io)
        replicas.startReplication(send: { request in
            await metadata.alterPartition(request, version: AlterPartitionManager.version)
        })
        replicas.apply(image: metadata.image, delta: nil)
        metadata.addPublisher { delta, image in replicas.apply(image: image, delta: delta) }
        // Metrics and health checks are served from the start: /health/ready says why the node is not ready yet.
        let metrics = NodeMetrics()
        let nodeID = config.nodeID
        metadata.addPublisher { delta, image in
            metrics.isrChanged(delta: delta, image: image, nodeID: nodeID)
            metrics.topicsRemoved(delta: delta)
        }
        // Fencing, controlled shutdown and ISR changes, as this node applies them.
        metadata.addPublisher { delta, image in StateChangeLog.log(delta, image, nodeID: nodeID, logger: logger) }
        let metricsServer = try await startMetricsServer(config: config, metrics: metrics, metadata: metadata, logger: logger)
        // A start-up that fails from here on must not leave the metrics listener bound.
        var started = false
        defer { if !started { metricsServer?.closeNow() } }
        // With `authorizer.class.name`, every request is decided against the ACLs of the published image.
        let authorizer = config.authorizerEnabled ? NodeAuthorizer(config: config) : nil
        if let authorizer { metadata.addPublisher { delta, image in authorizer.apply(delta: delta, image: image) } }
        let voters = try await QuorumVoters.initial(config: config, clock: clock, logger: logger)
        let quorum = try QuorumDriver(localID: config.nodeID, clusterID: clusterID!, voters: voters, config: config.quorumConfig(directoryID: try MetaProperties.metadataDirectoryID(config: config)),
                                      snapshotPolicy: config.snapshotPolicy, disk: metadataLog, io: io, connections: connections,
                                      clock: clock, logger: logger,
                                      onCommit: { first, entries, hw in
                                          metadata.publication.replayCommitted(firstOffset: first, entries: entries, highWatermark: hw)
                                      },
                                      onStatus: { status in metadata.publication.statusChanged(status) },
                                      onSnapshot: { id, bytes in metadata.publication.loadSnapshot(id: id, bytes: bytes) },
                                      snapshotSource: { metadata.image })
        await metadata.attach(quorum)
        await metadata.useBootstrapRecords(try BootstrapCheckpoint.read(logDirectory: config.logDirs[0]))

        // 1. The controller listener serves the quorum at once: the other voters need it to elect a
        //    leader, and this node's metadata needs that leader.
        var servers: [KafkaServer] = []
        var bound: [String: Int] = [:]
        var controllerTasks: [Task<Void, Never>] = []
        for listener in config.listeners where config.controllerListenerNames.contains(listener.name) {
            let dispatcher = BrokerAssembly.controllerDispatcher(listenerName: listener.name, metadata: metadata, quorum: quorum,
                                                                 config: config, authorizer: authorizer, metrics: metrics, logger: logger)
            let server = try await bindServer(listener, dispatcher: dispatcher, config: config, bound: &bound,
                                              sasl: saslSecurity(listener, config: config, metadata: metadata, clock: clock),
                                              tls: try tlsSecurity(listener, config: config, io: io), clock: clock, logger: logger)
            servers.append(server)
        }
        // 2. The quorum starts (its latest snapshot loaded) before the controller listener accepts
        //    requests; then the committed metadata is replayed (a leader must be elected first).
        await quorum.start()
        for server in servers {
            controllerTasks.append(Task {
                do { try await server.run() } catch { logger.error("listener stopped", metadata: ["net.listener": "\(server.listenerName)", "error": "\(error)"]) }
            })
        }
        await metadata.waitForCatchUp()
        let duties = Task {
            // The active controller fences brokers whose session expired, and makes its periodic
            // leader elections when they are due.
            while !Task.isCancelled {
                do { try await clock.sleep(forMs: 1_000) } catch { return }
                await metadata.fenceExpiredBrokers()
                await metadata.runPeriodicElections()
            }
        }

        // 3. Client listeners, bound but not yet accepting.
        let groups = makeGroupCoordinator(config: config, metadata: metadata, replicas: replicas, clock: clock, logger: logger)
        let offsetsTopic = InternalTopicCreator(metadata: metadata, topic: ConsumerOffsetsLog.topic, partitions: groups.partitions,
                                                replicationFactor: config.offsetsTopicReplicationFactor, users: "groups", logger: logger)
        let transactions = makeTransactionCoordinator(config: config, metadata: metadata, replicas: replicas, groups: groups,
                                                      clock: clock, logger: logger)
        let transactionTopic = InternalTopicCreator(
            metadata: metadata, topic: TransactionCoordinatorService.topic, partitions: transactions.partitions,
            replicationFactor: config.transactionStateLogReplicationFactor,
            configs: ["min.insync.replicas": "\(config.transactionStateLogMinIsr)", "segment.bytes": "\(config.transactionStateLogSegmentBytes)"],
            users: "transactional producers", logger: logger)
        let sessions = NIOLockedValueBox(FetchSessions())
        var clientServers: [KafkaServer] = []
        for listener in config.listeners where !config.controllerListenerNames.contains(listener.name) {
            let dispatcher = BrokerAssembly.clientDispatcher(listenerName: listener.name, metadata: metadata, replicas: replicas,
                                                             groups: groups, offsetsTopic: offsetsTopic, transactions: transactions,
                                                             transactionTopic: transactionTopic, fetchSessions: sessions, config: config,
                                                             quorum: quorum, authorizer: authorizer, metrics: metrics, logger: logger)
            let server = try await bindServer(listener, dispatcher: dispatcher, config: config, bound: &bound,
                                              sasl: saslSecurity(listener, config: config, metadata: metadata, clock: clock),
                                              tls: try tlsSecurity(listener, config: config, io: io), clock: clock, logger: logger)
            servers.append(server)
            clientServers.append(server)
        }

        // 4. Register with the active controller and wait to be unfenced; then make sure the offsets topic
        //    exists and start the group coordinator, which loads the offsets partitions this node leads
        //    before it decides its first request. Only then do clients get served.
        let endpoints = config.clientListeners.map { l in
            BrokerRegistration.Endpoint(listenerName: l.name, host: l.host.isEmpty ? "127.0.0.1" : l.host,
                                        port: UInt16(l.port == 0 ? bound[l.name] ?? 0 : l.port),
                                        securityProtocol: ["PLAINTEXT": 0, "SSL": 1, "SASL_PLAINTEXT": 2, "SASL_SSL": 3][config.listenerSecurityProtocols[l.name] ?? ""] ?? 0)
        }
        try await metadata.startBrokerLifecycle(endpoints: endpoints, previousBrokerEpoch: previousBrokerEpoch)
        await startGroupCoordinator(groups, offsetsTopic: offsetsTopic, config: config, metadata: metadata)
        await transactions.start()

        metrics.setCollector { [clientServers] in
            await NodeGauges.samples(.init(
                nodeID: nodeID, config: config, image: metadata.image, quorum: metadata.quorumStatus, highWatermark: metadata.publication.view.highWatermark,
                commitLatencyMs: quorum.commitLatencyMs(), isActiveController: metadata.isActiveController,
                logs: replicas.allReplicas.map { p in
                    p.withLog { (p.topicPartition.topic, p.topicPartition.partition, $0.size, $0.logStartOffset, $0.logEndOffset, $0.highWatermark) }
                },
                connections: clientServers.map { ($0.listenerName, $0.connectionCount) },
                committed: await groups.committedOffsets()))
        }
        let node = StromNode(config: config, metadata: metadata, quorum: quorum, replicas: replicas, groups: groups,
                             transactions: transactions, metrics: metrics, metricsServer: metricsServer, boundPorts: bound,
                             servers: servers, clientServers: clientServers, metadataLog: metadataLog, locks: locks,
                             clock: clock, logger: logger)
        node.startBackgroundWork(controllerTasks: controllerTasks, duties: duties)
        started = true
        logger.info("strom started", metadata: [
            "kafka.node_id": "\(config.nodeID)", "kafka.cluster_id": "\(clusterID!)",
            "net.listeners": "\(config.listeners.map { "\($0.name)://\($0.host):\(bound[$0.name] ?? $0.port)" })",
            "log.partitions": "\(replicas.partitionCount)",
        ])
        return node
    }

    private init(config: ServerConfig, metadata: MetadataService, quorum: QuorumDriver, replicas: ReplicaManager, groups: GroupCoordinatorService,
                 transactions: TransactionCoordinatorService, metrics: NodeMetrics, metricsServer: MetricsServer?,
                 boundPorts: [String: Int], servers: [KafkaServer], clientServers: [KafkaServer], metadataLog: MetadataRaftLog,
                 locks: [DirectoryLock], clock: NodeClock, logger: Logger) {
        self.config = config
        self.clock = clock
        self.metadata = metadata
        self.quorum = quorum
        self.clientServers = clientServers
        self.replicas = replicas
        self.groups = groups
        self.transactions = transactions
        self.metrics = metrics
        self.metricsServer = metricsServer
        self.boundPorts = boundPorts
        self.servers = servers
        self.metadataLog = metadataLog
        self.locks = locks
        self.logger = logger
        self.tasks = NIOLockedValueBox(([], nil))
        self.duties = NIOLockedValueBox(nil)
    }

    /// The group coordinator, placing groups over the partitions `__consumer_offsets` has, or will be
    /// created with (`offsets.topic.num.partitions`).
    private static func makeGroupCoordinator(config: ServerConfig, metadata: MetadataService, replicas: ReplicaManager,
                                             clock: NodeClock, logger: Logger) -> GroupCoordinatorService {
        // An existing topic keeps its partition count: group placement depends on it.
        let existing = metadata.image.topic(named: ConsumerOffsetsLog.topic).map { Int32($0.partitions.count) }
        var groupConfig = GroupCoordinatorConfig()
        groupConfig.offsetsTopicPartitions = existing ?? config.offsetsTopicNumPartitions
        groupConfig.offsetsRetentionMs = config.offsetsRetentionMinutes * 60_000
        groupConfig.offsetsRetentionCheckIntervalMs = config.offsetsRetentionCheckIntervalMs
        groupConfig.initialRebalanceDelayMs = Int32(clamping: config.groupInitialRebalanceDelayMs)
        groupConfig.minSessionTimeoutMs = config.groupMinSessionTimeoutMs
        groupConfig.maxSessionTimeoutMs = config.groupMaxSessionTimeoutMs
        groupConfig.consumerSessionTimeoutMs = config.groupConsumerSessionTimeoutMs
        groupConfig.consumerHeartbeatIntervalMs = config.groupConsumerHeartbeatIntervalMs
        groupConfig.consumerMaxGroupSize = config.groupConsumerMaxSize
        return GroupCoordinatorService(config: groupConfig, log: ConsumerOffsetsLog(replicas: replicas),
                                       commitTimeoutMs: config.offsetsCommitTimeoutMs, clock: clock, logger: logger)
    }

    /// The transaction coordinator, placing transactional ids over the partitions `__transaction_state`
    /// has, or will be created with (`transaction.state.log.num.partitions`).
    private static func makeTransactionCoordinator(config: ServerConfig, metadata: MetadataService, replicas: ReplicaManager,
                                                   groups: GroupCoordinatorService, clock: NodeClock, logger: Logger) -> TransactionCoordinatorService {
        // An existing topic keeps its partition count: placement depends on it.
        let existing = metadata.image.topic(named: TransactionCoordinatorService.topic).map { Int32($0.partitions.count) }
        var c = TransactionCoordinatorConfig()
        c.transactionStateLogPartitions = existing ?? config.transactionStateLogNumPartitions
        c.maxTimeoutMs = config.transactionMaxTimeoutMs
        c.transactionalIDExpirationMs = config.transactionalIDExpirationMs
        c.abortTimedOutTransactionsIntervalMs = config.transactionAbortTimedOutTransactionCleanupIntervalMs
        c.removeExpiredTransactionalIDsIntervalMs = config.transactionRemoveExpiredTransactionCleanupIntervalMs
        c.offsetsTopicPartitions = groups.partitions
        return TransactionCoordinatorService(config: c, replicas: replicas, groups: groups, metadata: metadata, nodeID: config.nodeID,
                                             interBrokerListener: config.interBrokerListenerName,
                                             interBrokerSecurity: ChannelSecurity.loaded(config.interBrokerListenerName, config: config),
                                             clock: clock, logger: logger)
    }

    /// How `listener` authenticates its connections: nil unless it is a SASL listener.
    private static func saslSecurity(_ listener: Listener, config: ServerConfig, metadata: MetadataService,
                                     clock: NodeClock) -> SaslListenerSecurity? {
        guard let sasl = config.saslListeners[listener.name] else { return nil }
        let plainUsers = sasl.jaas["PLAIN"].map(PlainAuthentication.users(from:)) ?? [:]
        let settings = SaslServerSession.Settings(mechanisms: sasl.enabledMechanisms.compactMap(SaslMechanism.init(rawValue:)),
                                                  plainUsers: plainUsers, maxReauthMs: config.connectionsMaxReauthMs)
        return SaslListenerSecurity(settings: settings, credential: { metadata.scramCredential($0, user: $1) },
                                    failedAuthenticationDelayMs: config.connectionFailedAuthenticationDelayMs,
                                    maxReceiveSize: config.saslServerMaxReceiveSize, clock: clock)
    }

    /// `listener`'s TLS context and principal mapping: nil unless it is an SSL or SASL_SSL listener.
    /// Keystore and truststore problems stop the start-up, naming the listener.
    private static func tlsSecurity(_ listener: Listener, config: ServerConfig, io: BlockingIOExecutor) throws -> TlsListenerSecurity? {
        guard let tls = config.tlsListeners[listener.name] else { return nil }
        do {
            return TlsListenerSecurity(context: try TlsMaterial.serverContext(tls),
                                       principalMapper: try SslPrincipalMapper(rules: tls.principalMappingRules), io: io)
        } catch {
            throw StartupError(description: "listener \(listener.name): cannot load its TLS keystore or truststore: \(error)")
        }
    }

    /// The metrics and health listener of `strom.metrics.listener`, nil without one. The zero-configuration
    /// node's default port may be taken (another node on the machine): that is a warning, not a failure;
    /// a configured listener that cannot bind stops the start-up.
    private static func startMetricsServer(config: ServerConfig, metrics: NodeMetrics, metadata: MetadataService,
                                           logger: Logger) async throws -> MetricsServer? {
        guard let listener = config.metricsListener else { return nil }
        let nodeID = config.nodeID
        let readiness: MetricsServer.Readiness = {
            let view = metadata.publication.view
            guard view.status.leaderID != nil else { return (false, "no metadata quorum leader is known") }
            guard let hw = view.highWatermark, view.image.provenance.offset + 1 >= hw else {
                return (false, "catching up on metadata (at \(view.image.provenance.offset), high watermark \(view.highWatermark ?? -1))")
            }
            guard let me = view.image.brokers[nodeID] else { return (false, "not registered with the controller") }
            guard !me.fenced else { return (false, "fenced") }
            return (true, "")
        }
        do {
            return try await MetricsServer.start(host: listener.host, port: listener.port, metrics: metrics, readiness: readiness, logger: logger)
        } catch where listener.isZeroConfigurationDefault {
            logger.warning("metrics and health checks are off: \(listener) cannot be bound (set \(MetricsListener.key))",
                           metadata: ["error": "\(error)"])
            return nil
        } catch {
            throw StartupError(description: "\(MetricsListener.key) \(listener): cannot bind: \(error)")
        }
    }

    /// A server for `listener`, bound (its port recorded in `bound`) but not yet accepting.
    private static func bindServer(_ listener: Listener, dispatcher: RequestDispatcher, config: ServerConfig,
                                   bound: inout [String: Int], sasl: SaslListenerSecurity?, tls: TlsListenerSecurity?,
                                   clock: NodeClock, logger: Logger) async throws -> KafkaServer {
        let server = KafkaServer(listenerName: listener.name, host: listener.host, port: listener.port,
                                 maxFrameSize: config.socketRequestMaxBytes, dispatcher: dispatcher,
                                 group: MultiThreadedEventLoopGroup.singleton, logger: logger, sasl: sasl, tls: tls,
                                 maxIdleMs: config.connectionsMaxIdleMs, clock: clock)
        bound[listener.name] = try await server.bind()
        return server
    }

    /// Tries to create `__consumer_offsets` when it is missing, once the quorum's brokers have registered
    /// (or 10 s passed), so its partitions spread over them; with fewer brokers than
    /// `offsets.topic.replication.factor` that fails and FindCoordinator tries again later (see
    /// ``InternalTopicCreator``). Then starts the group coordinator, which follows this node's leadership
    /// of the topic's partitions, and routes topic deletions to it so their offsets go too.
    private static func startGroupCoordinator(_ groups: GroupCoordinatorService, offsetsTopic: InternalTopicCreator,
                                              config: ServerConfig, metadata: MetadataService) async {
        if !offsetsTopic.exists {
            let expected = Set(config.quorumVoters.map(\.id))
            _ = await metadata.publication.wait(until: { view in
                view.image.topic(named: ConsumerOffsetsLog.topic) != nil || expected.isSubset(of: Set(view.image.activeBrokers.map(\.id)))
            }, deadlineMs: metadata.clock.nowMs() + 10_000)
        }
        if !offsetsTopic.exists {
            let code = await offsetsTopic.create()
            if code == .noError || code == .topicAlreadyExists {
                // Created through another node: wait (a little) until it is replayed here.
                _ = await metadata.publication.wait(until: { $0.image.topic(named: ConsumerOffsetsLog.topic) != nil },
                                                    deadlineMs: metadata.clock.nowMs() + 10_000)
            }
        } else if metadata.image.configs(for: .topic(ConsumerOffsetsLog.topic))["cleanup.policy"] == nil {
            // Created before Strom compacted logs: make it compacted, as Kafka creates it.
            _ = await metadata.incrementalAlterConfigs(IncrementalAlterConfigsRequest(resources: [.init(
                resourceType: 2, resourceName: ConsumerOffsetsLog.topic,
                configs: [.init(name: "cleanup.policy", configOperation: 0, value: "compact")]
            )]))
        }
        await groups.start()
        metadata.addPublisher { delta, _ in
            let deleted = Dictionary(delta.removedTopics.values.map { ($0.name, $0.partitionIndexes) }, uniquingKeysWith: { a, _ in a })
            if !deleted.isEmpty { Task { await groups.topicsDeleted(deleted) } }
        }
    }

    /// Bytes of log the cleaner rewrites per maintenance pass at most (bounds the pass's time).
    static let cleanerBytesPerPass: Int64 = 64 << 20

    private func startBackgroundWork(controllerTasks: [Task<Void, Never>], duties: Task<Void, Never>) {
        self.duties.withLockedValue { $0 = duties }
        var listenerTasks: [Task<Void, Never>] = controllerTasks
        for server in clientServers {
            let logger = self.logger
            listenerTasks.append(Task {
                do { try await server.run() } catch { logger.error("listener stopped", metadata: ["net.listener": "\(server.listenerName)", "error": "\(error)"]) }
            })
        }
        let replicas = self.replicas
        let retentionEvery = config.logRetentionCheckIntervalMs
        let producerExpiryEvery = config.producerIDExpirationCheckIntervalMs, producerExpiration = config.producerIDExpirationMs
        let cleanerBackoff = config.logCleanerEnable ? config.logCleanerBackoffMs : nil
        let clock = self.clock
        let maintenance = Task {
            // Flush policies are checked every second; retention every log.retention.check.interval.ms;
            // producer expiry every producer.id.expiration.check.interval.ms;
            // the cleaner every second while it finds work, else every log.cleaner.backoff.ms.
            var lastRetention = clock.nowMs()
            var lastCleaning = lastRetention
            var lastProducerExpiry = lastRetention
            var cleanerBusy = false
            while !Task.isCancelled {
                do { try await clock.sleep(forMs: 1_000) } catch { return }
                let now = clock.nowMs()
                let retention = now - lastRetention >= retentionEvery
                if retention { lastRetention = now }
                let expiry = now - lastProducerExpiry >= producerExpiryEvery
                if expiry { lastProducerExpiry = now }
                await replicas.runMaintenanceOffTheRequestPath(now: now, retention: retention,
                                                              producerExpirationMs: expiry ? producerExpiration : nil)
                if let cleanerBackoff, cleanerBusy || now - lastCleaning >= cleanerBackoff {
                    lastCleaning = now
                    cleanerBusy = await replicas.runCleaningOffTheRequestPath(now: now, byteBudget: StromNode.cleanerBytesPerPass).rounds > 0
                }
            }
        }
        tasks.withLockedValue { $0 = (listenerTasks, maintenance) }
    }

    /// Stops the listeners, closes connections (waking long-polling fetches), waits for the request
    /// loops to end, then flushes and closes every log (clean-shutdown markers included) and, when all
    /// closed, writes the broker epoch into each log directory's clean-shutdown file (`CleanShutdownFile`).
    public func shutdown() async {
        let brokerEpoch = await metadata.brokerEpoch
        // Fenced first, so clients move away from this node's partitions at once.
        await metadata.stopBrokerLifecycle()
        duties.withLockedValue { $0?.cancel() }
        replicas.beginShutdown()
        await quorum.shutdown()
        for server in servers { await server.close() }
        let (listenerTasks, maintenance) = tasks.withLockedValue { t in defer { t = ([], nil) }; return t }
        // Listener loops end by themselves once their connections are closed; cancelling them could
        // drop connections the listener already accepted without closing them.
        for t in listenerTasks { await t.value }
        maintenance?.cancel()
        await maintenance?.value
        await replicas.stopReplication()
        await metadata.stop()
        await groups.stop()
        await transactions.stop()
        let logsClosed = replicas.shutdown()
        await replicas.io.shutdown()
        if logsClosed, brokerEpoch >= 0 {
            do {
                try CleanShutdownFile.write(brokerEpoch: brokerEpoch, logDirs: config.logDirs)
            } catch {
                logger.error("could not write the clean-shutdown file", metadata: ["error": "\(error)"])
            }
        }
        do { try metadataLog.close() } catch { logger.error("could not close the metadata log", metadata: ["error": "\(error)"]) }
        await metricsServer?.close()
        for lock in locks { lock.release() }
        logger.info("strom stopped")
    }
}

/// An exclusive `flock` on `<dir>/.lock`, as Kafka takes, so two nodes never share a log directory.
final class DirectoryLock: Sendable {
    private let fd: Int32
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        let path = (directory as NSString).appendingPathComponent(".lock")
        fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw StromNode.StartupError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw StromNode.StartupError(description: "\(directory) is in use by another process (lock on \(path))")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
