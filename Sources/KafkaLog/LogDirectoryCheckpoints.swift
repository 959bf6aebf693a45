import Logging

/// Kafka's per-log-directory checkpoint files: in each log directory (a `log.dirs` entry) one file per
/// ``Kind``, in the ``OffsetCheckpoint`` format (`0`, the entry count, then `topic partition offset`
/// lines), each listing the partitions of that directory:
///
///     replication-offset-checkpoint     high watermarks (Kafka's ReplicaManager writes it every
///                                       replica.high.watermark.checkpoint.interval.ms and at shutdown)
///     recovery-point-offset-checkpoint  recovery points (LogManager: log.flush.offset.checkpoint.interval.ms)
///     log-start-offset-checkpoint       log start offsets, only of partitions whose log start offset is
///                                       past their first segment's base offset (LogManager:
///                                       log.flush.start.offset.checkpoint.interval.ms)
///
/// Each file is replaced atomically (``AtomicFile``). A missing file lists nothing; so does an
/// unreadable one, which Kafka too reads as empty (with a warning): its recovery points then default to
/// 0 (a full scan) and its log start offsets to the first segment's.
///
/// The values read are what ``PartitionLog/open(logDirectory:topic:partition:config:now:checkpointed:producerPolicy:logger:fileCache:)``
/// takes as `checkpointed`: see ``offsets(topic:partition:)``.
public struct LogDirectoryCheckpoints: Hashable, Sendable {
    public enum Kind: String, CaseIterable, Hashable, Sendable {
        case highWatermark = "replication-offset-checkpoint"
        case recoveryPoint = "recovery-point-offset-checkpoint"
        case logStartOffset = "log-start-offset-checkpoint"

        public var fileName: String { rawValue }
    }

    /// One partition's name in a checkpoint file.
    public struct Key: Hashable, Sendable {
        public var topic: String
        public var partition: Int32

        public init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }
    }

    public let logDirectory: String
    /// The offsets each file lists, by partition.
    public private(set) var offsets: [Kind: [Key: Int64]]
    /// Files that exist but could not be read (read as empty).
    public private(set) var unreadable: [Kind]

    public init(logDirectory: String, offsets: [Kind: [Key: Int64]] = [:], unreadable: [Kind] = []) {
        self.logDirectory = logDirectory
        self.offsets = offsets
        self.unreadable = unreadable
    }

    /// Reads the three files of `logDirectory` (each unreadable one logged).
    public static func read(logDirectory: String, logger: Logger? = nil) throws(LogError) -> LogDirectoryCheckpoints {
        var checkpoints = LogDirectoryCheckpoints(logDirectory: logDirectory)
        for kind in Kind.allCases {
            guard let bytes = try FileSystem.readFile(path(of: kind, in: logDirectory)) else { continue }
            guard let file = OffsetCheckpoint(parsing: bytes) else {
                checkpoints.unreadable.append(kind)
                logger?.warning("ignoring an unreadable checkpoint file", metadata: ["log.dir": "\(logDirectory)", "log.file": "\(kind.fileName)"])
                continue
            }
            var byKey: [Key: Int64] = [:]
            byKey.reserveCapacity(file.entries.count)
            for entry in file.entries where entry.offset >= 0 {
                byKey[Key(topic: entry.topic, partition: entry.partition)] = entry.offset
            }
            checkpoints.offsets[kind] = byKey
        }
        return checkpoints
    }

    /// What the files list for one partition, each field nil where its file does not list it.
    public func offsets(topic: String, partition: Int32) -> CheckpointedOffsets {
        let key = Key(topic: topic, partition: partition)
        return CheckpointedOffsets(
            recoveryPoint: offsets[.recoveryPoint]?[key], logStartOffset: offsets[.logStartOffset]?[key],
            highWatermark: offsets[.highWatermark]?[key]
        )
    }

    /// Drops every line of one partition (its log was deleted), so a partition of the same name created
    /// later does not start from the old one's offsets.
    public mutating func forget(topic: String, partition: Int32) {
        let key = Key(topic: topic, partition: partition)
        for kind in Array(offsets.keys) { offsets[kind]?[key] = nil }
    }

    /// Replaces the `kind` file of `logDirectory` atomically with `entries`, in their order.
    public static func write(_ kind: Kind, entries: [OffsetCheckpoint.Entry], logDirectory: String) throws(LogError) {
        try AtomicFile.write(OffsetCheckpoint(entries: entries).encoded(), to: path(of: kind, in: logDirectory))
    }

    public static func path(of kind: Kind, in logDirectory: String) -> String {
        FileSystem.join(logDirectory, kind.fileName)
    }
}

/// What a caller's checkpoint files hold for one partition, for
/// ``PartitionLog/open(logDirectory:topic:partition:config:now:checkpointed:producerPolicy:logger:fileCache:)``;
/// nil where a file does not list it.
public struct CheckpointedOffsets: Hashable, Sendable {
    public var recoveryPoint: Int64?
    public var logStartOffset: Int64?
    public var highWatermark: Int64?

    public init(recoveryPoint: Int64? = nil, logStartOffset: Int64? = nil, highWatermark: Int64? = nil) {
        self.recoveryPoint = recoveryPoint
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
    }
}

extension PartitionLog {
    /// This log's line in each of its log directory's checkpoint files: nil for `log-start-offset-checkpoint`
    /// when the log starts at its first segment (Kafka lists only logs whose start moved past it).
    public func checkpointEntry(_ kind: LogDirectoryCheckpoints.Kind) -> OffsetCheckpoint.Entry? {
        let offset: Int64
        switch kind {
        case .highWatermark: offset = highWatermark
        case .recoveryPoint: offset = recoveryPoint
        case .logStartOffset:
            guard logStartOffset > segments[0].baseOffset else { return nil }
            offset = logStartOffset
        }
        return OffsetCheckpoint.Entry(topic: topic, partition: partition, offset: offset)
    }
}
