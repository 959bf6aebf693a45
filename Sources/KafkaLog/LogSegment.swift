import KafkaRecords
import NIOCore

/// One segment of a partition log: `<base offset>.log` holding record batches back to back exactly as
/// appended, with its `.index` (offset → position) and `.timeindex` (timestamp → offset).
///
/// Invariants: every batch's offsets are >= `baseOffset` and at most Int32.max past it, batches' offsets
/// strictly increase through the file, and the file is at most Int32.max bytes. The in-memory indexes are
/// the truth; their files are written as entries are added and rewritten whole by recovery.
///
/// Not thread-safe: the owner (``PartitionLog``) serialises every call. A segment is opened either by
/// ``create(directory:baseOffset:config:now:)`` (new, empty) or ``open(directory:baseOffset:config:now:mode:)``.
public final class LogSegment {
    /// How to bring an existing segment's state into memory.
    public enum OpenMode: Sendable {
        /// Trust the index files after sanity checks (a flushed segment): read them, then scan only the
        /// batch headers after the last index entry. Falls back to rebuilding the indexes from batch
        /// headers; a segment that does not scan throws ``LogError/corruptSegment(path:position:reason:)``.
        case load
        /// Scan every batch, CRC included, and rebuild both indexes. At the first invalid batch, either
        /// truncate the file there (`truncatingCorruptTail`) or throw.
        case recover(truncatingCorruptTail: Bool)
    }

    public let baseOffset: Int64
    public let directory: String
    public let logFile: LogFile
    let offsetIndexFile: LogFile
    let timeIndexFile: LogFile
    let indexIntervalBytes: Int

    public internal(set) var offsetIndex: OffsetIndex
    public internal(set) var timeIndex: TimeIndex
    /// Bytes in the `.log`.
    public internal(set) var size: Int64 = 0
    /// One past the last offset of the last batch; `baseOffset` when empty.
    public internal(set) var nextOffset: Int64
    /// The largest batch maxTimestamp in the segment, -1 when none.
    public internal(set) var maxTimestampSoFar: Int64 = -1
    /// The last offset of the first batch that carried ``maxTimestampSoFar``.
    public internal(set) var offsetOfMaxTimestampSoFar: Int64
    /// The first batch's maxTimestamp (what time-based rolling measures from); nil when empty.
    public internal(set) var firstBatchTimestamp: Int64?
    /// When the segment was created, or opened (Kafka's `created`): the fallback for time-based rolling.
    public internal(set) var created: Int64
    /// What the last recovery found, when the segment was opened with `.recover`.
    public internal(set) var lastRecovery: SegmentRecovery?

    var bytesSinceLastIndexEntry = 0
    var offsetIndexEntriesOnDisk = 0
    var timeIndexEntriesOnDisk = 0

