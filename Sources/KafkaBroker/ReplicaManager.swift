import Foundation
import KafkaController
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import StromConfig

/// The partitions this node holds, kept in step with the metadata image: a partition log is opened
/// (created if new) for every partition that lists this node as a replica, reopened when its topic's
/// configuration changes, and deleted when its topic is removed or a reassignment takes the partition
/// off this node.
///
/// Partitions live in the first log directory that already has them, else in the one holding the
/// fewest partitions.
public final class ReplicaManager: @unchecked Sendable {
    let logger: Logger
    private let lock = NIOLock()
    private var replicas: [TopicPartition: Partition] = [:]
    /// Partitions this node should hold whose log could not be opened, with the reason: they are offline
    /// (KAFKA_STORAGE_ERROR to clients) while every other partition serves; the next image that touches
    /// their topic, or a restart, tries again.
    private var offline: [TopicPartition: String] = [:]
    let appended: AppendNotifier
    /// The node's clock: timestamps of appends and rolls, retention, long-poll timeouts.
    let clock: NodeClock
    private let stopping = NIOLockedValueBox(false)

    /// True once shutdown began: long-polling fetches stop waiting.
    var isShuttingDown: Bool { stopping.withLockedValue { $0 } }

    /// Marks shutdown and wakes every waiting fetch.
    public func beginShutdown() {
        stopping.withLockedValue { $0 = true }
        appended.notifyAll()
    }

    /// Where this node's blocking file work runs (appends, fsyncs, cleaning, retention, checkpoints).
    let io: BlockingIOExecutor
    /// The log directories' checkpoint files (see ``ReplicaCheckpoints``).
    let checkpoints: ReplicaCheckpoints
    let config: ServerConfig
    /// The follower side: one fetcher per leader this node follows partitions of.
    let fetchers: ReplicaFetcherManager
    /// The leader side's ISR proposals to the controller; attached once the metadata service exists.
    let replication = NIOLockedValueBox(ReplicationLinks())
    /// Who hears when this node starts or stops leading a partition (the group coordinator).
    let leadership = LeadershipListeners()
    /// This node's broker epoch, as its latest image says (-1 before it registered).
    var brokerEpoch: Int64 { replication.withLockedValue { $0.brokerEpoch } }

    public init(config: ServerConfig, clock: NodeClock, logger: Logger, io: BlockingIOExecutor) {
        checkpoints = ReplicaCheckpoints(
            logDirectories: config.logDirs, highWatermarkIntervalMs: config.replicaHighWatermarkCheckpointIntervalMs,
            recoveryPointIntervalMs: config.logFlushOffsetCheckpointIntervalMs, logStartOffsetIntervalMs: config.logFlushStartOffsetCheckpointIntervalMs
        )
        self.clock = clock
        fetchers = ReplicaFetcherManager(nodeID: config.nodeID, config: config, logger: logger)
        appended = AppendNotifier(clock: clock)
        self.config = config
        self.logger = logger
        self.io = io
        fetchers.attach(self)
    }

    func replica(_ tp: TopicPartition) -> Partition? {
        lock.withLock { replicas[tp] }
    }

    public var partitionCount: Int { lock.withLock { replicas.count } }

    /// Why `tp` is offline here, when it is.
    func offlineReason(_ tp: TopicPartition) -> String? {
        lock.withLock { offline[tp] }
    }

    public var offlinePartitionCount: Int { lock.withLock { offline.count } }

    /// Every replica, at one moment.
    var allReplicas: [Partition] { lock.withLock { Array(replicas.values) } }

