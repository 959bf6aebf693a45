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
    /// (timestamp lookups).
    public var decompressionLimit: Int

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
        decompressionLimit: Int = 128 * 1024 * 1024
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
    }

    var offsetIndexMaxEntries: Int { maxIndexBytes / OffsetIndex.entrySize }
    var timeIndexMaxEntries: Int { maxIndexBytes / TimeIndex.entrySize }
}
