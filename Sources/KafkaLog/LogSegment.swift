import KafkaRecords
import NIOCore

/// One segment of a partition log: `<base offset>.log` holding record batches back to back exactly as
/// appended, with its `.index` (offset → position) and `.timeindex` (timestamp → offset).
///
/// Invariants: every batch's offsets are >= `baseOffset` and at most Int32.max past it, batches' offsets
/// strictly increase through the file, and the file is at most Int32.max bytes. The in-memory indexes are
/// the truth. Their files match them once the segment is sealed, durably once it is flushed (appends
/// change memory only; the active segment's are written at close and rebuilt by recovery after a crash,
/// as are those of a sealed segment above the recovery point), and are rewritten whole,
/// in passing (see ``IndexFile``), by seal, flush, recovery and truncation.
///
/// Descriptors: index files hold none; the `.log` is open only while the ``LogFileCache`` keeps it, and is
/// reopened on use after eviction (``logFile``).
///
/// Not thread-safe: the owner (``PartitionLog``) serialises every call. A segment is opened either by
/// ``create(directory:baseOffset:config:now:fileCache:)`` (new, empty) or ``open(directory:baseOffset:config:now:mode:fileCache:)``.
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

    /// How the index files stand against the in-memory entries.
    enum IndexFilesState {
        /// The files lag the entries (or may: every change to an index lands here).
        case stale
        /// The files hold the entries, not yet fsync'd.
        case written
        /// The files hold the entries and were fsync'd.
        case durable
    }

    public let baseOffset: Int64
    public let directory: String
    /// The `.log`, open only while the file cache keeps it.
    let file: SegmentFile
    let offsetIndexPath: String
    let timeIndexPath: String
    let indexIntervalBytes: Int

    public internal(set) var offsetIndex: OffsetIndex { didSet { indexFiles = .stale } }
    public internal(set) var timeIndex: TimeIndex { didSet { indexFiles = .stale } }
    var indexFiles = IndexFilesState.stale
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
    /// Whether `.txnindex` (see ``TransactionIndex``) was fsync'd since it was last appended to.
    var transactionIndexIsDurable = true

    private init(directory: String, baseOffset: Int64, config: LogConfig, now: Int64, fileCache: LogFileCache) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.indexIntervalBytes = config.indexIntervalBytes
        self.file = SegmentFile(path: Self.path(directory, baseOffset, LogFileNames.logSuffix), cache: fileCache)
        self.offsetIndexPath = Self.path(directory, baseOffset, LogFileNames.offsetIndexSuffix)
        self.timeIndexPath = Self.path(directory, baseOffset, LogFileNames.timeIndexSuffix)
        self.offsetIndex = OffsetIndex(baseOffset: baseOffset, maxEntries: config.offsetIndexMaxEntries)
        self.timeIndex = TimeIndex(baseOffset: baseOffset, maxEntries: config.timeIndexMaxEntries)
        self.nextOffset = baseOffset
        self.offsetOfMaxTimestampSoFar = baseOffset
        self.created = now
    }

    deinit { file.release() }

    /// A new, empty segment (its `.log` left open in `fileCache`). Files left over under the same name
    /// are emptied.
    public static func create(directory: String, baseOffset: Int64, config: LogConfig, now: Int64, fileCache: LogFileCache = .shared) throws(LogError) -> LogSegment {
        guard baseOffset >= 0 else { throw .invalidArgument("segment base offset \(baseOffset)") }
        let segment = LogSegment(directory: directory, baseOffset: baseOffset, config: config, now: now, fileCache: fileCache)
        _ = try segment.file.create()
        try segment.writeIndexFiles()
        return segment
    }

    /// An existing segment (its `.log` must exist; missing index files are rebuilt), its `.log` opened
    /// through `fileCache`.
    public static func open(directory: String, baseOffset: Int64, config: LogConfig, now: Int64, mode: OpenMode, fileCache: LogFileCache = .shared) throws(LogError) -> LogSegment {
        let segment = LogSegment(directory: directory, baseOffset: baseOffset, config: config, now: now, fileCache: fileCache)
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

    /// The `.log` file, open: the one the file cache holds, or reopened (read-write, never created) when
    /// it was evicted. Hold it for the operation at hand only; it stays valid for as long as it is held.
    public var logFile: LogFile {
        get throws(LogError) { try file.open() }
    }

    /// The `.log`'s path.
    public var logPath: String { file.path }

    /// Drops the `.log` from the file cache: the segment holds no descriptor until its next use.
    public func releaseFile() {
        file.release()
    }

    /// The timestamp retention measures: the largest batch timestamp, or the `.log`'s modification time
    /// when no batch has one (as Kafka).
    public func largestTimestamp() throws(LogError) -> Int64 {
        maxTimestampSoFar >= 0 ? maxTimestampSoFar : try FileSystem.modificationTimeMillis(logPath)
    }

    /// Appends `batches` (the readable bytes: whole v2 batches, already validated, offsets assigned and
    /// >= ``nextOffset``) in one write; `headers` are their parsed headers, in order. Updates both indexes
    /// from the headers only, in memory. Returns the file position of the first batch. On a failed write
    /// the file is cut back to its previous size.
    @discardableResult
    public func append(_ batches: ByteBuffer, headers: [RecordBatchHeader]) throws(LogError) -> Int64 {
        try append(pieces: [batches], headers: headers)
    }

    /// As ``append(_:headers:)``, with the batches' bytes given as consecutive pieces (written with one
    /// `pwritev`), so a caller can patch headers without copying the batches.
    @discardableResult
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
        let logFile = try self.logFile
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

    /// Writes the index files when they may lag the in-memory entries (not fsync'd).
    func writeIndexFiles() throws(LogError) {
        guard indexFiles == .stale else { return }
        try writeIndexFiles(sync: false)
    }

    /// Makes the index files hold the in-memory entries durably: written if they lag, fsync'd if not yet.
    func syncIndexFiles() throws(LogError) {
        switch indexFiles {
        case .stale:
            try writeIndexFiles(sync: true)
        case .written:
            try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.sync(offsetIndexPath) }
            try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.sync(timeIndexPath) }
            indexFiles = .durable
        case .durable:
            return
        }
    }

    private func writeIndexFiles(sync: Bool) throws(LogError) {
        let offsets = offsetIndex.encoded()
        let times = timeIndex.encoded()
        try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.write(offsets, to: offsetIndexPath, sync: sync) }
        try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.write(times, to: timeIndexPath, sync: sync) }
        indexFiles = sync ? .durable : .written
    }

    /// fsync of the `.log`, then the index files are made to hold the in-memory entries durably.
    public func flush() throws(LogError) {
        try logFile.sync()
        try syncIndexFiles()
        try syncTransactionIndex()
    }

    /// fsync of the `.log` only (enough for an active segment: an open after a crash rebuilds its indexes,
    /// one after a clean shutdown checks them).
    public func flushLog() throws(LogError) {
        try logFile.sync()
    }

    /// When the segment stops being active (a roll): records the largest timestamp as the final time
    /// index entry, as Kafka does, so that retention can read it from the file later, and writes the
    /// index files whole (from then on they match the entries). Nothing is fsync'd: the flush that
    /// moves the recovery point past the segment syncs its `.log`, index files and `.txnindex`
    /// (``flush()``), and until then an open after a crash scans the segment and rebuilds its indexes.
    public func seal() throws(LogError) {
        timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar, skipFullCheck: true)
        try writeIndexFiles(sync: false)
    }

    /// Removes the segment's files, and its `.log` from the file cache for good (it is never
    /// reopened). Open ranges stay readable until released.
    public func deleteFiles() throws(LogError) {
        file.retire()
        try Self.removeFiles(directory: directory, baseOffset: baseOffset)
    }

    /// Removes the files of the segment at `baseOffset` in `directory` without opening it (one recovery
    /// deletes unread); missing ones are skipped. Nothing is fsync'd.
    static func removeFiles(directory: String, baseOffset: Int64) throws(LogError) {
        for suffix in [LogFileNames.logSuffix, LogFileNames.offsetIndexSuffix, LogFileNames.timeIndexSuffix,
                       LogFileNames.transactionIndexSuffix] {
            try FileSystem.remove(path(directory, baseOffset, suffix))
        }
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