    /// Opens or creates, reconfigures and deletes logs so that they match `image`.
    /// `delta` narrows the work to what changed; without it every topic is checked (start-up).
    public func apply(image: MetadataImage, delta: MetadataDelta?) {
        var deleted = false
        for (_, topic) in delta?.removedTopics ?? [:] {
            for index in topic.partitionIndexes {
                let tp = TopicPartition(topic.name, index)
                guard let replica = takeReplica(tp) else {
                    if deleteUnopenedLog(tp) { deleted = true }
                    continue
                }
                deleteLog(of: replica)
                deleted = true
            }
        }
        if deleted { logsDeleted() }
        let topics: [TopicImage] = delta.map { d in d.changedTopicIDs.compactMap { image.topic(id: $0) } }
            ?? Array(image.topicsByID.values)
        // Topics whose settings changed; not those created in this delta, whose logs `ensureLogs`
        // opens with their settings (reopening them would close logs a coordinator may be loading).
        // A change to the dynamic broker configs in force here (the cluster default or this node's)
        // reaches every topic that does not set the key itself.
        let brokerResources = [ConfigResource.broker(""), ConfigResource.broker(String(config.nodeID))]
        // Only the topics whose settings it changes are reopened (not those overriding the key, nor any
        // for a key that no log setting follows).
        var configChanged = Set(delta.map { d in
            image.configs.keys.filter {
                $0.type == ConfigResource.topicType && d.base.configs[$0] != image.configs[$0] && d.base.topic(named: $0.name) != nil
            }.map(\.name)
        } ?? [])
        if let d = delta, brokerResources.contains(where: { d.base.configs[$0] != image.configs[$0] }) {
            for topic in d.base.topicsByID.values where image.topic(id: topic.id) != nil && !configChanged.contains(topic.name) {
                let (before, after) = (settings(for: topic.name, image: d.base), settings(for: topic.name, image: image))
                if before.0 != after.0 || before.1 != after.1 { configChanged.insert(topic.name) }
            }
        }
        openLogs(topics, image: image)
        leadership.apply {
            applyRoles(topics, removed: Array((delta?.removedTopics ?? [:]).values), image: image,
                       brokersChanged: delta.map { $0.base.brokers != image.brokers } ?? true)
        }
        // After applyRoles stopped fetching them: the partitions a reassignment took off this node.
        stopRemovedReplicas(topics)
        for name in configChanged {
            guard let topic = image.topic(named: name) else { continue }
            reconfigure(topic, image: image)
        }
    }

    /// Removes `tp` from the partitions held here (and from the offline ones); the partition it held.
    func takeReplica(_ tp: TopicPartition) -> Partition? {
        lock.withLock {
            offline[tp] = nil
            return replicas.removeValue(forKey: tp)
        }
    }

