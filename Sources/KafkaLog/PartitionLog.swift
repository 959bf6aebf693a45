import KafkaRecords
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The log of one partition replica (Kafka's `UnifiedLog`, local part): segments in
/// `<logDirectory>/<topic>-<partition>/`, ordered by base offset, the last one active.
///
/// Offsets: `logStartOffset <= highWatermark <= logEndOffset`. Records below `logStartOffset` are
/// deleted (whole segments are removed once entirely below it); `logEndOffset` is the next offset to
/// assign; the high watermark is advanced by the caller (the broker's `Partition`, after the data it
/// covers is durable enough or replicated; the log itself only clamps it when its start or end moves)
/// and is kept in memory only: ``open(logDirectory:topic:partition:config:now:checkpointed:producerPolicy:logger:fileCache:)``
/// takes it from the caller's checkpoint (Kafka's `replication-offset-checkpoint`), else sets it to the log
/// end offset. `recoveryPoint` is the flushed-offset watermark: offsets below it are on disk (fsync'd).
///
/// Leader epochs: ``leaderEpochCache`` holds where each leader epoch starts (Kafka's
/// `LeaderEpochFileCache`), filled by appends from the batches' partition leader epochs and trimmed by
/// truncation and by raising the log start offset; `leader-epoch-checkpoint` holds it whenever records
/// past what it describes are written (see ``leaderEpochCheckpointIsStale``).
///
/// Durability protocol (Kafka's): a roll seals a segment and creates the next without fsync; the next
/// flush syncs every segment from the recovery point on, and the small files of the segments sealed
/// since (``sealedAwaitingSync``), before the recovery point moves. Open scans every segment holding
/// offsets at or past the checkpointed recovery point, the active one always, cutting a torn or corrupt
/// batch and the segments after it. A checkpoint too low costs a longer scan. One too high (a
/// truncation lowers the recovery point, not the files) would let open trust segments it should scan,
/// so a roll below the highest recovery point the log has had syncs at once (``highestRecoveryPoint``).
/// Where it is checkpointed:
/// - a log opened without `checkpointed` offsets (the metadata log, tools, tests) keeps its own
///   `recovery-point-offset-checkpoint` in the partition directory, written (atomically) when a flush
///   passes a segment boundary and at close;
/// - a log opened with them belongs to a caller that writes its log directory's checkpoint files
///   (``LogDirectoryCheckpoints``, Kafka's `LogManager` role) periodically and at clean shutdown, from
///   ``recoveryPoint``, ``logStartOffset`` and ``highWatermark``; the log writes no recovery point itself.
/// Either way the log start offset is checkpointed in the partition directory before DeleteRecords or
/// ``truncateFullyAndStart(at:now:)`` return, and close creates the clean-shutdown marker, which open
/// removes. Opening recovers, see ``open(logDirectory:topic:partition:config:now:checkpointed:producerPolicy:logger:fileCache:)``.
///
/// Descriptors: the log holds none of its own. Segments' `.log` files are open only while ``fileCache``
/// keeps them (an idle log's may all be evicted; they reopen on use) and index files are opened only in
/// passing, so a node's descriptors are bounded by the cache's capacity, not by its partitions.
///
/// Synchronous and not thread-safe: the broker must serialise all calls for a partition (one at a
/// time; ``FetchData`` ranges may be read concurrently afterwards). Times are milliseconds passed in;
/// the log never reads a clock.
public final class PartitionLog {
    public static let earliestTimestamp: Int64 = -2
    public static let latestTimestamp: Int64 = -1
    public static let maxTimestamp: Int64 = -3

    public let topic: String
    public let partition: Int32
    public let directory: String
    public let config: LogConfig
    /// Where the segments' `.log` files are kept open.
    public let fileCache: LogFileCache
    let logger: Logger

    /// Ordered by base offset; never empty; the last is the active segment.
    public internal(set) var segments: [LogSegment]
    public internal(set) var logStartOffset: Int64
    /// Set only by ``updateHighWatermark(_:)``, which keeps it within `[logStartOffset, logEndOffset]`.
    public private(set) var highWatermark: Int64
    /// Offsets below this are durable.
    public internal(set) var recoveryPoint: Int64 {
        didSet { highestRecoveryPoint = max(highestRecoveryPoint, recoveryPoint) }
    }
    /// The largest recovery point this log has had, or read from a checkpoint at open: what a
    /// recovery-point checkpoint file may hold, the periodic writer having seen any of them. A
    /// truncation lowers ``recoveryPoint`` but not the files; a segment sealed below this point would be
    /// trusted unscanned by an open after a crash, so a roll there syncs it at once (see ``roll(now:)``).
    public internal(set) var highestRecoveryPoint: Int64 = 0
    /// Segments sealed by a roll whose small files (index files, `.txnindex`) no flush has synced yet:
    /// the next flush does, wherever its range starts (a flush prepared before the roll may move the
    /// recovery point past such a segment without them).
    var sealedAwaitingSync: [LogSegment] = []
    /// When ``flush(upTo:now:)`` last made everything durable (or the log was opened).
    public internal(set) var lastFlushTime: Int64
    public internal(set) var producerState: ProducerStateManager
    /// The transactions aborted in this log, in marker order (what the segments' `.txnindex` files hold).
    public internal(set) var abortedTransactions: [AbortedTransaction] = []
    /// The offset of the newest `.snapshot` file (see PartitionLog+ProducerSnapshots.swift).
    public internal(set) var latestProducerSnapshot: Int64?
    /// What opening found and repaired.
    public internal(set) var openReport: LogOpenReport
    public internal(set) var isClosed = false
    /// The storage failure that took the log offline, if one did.
    public internal(set) var storageFailure: LogError?
    /// The log cleaner's checkpoint: the first offset it has not cleaned (`cleaner-offset-checkpoint`).
    public internal(set) var cleanerCheckpoint: Int64?
    /// Directories not yet fsync'd since this log was opened (the log directory and the partition's, whose
    /// entries an open may have made or removed), or since segments were deleted or truncated. Opening
    /// 20,000 partitions must not cost 40,000 directory fsyncs; nothing needs them durable until records
    /// are: every flush (and close) syncs these first, so a file holding acknowledged records is never
    /// lost with its directory entry. (An empty partition lost in a crash is created again from the metadata.)
    var unsyncedDirectories: [String] = []
    /// The offsets of producer snapshots rolls wrote and no flush has fsync'd yet.
    var unsyncedProducerSnapshots: [Int64] = []
    /// Changes at each truncation, drawn from a counter shared by every log of the process (so a log
    /// reopened in its place never repeats a value): a flush prepared under another generation no
    /// longer describes the log (``completeFlush(_:now:)`` ignores it), as records past the new end
    /// may be new and unsynced.
    var flushGeneration = PartitionLog.nextFlushGeneration()

    private static let flushGenerations = NIOLockedValueBox<UInt64>(0)

    static func nextFlushGeneration() -> UInt64 {
        flushGenerations.withLockedValue { $0 += 1; return $0 }
    }
    /// What `recovery-point-offset-checkpoint` holds, as read at open or last written.
    var checkpointedRecoveryPoint: Int64?
    /// Whether the caller checkpoints this log's offsets in its log directory's files (the log was opened
    /// with `checkpointed` offsets): then the log writes no `recovery-point-offset-checkpoint` of its own.
    let checkpointsInLogDirectory: Bool
    /// Where each leader epoch starts (Kafka's `LeaderEpochFileCache`), as `leader-epoch-checkpoint` holds it.
    public internal(set) var leaderEpochCache: LeaderEpochCache
    /// `leader-epoch-checkpoint` may not hold ``leaderEpochCache``: open changed the cache it read (a
    /// truncated tail, a missing or unreadable file). Written before any record is, so a crash never
    /// leaves records the file describes wrongly.
    var leaderEpochCheckpointIsStale = false
    /// Open removed a clean-shutdown marker and has not yet fsync'd the directory. The marker lets the
    /// next open trust the active segment without scanning it, so it must be gone for good before the
    /// files change: the first step that changes files (``changingFiles(_:)``) syncs the directory
    /// first. A log that only serves reads and closes costs no fsync for it, so steps that may change
    /// nothing (the retention pass, a follower's truncation to its end) check before they call it.
    var markerRemovalIsUnsynced = false

    init(
        topic: String, partition: Int32, directory: String, config: LogConfig, fileCache: LogFileCache, logger: Logger,
        segments: [LogSegment], logStartOffset: Int64, highWatermark: Int64?, producerState: ProducerStateManager,
        leaderEpochCache: LeaderEpochCache, checkpointsInLogDirectory: Bool, openReport: LogOpenReport, now: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.directory = directory
        self.config = config
        self.fileCache = fileCache
        self.logger = logger
        self.segments = segments
        self.logStartOffset = logStartOffset
        let end = segments.last!.nextOffset
        self.highWatermark = min(max(highWatermark ?? end, logStartOffset), end)
        self.recoveryPoint = end
        self.highestRecoveryPoint = end
        self.lastFlushTime = now
        self.producerState = producerState
        self.leaderEpochCache = leaderEpochCache
        self.checkpointsInLogDirectory = checkpointsInLogDirectory
        self.openReport = openReport
    }

    public var activeSegment: LogSegment { segments[segments.count - 1] }
    public var logEndOffset: Int64 { activeSegment.nextOffset }
    /// Bytes in all segments.
    public var size: Int64 { segments.reduce(0) { $0 + $1.size } }
    /// Offsets appended but not yet flushed (Kafka's `unflushedMessages`).
    public var unflushedMessages: Int64 { logEndOffset - recoveryPoint }

    /// Whether the `flush.messages` or `flush.ms` policy asks for a flush now.
    public func needsFlush(now: Int64) -> Bool {
        guard unflushedMessages > 0 else { return false }
        return unflushedMessages >= config.flushMessages || now - lastFlushTime >= config.flushMs
    }

    /// Sets the high watermark, clamped to `[logStartOffset, logEndOffset]`; returns the value set.
    @discardableResult
    public func updateHighWatermark(_ offset: Int64) -> Int64 {
        highWatermark = min(max(offset, logStartOffset), logEndOffset)
        producerState.onHighWatermarkUpdated(highWatermark)
        return highWatermark
    }

    /// The index of the segment holding `offset`: the last one whose base offset is <= it.
    func segmentIndex(for offset: Int64) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    func ensureOpen() throws(LogError) {
        if isClosed { throw .closed }
        if let storageFailure { throw .offline(storageFailure.description) }
    }

    /// Runs a step that changes files; a storage error (I/O, corruption) takes the log offline, since the
    /// files and the in-memory state may now disagree (a failed fsync may even have lost written pages).
    func changingFiles<T>(_ body: () throws(LogError) -> T) throws(LogError) -> T {
        do {
            if markerRemovalIsUnsynced {
                try fileCache.retryingOnExhaustion { () throws(LogError) in try FileSystem.syncDirectory(directory) }
                markerRemovalIsUnsynced = false
            }
            return try body()
        } catch {
            switch error {
            case _ where error.isDescriptorExhaustion:
                // Out of descriptors is the process's state, not the files': nothing was changed by the
                // failed open, and the next call may succeed.
                break
            case .io, .corruptSegment:
                storageFailure = error
                logger.error("log taken offline", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            default: break
            }
            throw error
        }
    }

    /// Makes everything below `offset` (default: the log end offset) durable: fsync of the segments
    /// holding unflushed offsets (the active segment's `.log` only; its indexes are checked or rebuilt on open),
    /// reopening their files if the cache evicted them.
    /// Afterwards ``recoveryPoint`` is the log end offset. For "fsync before acknowledging" call this
    /// after ``append(_:leaderEpoch:timestampType:now:)``; for `flush.messages`/`flush.ms`, when
    /// ``needsFlush(now:)``.
    public func flush(upTo offset: Int64? = nil, now: Int64) throws(LogError) {
        try ensureOpen()
        let target = min(offset ?? logEndOffset, logEndOffset)
        guard target > recoveryPoint || !sealedAwaitingSync.isEmpty else { return }
        let end = logEndOffset
        try changingFiles { () throws(LogError) in
            try syncPendingDirectories()
            for segment in segments[segmentIndex(for: recoveryPoint)...] {
                if segment === activeSegment { try segment.flushLog() } else { try segment.flush() }
            }
            try syncSealedAwaitingSync { segment throws(LogError) in try segment.flush() }
            try syncRolledProducerSnapshot()
        }
        if end > recoveryPoint { try advanceRecoveryPoint(to: end, now: now) }
    }

    /// The segments of ``sealedAwaitingSync`` still in the log and sealed (retention, truncation or the
    /// cleaner may have removed them, or a truncation made one active again).
    var sealedStillAwaitingSync: [LogSegment] {
        sealedAwaitingSync.filter { segment in
            segment !== activeSegment && segments[segmentIndex(for: segment.baseOffset)] === segment
        }
    }

    /// Runs `sync` on each of ``sealedStillAwaitingSync``, then empties the list; after an error the list
    /// stays (the log may stay online: running out of descriptors does not take it offline).
    func syncSealedAwaitingSync(_ sync: (LogSegment) throws(LogError) -> Void) throws(LogError) {
        for segment in sealedStillAwaitingSync { try sync(segment) }
        sealedAwaitingSync = []
    }

    /// Moves the recovery point to `offset`, everything below it being durable. A log that keeps its
    /// own `recovery-point-offset-checkpoint` (no log-directory checkpoints) writes it when the point
    /// passes a segment boundary, as a roll's flush does: an open after a crash then scans the
    /// active segment only.
    func advanceRecoveryPoint(to offset: Int64, now: Int64) throws(LogError) {
        let crossedSegment = segmentIndex(for: recoveryPoint) != segmentIndex(for: offset)
        recoveryPoint = offset
        lastFlushTime = now
        // Set before the checkpoint is written, which may fail: the point is durable either way.
        if crossedSegment, !checkpointsInLogDirectory, checkpointedRecoveryPoint != offset {
            try writeCheckpoint(LogFileNames.recoveryPointCheckpoint, offset: offset)
        }
    }

    /// fsync of the producer snapshots rolls wrote, those not yet durable and still there (see ``roll(now:)``).
    func syncRolledProducerSnapshot() throws(LogError) {
        while let offset = unsyncedProducerSnapshots.first {
            let path = Self.producerSnapshotPath(directory, offset)
            if FileSystem.exists(path) {
                try fileCache.retryingOnExhaustion { () throws(LogError) in try IndexFile.sync(path) }
            }
            unsyncedProducerSnapshots.removeFirst()
        }
    }

    /// Adds the partition directory to ``unsyncedDirectories`` (entries in it changed: a file created,
    /// deleted or renamed), once.
    func markDirectoryUnsynced() {
        if !unsyncedDirectories.contains(directory) { unsyncedDirectories.append(directory) }
    }

    /// See ``unsyncedDirectories``: called by every flush before it syncs records.
    func syncPendingDirectories() throws(LogError) {
        while let directory = unsyncedDirectories.first {
            try FileSystem.syncDirectory(directory)
            unsyncedDirectories.removeFirst()
        }
    }

    /// Flushes what is not yet durable (acks=1 records too, as Kafka does at a clean shutdown) with the
    /// active segment's `.txnindex`, writes a producer state snapshot at the log end offset unless one is
    /// there (not fsync'd: see ``takeProducerSnapshot(syncingDirectories:)``), writes the recovery-point checkpoint if it changed (unless the caller checkpoints the log directory, which
    /// it does after closing its logs), then creates the clean-shutdown marker, and releases the
    /// segments' files from the file cache. The log cannot be used afterwards; ranges already returned
    /// stay readable.
    ///
    /// An idle log costs no fsync: the active segment is not sealed, its index files are written if they
    /// lag (not fsync'd: the next open checks them and rebuilds them when they fail), and the marker is
    /// created without fsync. The marker lets the next open load every segment, the active one too, from
    /// its indexes and batch headers instead of scanning and checksumming it (as Kafka skips recovery
    /// after a clean shutdown); created after the records are durable, it can be lost in a crash (a scan
    /// follows) but never claim more. So a node with 20,000 partitions stops in a moment rather than
    /// after 100,000 fsyncs, and starts without reading its active segments.
    public func close() throws(LogError) {
        try ensureOpen()
        // Nothing changed the files since open, or the directory was synced then: a marker the open
        // removed and a crash brought back would still describe these files.
        markerRemovalIsUnsynced = false
        try changingFiles { () throws(LogError) in
            if logEndOffset > recoveryPoint || !sealedAwaitingSync.isEmpty { try flush(now: lastFlushTime) }
            try activeSegment.writeIndexFiles()
            try activeSegment.syncTransactionIndex()
            try takeProducerSnapshot()
            if !checkpointsInLogDirectory, (checkpointedRecoveryPoint ?? 0) != recoveryPoint {
                try writeCheckpoint(LogFileNames.recoveryPointCheckpoint, offset: recoveryPoint)
            }
            try FileSystem.createEmptyFile(FileSystem.join(directory, LogFileNames.cleanShutdownMarker))
        }
        isClosed = true
        for segment in segments { segment.releaseFile() }
        logger.debug("closed log", metadata: metadata)
    }

    /// Removes the partition directory and everything in it. The log cannot be used afterwards. A log a
    /// storage failure took offline is deleted too (its topic is gone; a topic created again under the
    /// name must not find its files); should the disk refuse, the error is thrown.
    public func delete() throws(LogError) {
        if isClosed { throw .closed }
        isClosed = true
        for segment in segments { segment.file.retire() }
        try FileSystem.removeTree(directory)
        let parent = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
        if !parent.isEmpty { try FileSystem.syncDirectory(parent) }
        logger.info("deleted log", metadata: metadata)
    }

    /// Removes what a partition left in `logDirectory` without an open log (one that failed to open:
    /// its directory, or whatever stands in its place), durably; whether there was anything.
    public static func deleteUnopened(logDirectory: String, topic: String, partition: Int32) throws(LogError) -> Bool {
        let path = FileSystem.join(logDirectory, LogFileNames.partitionDirectoryName(topic: topic, partition: partition))
        guard try FileSystem.removeEntry(path) else { return false }
        try FileSystem.syncDirectory(logDirectory)
        return true
    }

    /// Replaces a per-partition checkpoint file atomically (retried once after evicting files when the
    /// process is out of descriptors).
    func writeCheckpoint(_ name: String, offset: Int64) throws(LogError) {
        let checkpoint = OffsetCheckpoint(entries: [.init(topic: topic, partition: partition, offset: offset)])
        try fileCache.retryingOnExhaustion { () throws(LogError) in
            try AtomicFile.write(checkpoint.encoded(), to: FileSystem.join(directory, name))
        }
        if name == LogFileNames.recoveryPointCheckpoint {
            checkpointedRecoveryPoint = offset
            recoveryPointCheckpointWritten(offset)
        }
    }

    /// The recovery-point checkpoint that an open reads now holds `offset` (durably): a higher point a
    /// file held before no longer constrains rolls (see ``highestRecoveryPoint``).
    public func recoveryPointCheckpointWritten(_ offset: Int64) {
        highestRecoveryPoint = max(offset, recoveryPoint)
    }

    var metadata: Logger.Metadata {
        ["kafka.topic": "\(topic)", "kafka.partition": "\(partition)"]
    }
}

/// What ``PartitionLog/open(logDirectory:topic:partition:config:now:checkpointed:producerPolicy:logger:fileCache:)`` found.
public struct LogOpenReport: Hashable, Sendable {
    /// The clean-shutdown marker was present.
    public var cleanShutdown: Bool
    /// The checkpointed recovery point open started from: the caller's (its log directory's file), else
    /// the partition's own file; nil when neither had one (every segment was scanned).
    public var recoveryPointCheckpoint: Int64?
    /// Segments scanned in full, by base offset, with what the scan found.
    public var recoveredSegments: [Int64: SegmentRecovery]
    /// Base offsets of cleaned segments whose interrupted swap recovery completed.
    public var completedSwaps: [Int64] = []
    /// The offset producer state was replayed from: a snapshot's, or the log start offset.
    public var producerStateReplayedFrom: Int64 = 0
    /// Base offsets of the segments deleted because one before them, above the recovery point, was
    /// cut at a torn or corrupt batch.
    public var deletedSegmentsAfterCorruption: [Int64] = []

    /// Bytes cut off torn or corrupt tails.
    public var truncatedBytes: Int64 { recoveredSegments.values.reduce(0) { $0 + $1.truncatedBytes } }
}

/// The outcome of an append (Kafka's `LogAppendInfo`, the parts a Produce response needs).
public struct AppendInfo: Hashable, Sendable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The largest batch maxTimestamp appended (the append time for LogAppendTime).
    public var maxTimestamp: Int64
    /// The time stamped on the batches for LogAppendTime, -1 for CreateTime.
    public var logAppendTime: Int64
    public var logStartOffset: Int64
    public var recordCount: Int64
    public var validBytes: Int
    /// The batch was a retry of one already appended: these are the original offsets, nothing was written.
    public var isDuplicate: Bool

    public init(firstOffset: Int64, lastOffset: Int64, maxTimestamp: Int64, logAppendTime: Int64, logStartOffset: Int64, recordCount: Int64, validBytes: Int, isDuplicate: Bool) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.maxTimestamp = maxTimestamp
        self.logAppendTime = logAppendTime
        self.logStartOffset = logStartOffset
        self.recordCount = recordCount
        self.validBytes = validBytes
        self.isDuplicate = isDuplicate
    }
}