    private init(directory: String, baseOffset: Int64, config: LogConfig, now: Int64, create: Bool) throws(LogError) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.indexIntervalBytes = config.indexIntervalBytes
        self.logFile = try LogFile.open(Self.path(directory, baseOffset, LogFileNames.logSuffix), create: create)
        self.offsetIndexFile = try LogFile.open(Self.path(directory, baseOffset, LogFileNames.offsetIndexSuffix), create: true)
        self.timeIndexFile = try LogFile.open(Self.path(directory, baseOffset, LogFileNames.timeIndexSuffix), create: true)
        self.offsetIndex = OffsetIndex(baseOffset: baseOffset, maxEntries: config.offsetIndexMaxEntries)
        self.timeIndex = TimeIndex(baseOffset: baseOffset, maxEntries: config.timeIndexMaxEntries)
        self.nextOffset = baseOffset
        self.offsetOfMaxTimestampSoFar = baseOffset
        self.created = now
    }

    /// A new, empty segment. Files left over under the same name are emptied.
    public static func create(directory: String, baseOffset: Int64, config: LogConfig, now: Int64) throws(LogError) -> LogSegment {
        guard baseOffset >= 0 else { throw .invalidArgument("segment base offset \(baseOffset)") }
        let segment = try LogSegment(directory: directory, baseOffset: baseOffset, config: config, now: now, create: true)
        try segment.logFile.truncate(to: 0)
        try segment.offsetIndexFile.truncate(to: 0)
        try segment.timeIndexFile.truncate(to: 0)
        return segment
    }

    /// An existing segment (its `.log` must exist; missing index files are rebuilt).
    public static func open(directory: String, baseOffset: Int64, config: LogConfig, now: Int64, mode: OpenMode) throws(LogError) -> LogSegment {
        let segment = try LogSegment(directory: directory, baseOffset: baseOffset, config: config, now: now, create: false)
        segment.size = try segment.logFile.size()
        switch mode {
        case .load: try segment.load()
        case let .recover(truncating): segment.lastRecovery = try segment.recover(truncatingCorruptTail: truncating)
        }
        return segment
    }

    static func path(_ directory: String, _ baseOffset: Int64, _ suffix: String) -> String {
        FileSystem.join(directory, LogFileNames.segmentFileName(baseOffset: baseOffset, suffix: suffix))
    }

    /// The timestamp retention measures: the largest batch timestamp, or the `.log`'s modification time
    /// when no batch has one (as Kafka).
    public func largestTimestamp() throws(LogError) -> Int64 {
        maxTimestampSoFar >= 0 ? maxTimestampSoFar : try logFile.modificationTimeMillis()
    }

    /// Appends `batches` (the readable bytes: whole v2 batches, already validated, offsets assigned and
    /// >= ``nextOffset``) in one write; `headers` are their parsed headers, in order. Updates both indexes
    /// from the headers only. Returns the file position of the first batch. On a failed write the file is
    /// cut back to its previous size.
    @discardableResult
    public func append(_ batches: ByteBuffer, headers: [RecordBatchHeader]) throws(LogError) -> Int64 {
        try append(pieces: [batches], headers: headers)
    }

    /// As ``append(_:headers:)``, with the batches' bytes given as consecutive pieces (written with one
    /// `pwritev`), so a caller can patch headers without copying the batches.
    public func append(pieces: [ByteBuffer], headers: [RecordBatchHeader]) throws(LogError) -> Int64 {
        var total = 0
        var expected = nextOffset
        for header in headers {
            guard header.baseOffset >= expected, header.lastOffsetDelta >= 0, offsetIndex.canAppend(offset: header.lastOffset) else {
                throw .invalidArgument("batch at offset \(header.baseOffset) does not fit segment \(baseOffset) at next offset \(expected)")
            }
            expected = header.nextOffset
            total += header.totalSize
        }
        let given = pieces.reduce(0) { $0 + $1.readableBytes }
        guard total == given else {
            throw .invalidArgument("headers describe \(total) bytes, the buffer holds \(given)")
        }
        guard size + Int64(total) <= Int64(Int32.max) else {
            throw .recordListTooLarge(size: total, segmentBytes: Int(Int32.max))
        }
        let start = size
        do {
            if pieces.count == 1 { try logFile.write(pieces[0], at: start) } else { try logFile.write(pieces, at: start) }
        } catch {
            try? logFile.truncate(to: start)
            throw error
        }
        var position = start
        for header in headers {
            indexBatch(header, at: position)
            position += Int64(header.totalSize)
        }
        size = position
        try writeIndexEntries()
        return start
    }

    /// Appends one batch; see ``append(_:headers:)``.
    @discardableResult
    public func append(_ batch: RecordBatch) throws(LogError) -> Int64 {
        try append(batch.bytes, headers: [batch.header])
    }

    /// Updates in-memory state and indexes for a batch now at `position` (Kafka's rule: an index entry
    /// for a batch once more than `index.interval.bytes` were written since the last entry).
    func indexBatch(_ header: RecordBatchHeader, at position: Int64) {
        if position == 0 { firstBatchTimestamp = header.maxTimestamp }
        if header.maxTimestamp > maxTimestampSoFar {
            maxTimestampSoFar = header.maxTimestamp
            offsetOfMaxTimestampSoFar = header.lastOffset
        }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            offsetIndex.append(offset: header.lastOffset, position: position)
            timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar)
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += header.totalSize
        nextOffset = header.nextOffset
    }

    /// Brings the index files in line with the in-memory entries: appends new ones, or cuts the file
    /// when entries were removed.
    func writeIndexEntries() throws(LogError) {
        let offsetCount = offsetIndex.entries.count
        if offsetCount < offsetIndexEntriesOnDisk {
            try offsetIndexFile.truncate(to: Int64(offsetCount * OffsetIndex.entrySize))
        } else if offsetCount > offsetIndexEntriesOnDisk {
            try offsetIndexFile.write(offsetIndex.encoded(from: offsetIndexEntriesOnDisk), at: Int64(offsetIndexEntriesOnDisk * OffsetIndex.entrySize))
        }
        offsetIndexEntriesOnDisk = offsetCount
        let timeCount = timeIndex.entries.count
        if timeCount < timeIndexEntriesOnDisk {
            try timeIndexFile.truncate(to: Int64(timeCount * TimeIndex.entrySize))
        } else if timeCount > timeIndexEntriesOnDisk {
            try timeIndexFile.write(timeIndex.encoded(from: timeIndexEntriesOnDisk), at: Int64(timeIndexEntriesOnDisk * TimeIndex.entrySize))
        }
        timeIndexEntriesOnDisk = timeCount
    }

    /// Rewrites both index files from the in-memory entries.
    func rewriteIndexFiles() throws(LogError) {
        try offsetIndexFile.truncate(to: 0)
        try timeIndexFile.truncate(to: 0)
        offsetIndexEntriesOnDisk = 0
        timeIndexEntriesOnDisk = 0
        try writeIndexEntries()
    }

    /// fsync of the `.log`, then both indexes.
    public func flush() throws(LogError) {
        try logFile.sync()
        try offsetIndexFile.sync()
        try timeIndexFile.sync()
    }

    /// fsync of the `.log` only (enough for an active segment, whose indexes are rebuilt on every open).
    public func flushLog() throws(LogError) {
        try logFile.sync()
    }

    /// When the segment stops being active (roll, close): records the largest timestamp as the final time
    /// index entry, as Kafka does, so that retention can read it from the file later; then flushes.
    public func seal() throws(LogError) {
        timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar, skipFullCheck: true)
        try writeIndexEntries()
        try flush()
    }

    /// Removes the segment's three files. Open ranges stay readable until released.
    public func deleteFiles() throws(LogError) {
        try FileSystem.remove(logFile.path)
        try FileSystem.remove(offsetIndexFile.path)
        try FileSystem.remove(timeIndexFile.path)
    }

    /// Whether an index is full (the segment must roll before another entry is needed).
    public var isIndexFull: Bool { offsetIndex.isFull || timeIndex.isFull }
}

/// What ``LogSegment/recover(truncatingCorruptTail:)`` found.
public struct SegmentRecovery: Hashable, Sendable {
    /// Bytes of whole, valid batches from the start of the file.
    public var validBytes: Int64
    /// Bytes cut off the end (0 when the whole file was valid).
    public var truncatedBytes: Int64
    public var batchCount: Int
    /// Why the scan stopped early, when it did.
    public var reason: String?
}