    /// Deletes a partition's log directory; the partition can no longer be read or written, and what
    /// the directory's checkpoint files held for it is forgotten (the caller rewrites them,
    /// ``logsDeleted()``).
    func deleteLog(of replica: Partition) {
        let tp = replica.topicPartition
        checkpoints.forget(topic: tp.topic, partition: tp.partition, logDirectory: replica.logDirectory, logger: logger)
        do {
            try replica.withLog { try $0.delete() }
        } catch {
            logger.error("could not delete partition log", metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
        }
    }

    /// A deleted partition with no open log here (never placed on this node, or its log failed to open):
    /// what the checkpoint files hold for it is forgotten, and whatever it left in a log directory is
    /// removed, so a topic created again under the name starts afresh. Whether anything was removed.
    private func deleteUnopenedLog(_ tp: TopicPartition) -> Bool {
        var removed = false
        for directory in config.logDirs {
            checkpoints.forget(topic: tp.topic, partition: tp.partition, logDirectory: directory, logger: logger)
            do {
                if try PartitionLog.deleteUnopened(logDirectory: directory, topic: tp.topic, partition: tp.partition) {
                    removed = true
                    logger.info("deleted the files of a partition whose log was not open", metadata: ["kafka.partition": "\(tp)", "log.dir": "\(directory)"])
                }
            } catch {
                logger.error("could not delete partition files", metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
            }
        }
        return removed
    }

    private func settings(for topic: String, image: MetadataImage) -> (LogConfig, Partition.Settings) {
        let overrides = image.configs(for: .topic(topic))
        let config = self.config.with(dynamicConfigsOf: image)
        let logConfig = TopicLogConfig.make(overrides: overrides, config: config)
        let value = { (key: String) in DescribeTopicConfigs.value(key, topicOverrides: overrides, config: config).flatMap { Int64($0) } ?? .max }
        let settings = Partition.Settings(
            logAppendTime: TopicLogConfig.usesLogAppendTime(overrides: overrides, config: config),
            flushBeforeAcksAll: TopicLogConfig.flushBeforeAcksAll(overrides: overrides, config: config),
            maxMessageBytes: logConfig.maxMessageBytes,
            timestampBeforeMaxMs: value("message.timestamp.before.max.ms"),
            timestampAfterMaxMs: value("message.timestamp.after.max.ms"),
            compacted: logConfig.cleanupPolicy.contains(.compact),
            minInsyncReplicas: Int(value("min.insync.replicas"))
        )
        return (logConfig, settings)
    }

    /// Opens the logs of `topics` this node has a replica of that are not open yet. Many at once (a
    /// start-up replaying the metadata log or a snapshot) are reported as they go, every 5 s: "opened
    /// 1,200 of 5,000 partitions", then once when done with the time taken.
    private func openLogs(_ topics: [TopicImage], image: MetadataImage) {
        let pending = topics.reduce(0) { n, t in
            n + t.partitions.filter { $0.value.replicas.contains(config.nodeID) && replica(TopicPartition(t.name, $0.key)) == nil }.count
        }
        let report = pending >= Self.progressReportThreshold
        let started = clock.nowMs()
        var reported = started
        var opened = 0
        if report { logger.info("opening partition logs", metadata: ["log.partitions": "\(Self.grouped(pending))"]) }
        var directoryLoads: [String: Int]?
        var removedStrays = false
        // The stray logs' checkpoint lines leave the files before a restart could read them again.
        defer { if removedStrays { logsDeleted() } }
        for topic in topics {
            ensureLogs(topic, image: image, directoryLoads: &directoryLoads, removedStrays: &removedStrays)
            guard report else { continue }
            opened += topic.partitions.values.filter { $0.replicas.contains(config.nodeID) }.count
            let now = clock.nowMs()
            if now - reported >= 5_000 {
                reported = now
                logger.info("opened \(Self.grouped(min(opened, pending))) of \(Self.grouped(pending)) partitions")
            }
        }
        if report {
            logger.info("opened \(Self.grouped(pending)) partitions", metadata: ["duration_ms": "\(clock.nowMs() - started)"])
        }
    }

    /// At least this many logs to open are reported with progress.
    static let progressReportThreshold = 1_000

    /// `12345` as `12,345`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// What `tp`'s directory in `logDirectory` says of its topic: nil without a readable
    /// `partition.metadata` (no directory yet, or one an older Strom wrote: adopted). A directory naming
    /// another topic id is a stray (Kafka's word: its topic was deleted while this node was down, or its
    /// deletion did not finish): it is deleted, with its checkpoint lines, before the log of topic
    /// `topicID` opens there, and `removedStray` is set.
    private func topicIDOfDirectory(_ tp: TopicPartition, topicID: KafkaUUID, logDirectory: String, removedStray: inout Bool) -> KafkaUUID? {
        let path = FileSystem.join(logDirectory, LogFileNames.partitionDirectoryName(topic: tp.topic, partition: tp.partition))
        let named = PartitionMetadataFile.topicID(inPartitionDirectory: path)
        guard let found = named, found != topicID else { return named }
        logger.warning("deleting a stray partition log: its topic id is not the topic's", metadata: [
            "kafka.partition": "\(tp)", "kafka.topic_id": "\(topicID)", "log.topic_id": "\(found)",
        ])
        if deleteUnopenedLog(tp) { removedStray = true }
        return nil
    }

    private func ensureLogs(_ topic: TopicImage, image: MetadataImage, directoryLoads: inout [String: Int]?,
                            removedStrays: inout Bool) {
        let (logConfig, settings) = settings(for: topic.name, image: image)
        for index in topic.partitionIndexes {
            let tp = TopicPartition(topic.name, index)
            let registration = topic.partitions[index]!
            guard registration.replicas.contains(config.nodeID) else { continue }
            if replica(tp) != nil { continue }
            do {
                let logDirectory = directory(for: tp, loads: &directoryLoads)
                let named = topicIDOfDirectory(tp, topicID: topic.id, logDirectory: logDirectory, removedStray: &removedStrays)
                let log = try PartitionLog.open(
                    logDirectory: logDirectory, topic: tp.topic, partition: tp.partition, config: logConfig, now: clock.nowMs(),
                    checkpointed: checkpoints.offsets(topic: tp.topic, partition: tp.partition, logDirectory: logDirectory, logger: logger),
                    logger: logger
                )
                if named != topic.id { try PartitionMetadataFile.write(topic.id, inPartitionDirectory: log.directory) }
                if log.openReport.truncatedBytes > 0 {
                    logger.warning("recovered a partition log after an unclean shutdown", metadata: [
                        "kafka.partition": "\(tp)", "log.truncated_bytes": "\(log.openReport.truncatedBytes)",
                    ])
                }
                let replica = Partition(topicPartition: tp, topicID: topic.id, logDirectory: logDirectory, log: log, settings: settings,
                                        leaderEpoch: registration.leaderEpoch, hooks: replicationHooks)
                lock.withLock {
                    replicas[tp] = replica
                    offline[tp] = nil
                }
            } catch {
                logger.error("could not open partition log; the partition is offline on this broker", metadata: [
                    "kafka.partition": "\(tp)", "error": "\(error)",
                ])
                lock.withLock { offline[tp] = "\(error)" }
            }
        }
    }

    private func reconfigure(_ topic: TopicImage, image: MetadataImage) {
        let (logConfig, settings) = settings(for: topic.name, image: image)
        // Checked before any log is closed: settings the log layer refuses leave the logs as they are.
        do { try logConfig.validate() } catch {
            logger.error("refused new topic settings; the logs keep their current ones", metadata: ["kafka.topic": "\(topic.name)", "error": "\(error)"])
            return
        }
        for index in topic.partitionIndexes {
            let tp = TopicPartition(topic.name, index)
            guard let replica = replica(tp) else { continue }
            do {
                try replica.replace(log: { old in
                    try old.close()
                    // The highest recovery point, not the current one: a checkpoint file may still hold it.
                    let offsets = CheckpointedOffsets(recoveryPoint: old.highestRecoveryPoint, logStartOffset: old.logStartOffset,
                                                      highWatermark: old.highWatermark)
                    return try PartitionLog.open(logDirectory: replica.logDirectory,
                                                 topic: tp.topic, partition: tp.partition, config: logConfig,
                                                 now: clock.nowMs(), checkpointed: offsets, logger: logger)
                }, settings: settings)
            } catch {
                logger.error("could not apply new topic settings", metadata: ["kafka.partition": "\(tp)", "error": "\(error)"])
            }
        }
    }

    /// The log directory holding `tp` already, else the least loaded one.
    /// `loads` (the partitions each directory holds) is counted once per batch of new logs and kept up
    /// to date as they are placed: counting every replica for each new partition made creating N
    /// partitions on a node quadratic (the scale bench measured 78% of a 50,000-partition creation there).
    private func directory(for tp: TopicPartition, loads: inout [String: Int]?) -> String {
        if config.logDirs.count == 1 { return config.logDirs[0] }
        let name = LogFileNames.partitionDirectoryName(topic: tp.topic, partition: tp.partition)
        let fm = FileManager.default
        if let existing = config.logDirs.first(where: { fm.fileExists(atPath: ($0 as NSString).appendingPathComponent(name)) }) {
            return existing
        }
        var counts = loads ?? lock.withLock { replicas.values.reduce(into: [String: Int]()) { $0[$1.logDirectory, default: 0] += 1 } }
        let chosen = config.logDirs.min { counts[$0, default: 0] < counts[$1, default: 0] } ?? config.logDirs[0]
        counts[chosen, default: 0] += 1
        loads = counts
        return chosen
    }

    /// ``runMaintenance(now:retention:)`` on the blocking-I/O executor: retention deletes files and
    /// writes checkpoints, flush policies fsync.
    public func runMaintenanceOffTheRequestPath(now: Int64, retention: Bool, producerExpirationMs: Int64? = nil) async {
        do {
            try await io.run { self.runMaintenance(now: now, retention: retention, producerExpirationMs: producerExpirationMs) }
        } catch is CancellationError {
            // Shutdown cancelled the maintenance loop while the pass waited for a thread.
        } catch {
            logger.warning("log maintenance did not run", metadata: ["reason": "\(error)"])
        }
    }

    /// The `flush.ms` / `flush.messages` policies for every partition, and retention too when asked,
    /// and producer expiry (`producer.id.expiration.ms`) when `producerExpirationMs` is given; the
    /// flush of segments rolled since the last pass (off the partition's lock); then the log
    /// directories' checkpoint files that are due.
    public func runMaintenance(now: Int64, retention: Bool, producerExpirationMs: Int64? = nil) {
        for replica in lock.withLock({ Array(replicas.values) }) {
            do {
                try replica.withLog { log in
                    if retention {
                        let result = try log.enforceRetention(now: now)
                        if !result.deletedSegments.isEmpty {
                            logger.info("retention deleted segments", metadata: [
                                "kafka.partition": "\(replica.topicPartition)", "log.segments": "\(result.deletedSegments.count)",
                                "log.start_offset": "\(log.logStartOffset)",
                            ])
                        }
                    }
                    if let producerExpirationMs {
                        let expired = log.removeExpiredProducers(now: now, expirationMs: producerExpirationMs)
                        if expired > 0 {
                            logger.debug("expired idle producers", metadata: [
                                "kafka.partition": "\(replica.topicPartition)", "kafka.producers": "\(expired)",
                            ])
                        }
                    }
                    if log.needsFlush(now: now) { try log.flush(now: now) }
                }
                try replica.flushSealedSegments(now: now)
            } catch {
                logger.error("log maintenance failed", metadata: ["kafka.partition": "\(replica.topicPartition)", "error": "\(error)"])
            }
        }
        writeCheckpointsIfDue(now: now)
    }

    /// Flushes and closes every log, leaving clean-shutdown markers, then writes the log directories'
    /// checkpoint files. Returns whether every log closed (all its records flushed).
    @discardableResult
    public func shutdown() -> Bool {
        let all = lock.withLock { () -> [Partition] in
            defer { replicas = [:] }
            return Array(replicas.values)
        }
        var closed = true
        for replica in all {
            do {
                try replica.withLog { try $0.close() }
            } catch {
                closed = false
                logger.error("could not close partition log", metadata: ["kafka.partition": "\(replica.topicPartition)", "error": "\(error)"])
            }
        }
        writeCheckpoints(LogDirectoryCheckpoints.Kind.allCases, of: all)
        return closed
    }
}
