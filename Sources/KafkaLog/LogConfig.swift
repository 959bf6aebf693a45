/// The per-topic settings a partition log obeys, named after Kafka's topic configs. Times are in
/// milliseconds; -1 means unlimited where Kafka allows it.
public struct LogConfig: Hashable, Sendable {
    /// `segment.bytes`: roll to a new segment before the active one would exceed this.
    public var segmentBytes: Int
    /// `segment.ms`: roll when the active segment's first batch is this much older than the incoming
    /// batch (or, without timestamps, the segment was created this long ago).
    public var segmentMs: Int64
    /// `segment.index.bytes`: index file capacity; a full index rolls the segment.
    public var maxIndexBytes: Int
    /// `index.interval.bytes`: one offset (and time) index entry per this many bytes of log.
    public var indexIntervalBytes: Int
    /// `retention.ms`: segments whose largest timestamp is older than this are deleted (-1 = forever).
    public var retentionMs: Int64
    /// `retention.bytes`: oldest segments are deleted while the log is larger than this (-1 = unlimited).
    public var retentionBytes: Int64
    /// `max.message.bytes`: the largest batch an append accepts.
    public var maxMessageBytes: Int
    /// `flush.messages`: ``PartitionLog/needsFlush(now:)`` is true after this many unflushed offsets.
    public var flushMessages: Int64
    /// `flush.ms`: ``PartitionLog/needsFlush(now:)`` is true this long after the last flush.
    public var flushMs: Int64
    /// Not a Kafka setting: the most bytes one batch may decompress to when the log reads records
    /// (timestamp lookups, cleaning).
    public var decompressionLimit: Int
    /// `cleanup.policy`: retention by time and size applies with `delete`, the cleaner with `compact`.
    public var cleanupPolicy: CleanupPolicy
    /// `delete.retention.ms`: how long a tombstone stays after the cleaner first rewrote its batch.
    public var deleteRetentionMs: Int64
    /// `min.compaction.lag.ms`: a segment whose largest timestamp is younger than this is not cleaned.
    public var minCompactionLagMs: Int64
    /// `max.compaction.lag.ms`: dirty data older than this is cleaned whatever the dirty ratio.
    public var maxCompactionLagMs: Int64
    /// `min.cleanable.dirty.ratio`: clean when dirty bytes / (clean + dirty bytes) exceeds this.
    public var minCleanableDirtyRatio: Double

    public init(
        segmentBytes: Int = 1 << 30,
        segmentMs: Int64 = 7 * 24 * 3600 * 1000,
        maxIndexBytes: Int = 10 * 1024 * 1024,
        indexIntervalBytes: Int = 4096,
        retentionMs: Int64 = 7 * 24 * 3600 * 1000,
        retentionBytes: Int64 = -1,
        maxMessageBytes: Int = 1_048_588,
        flushMessages: Int64 = Int64.max,
        flushMs: Int64 = Int64.max,
        decompressionLimit: Int = 128 * 1024 * 1024,
        cleanupPolicy: CleanupPolicy = .delete,
        deleteRetentionMs: Int64 = 24 * 3600 * 1000,
        minCompactionLagMs: Int64 = 0,
        maxCompactionLagMs: Int64 = .max,
        minCleanableDirtyRatio: Double = 0.5
    ) {
        self.segmentBytes = segmentBytes
        self.segmentMs = segmentMs
        self.maxIndexBytes = maxIndexBytes
        self.indexIntervalBytes = indexIntervalBytes
        self.retentionMs = retentionMs
        self.retentionBytes = retentionBytes
        self.maxMessageBytes = maxMessageBytes
        self.flushMessages = flushMessages
        self.flushMs = flushMs
        self.decompressionLimit = decompressionLimit
        self.cleanupPolicy = cleanupPolicy
        self.deleteRetentionMs = deleteRetentionMs
        self.minCompactionLagMs = minCompactionLagMs
        self.maxCompactionLagMs = maxCompactionLagMs
        self.minCleanableDirtyRatio = minCleanableDirtyRatio
    }

    /// Throws unless every value is one Kafka would accept.
    public func validate() throws(LogError) {
        guard segmentBytes >= 14, segmentBytes <= Int(Int32.max) else { throw .invalidArgument("segment.bytes \(segmentBytes)") }
        guard segmentMs >= 1 else { throw .invalidArgument("segment.ms \(segmentMs)") }
        guard maxIndexBytes >= 12 else { throw .invalidArgument("segment.index.bytes \(maxIndexBytes)") }
        guard indexIntervalBytes >= 0 else { throw .invalidArgument("index.interval.bytes \(indexIntervalBytes)") }
        guard retentionMs >= -1 else { throw .invalidArgument("retention.ms \(retentionMs)") }
        guard maxMessageBytes >= 0 else { throw .invalidArgument("max.message.bytes \(maxMessageBytes)") }
        guard flushMessages >= 1, flushMs >= 0 else { throw .invalidArgument("flush.messages \(flushMessages) / flush.ms \(flushMs)") }
        guard decompressionLimit > 0 else { throw .invalidArgument("decompression limit \(decompressionLimit)") }
        guard deleteRetentionMs >= 0, minCompactionLagMs >= 0, maxCompactionLagMs >= 1 else {
            throw .invalidArgument("delete.retention.ms \(deleteRetentionMs) / min.compaction.lag.ms \(minCompactionLagMs) / max.compaction.lag.ms \(maxCompactionLagMs)")
        }
        guard minCleanableDirtyRatio >= 0, minCleanableDirtyRatio <= 1 else { throw .invalidArgument("min.cleanable.dirty.ratio \(minCleanableDirtyRatio)") }
    }

    var offsetIndexMaxEntries: Int { maxIndexBytes / OffsetIndex.entrySize }
    var timeIndexMaxEntries: Int { maxIndexBytes / TimeIndex.entrySize }
}

/// `cleanup.policy`, a list of `delete` and `compact` (Kafka's `LogConfig.CleanupPolicy` values).
public struct CleanupPolicy: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let delete = CleanupPolicy(rawValue: 1)
    public static let compact = CleanupPolicy(rawValue: 2)

    /// Parses `delete`, `compact`, `compact,delete` (any order, spaces allowed); nil for anything else.
    public init?(configValue: String) {
        var policy: CleanupPolicy = []
        for item in configValue.split(separator: ",") {
            switch item.filter({ $0 != " " }) {
            case "delete": policy.insert(.delete)
            case "compact": policy.insert(.compact)
            default: return nil
            }
        }
        guard !policy.isEmpty else { return nil }
        self = policy
    }
}
