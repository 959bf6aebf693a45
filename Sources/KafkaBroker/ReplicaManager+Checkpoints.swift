import KafkaLog
import Logging
import NIOConcurrencyHelpers

/// The log directories' checkpoint files (``KafkaLog/LogDirectoryCheckpoints``), as Kafka's
/// `ReplicaManager` (high watermarks) and `LogManager` (recovery points, log start offsets) keep them:
/// read once per directory, when its first partition opens, and written for every partition the node
/// holds there every `replica.high.watermark.checkpoint.interval.ms`,
/// `log.flush.offset.checkpoint.interval.ms` and `log.flush.start.offset.checkpoint.interval.ms`
/// respectively, and all three at shutdown, after the logs closed.
///
/// Stale files are safe: a high watermark too low hides records until the leader advances it again; a
/// recovery point too low only means more to scan at open, and one too high (after a truncation) is
/// met by rolls that sync at once below it (see ``KafkaLog/PartitionLog``); the log start offset is also in the partition's own file once DeleteRecords
/// moved it. Partitions whose log is offline are left out of the next write, as in Kafka.
final class ReplicaCheckpoints: @unchecked Sendable {
    typealias Kind = LogDirectoryCheckpoints.Kind

    let logDirectories: [String]
    let intervals: [Kind: Int64]
    private let lock = NIOLock()
    private var read: [String: LogDirectoryCheckpoints] = [:]
    /// Held across a write of the files (``ReplicaManager/writeCheckpoints(_:of:)``): the maintenance
    /// pass, a deletion and shutdown may write at once, and each file has one temporary name.
    let writeLock = NIOLock()
    /// When each kind was last written (or checkpointing started).
    private var lastWritten: [Kind: Int64] = [:]

    init(logDirectories: [String], highWatermarkIntervalMs: Int64, recoveryPointIntervalMs: Int64, logStartOffsetIntervalMs: Int64) {
        self.logDirectories = logDirectories
        intervals = [.highWatermark: highWatermarkIntervalMs, .recoveryPoint: recoveryPointIntervalMs, .logStartOffset: logStartOffsetIntervalMs]
    }

    /// What `logDirectory`'s files held for a partition when first read. A directory that cannot be read
    /// lists nothing: the partitions' own files and defaults apply (logged).
    func offsets(topic: String, partition: Int32, logDirectory: String, logger: Logger) -> CheckpointedOffsets {
        lock.withLock { files(of: logDirectory, logger: logger).offsets(topic: topic, partition: partition) }
    }

    /// Forgets what `logDirectory`'s files held for a partition whose log was deleted there (Kafka
    /// rewrites the files at once: ``ReplicaManager/logsDeleted()``). The files are read first if they
    /// were not yet: their lines would otherwise reach the next log of that name.
    func forget(topic: String, partition: Int32, logDirectory: String, logger: Logger) {
        lock.withLock {
            _ = files(of: logDirectory, logger: logger)
            read[logDirectory]?.forget(topic: topic, partition: partition)
        }
    }

    /// `logDirectory`'s files as read the first time they were asked for. Caller holds the lock.
    private func files(of logDirectory: String, logger: Logger) -> LogDirectoryCheckpoints {
        if let files = read[logDirectory] { return files }
        let files: LogDirectoryCheckpoints
        do {
            files = try LogDirectoryCheckpoints.read(logDirectory: logDirectory, logger: logger)
        } catch {
            logger.warning("could not read the log directory's checkpoint files", metadata: ["log.dir": "\(logDirectory)", "error": "\(error)"])
            files = LogDirectoryCheckpoints(logDirectory: logDirectory)
        }
        read[logDirectory] = files
        return files
    }

    /// The kinds whose interval has passed at `now`, marked written; none on the first call, which
    /// starts the intervals.
    func due(now: Int64) -> [Kind] {
        lock.withLock {
            Kind.allCases.filter { kind in
                guard let last = lastWritten[kind] else {
                    lastWritten[kind] = now
                    return false
                }
                guard now - last >= intervals[kind]! else { return false }
                lastWritten[kind] = now
                return true
            }
        }
    }
}

extension ReplicaManager {
    /// Writes the checkpoint files whose interval has passed (from ``runMaintenance(now:retention:)``).
    func writeCheckpointsIfDue(now: Int64) {
        let kinds = checkpoints.due(now: now)
        guard !kinds.isEmpty else { return }
        writeCheckpoints(kinds, of: allReplicas)
    }

    /// Rewrites every checkpoint file after logs were deleted (Kafka's `LogManager` does so for the
    /// recovery points and log start offsets when it deletes a log), so the deleted partitions' lines
    /// are gone before a restart could read them for a partition created again under the same name.
    func logsDeleted() {
        writeCheckpoints(LogDirectoryCheckpoints.Kind.allCases, of: allReplicas)
    }

    /// Replaces each log directory's `kinds` files with the lines of `replicas` there (sorted by topic
    /// and partition); a directory holding none of them gets empty files, once it exists (the node
    /// creates its log directories at start; a test's may not be there yet). A failed write is logged
    /// and the next interval tries again. One write at a time, and `replicas` is read once the write may
    /// start: a pass that listed a partition before its deletion cannot write its lines back after the
    /// deletion's rewrite.
    func writeCheckpoints(_ kinds: [LogDirectoryCheckpoints.Kind], of replicas: @autoclosure () -> [Partition]) {
        checkpoints.writeLock.withLock { write(kinds, of: replicas()) }
    }

    private func write(_ kinds: [LogDirectoryCheckpoints.Kind], of replicas: [Partition]) {
        var entries: [String: [LogDirectoryCheckpoints.Kind: [OffsetCheckpoint.Entry]]] = [:]
        var recoveryPoints: [String: [(Partition, Int64)]] = [:]
        for directory in checkpoints.logDirectories where FileSystem.exists(directory) { entries[directory] = [:] }
        for replica in replicas {
            let lines = replica.withLog { log in kinds.compactMap { kind in log.checkpointEntry(kind).map { (kind, $0) } } }
            for (kind, line) in lines {
                entries[replica.logDirectory, default: [:]][kind, default: []].append(line)
                if kind == .recoveryPoint { recoveryPoints[replica.logDirectory, default: []].append((replica, line.offset)) }
            }
        }
        for (directory, byKind) in entries {
            for kind in kinds {
                let sorted = (byKind[kind] ?? []).sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
                do {
                    try LogDirectoryCheckpoints.write(kind, entries: sorted, logDirectory: directory)
                    if kind == .recoveryPoint {
                        for (replica, offset) in recoveryPoints[directory] ?? [] { replica.withLog { $0.recoveryPointCheckpointWritten(offset) } }
                    }
                } catch {
                    logger.error("could not write a checkpoint file", metadata: [
                        "log.dir": "\(directory)", "log.file": "\(kind.fileName)", "error": "\(error)",
                    ])
                }
            }
        }
    }
}
