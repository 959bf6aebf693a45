/// A flush split in three so that the slow part, the `fdatasync`s, runs without the partition's lock:
/// ``PartitionLog/prepareFlush()`` (under the lock) lists the files holding unflushed offsets and the
/// log end offset they cover; ``perform()`` (no lock; any thread) syncs them; then
/// ``PartitionLog/completeFlush(_:now:)`` (under the lock again) advances the recovery point.
///
/// Invariant: the recovery point only moves to an `end` whose files were synced after `end` was the
/// log end offset, so everything below it is on disk. Concurrent flushes of one log are safe (each
/// syncs its own list; the recovery point takes the larger end). Files stay open while listed, even if
/// the segment is rolled or deleted meanwhile (a rolled one is sealed at the end this flush covers or
/// later, and its small files wait in ``PartitionLog/sealedAwaitingSync`` for the next flush; syncing a
/// deleted one is harmless), or its file is evicted from the file cache and reopened: `fdatasync` through any
/// descriptor of a file flushes that file (the inode's dirty pages and size), not what was written
/// through that descriptor, so syncing the `LogFile` listed here covers writes made through a newer one.
public struct PendingFlush: Sendable {
    /// Offsets below this are durable once `perform` returns.
    public let end: Int64
    /// The `.log` files of the segments holding unflushed offsets.
    let files: [LogFile]
    /// The log's generation when prepared (see ``PartitionLog/flushGeneration``).
    let generation: UInt64

    /// Syncs every listed file, in order. Blocks; call it off the partition lock and off event loops.
    public func perform() throws(LogError) {
        for file in files { try file.sync() }
    }
}

extension PartitionLog {
    /// What a flush of everything appended so far must sync, or nil when it is already durable. The
    /// listed `.log` files are opened (through the file cache) here. Segments sealed since the last
    /// flush (a roll syncs nothing) have their small files synced here, under the lock: index files,
    /// `.txnindex` and the producer snapshot of the roll (the active segment's indexes are checked or
    /// rebuilt on open); their `.log` files, the large part, are synced by ``PendingFlush/perform()``.
    public func prepareFlush() throws(LogError) -> PendingFlush? {
        try ensureOpen()
        let end = logEndOffset
        guard end > recoveryPoint || !sealedAwaitingSync.isEmpty else { return nil }
        let files = try changingFiles { () throws(LogError) -> [LogFile] in
            try syncPendingDirectories()
            var files: [LogFile] = []
            let inRange = segments[segmentIndex(for: recoveryPoint)...]
            for segment in inRange {
                files.append(try segment.logFile)
                if segment !== activeSegment {
                    try segment.syncIndexFiles()
                    try segment.syncTransactionIndex()
                }
            }
            try syncSealedAwaitingSync { segment throws(LogError) in
                if !inRange.contains(where: { $0 === segment }) {
                    files.append(try segment.logFile)
                    try segment.syncIndexFiles()
                    try segment.syncTransactionIndex()
                }
            }
            try syncRolledProducerSnapshot()
            return files
        }
        return PendingFlush(end: end, files: files, generation: flushGeneration)
    }

    /// Records a performed flush: offsets below `flush.end` are durable. A log keeping its own
    /// checkpoint writes it as ``flush(upTo:now:)`` does, but a failure to is not the flush's: the
    /// file keeps a lower recovery point, which only means more to scan after a crash.
    ///
    /// The recovery point stops at the first segment still waiting for its small files (sealed by a roll
    /// at or below `flush.end` after this flush was prepared), so that an open after a crash scans it;
    /// and a flush prepared before a truncation moves nothing (what lies past the new end may be new).
    public func completeFlush(_ flush: PendingFlush, now: Int64) {
        guard flush.generation == flushGeneration else { return }
        var target = min(flush.end, logEndOffset)
        if let waiting = sealedStillAwaitingSync.map(\.baseOffset).min() { target = min(target, waiting) }
        guard target > recoveryPoint else { return }
        try? advanceRecoveryPoint(to: target, now: now)
    }

    /// Whether a segment sealed by a roll holds offsets not yet flushed: the broker then runs a flush
    /// soon, off the partition's lock, as Kafka schedules one after each roll.
    public var hasUnflushedSealedSegment: Bool {
        !isClosed && storageFailure == nil && (recoveryPoint < activeSegment.baseOffset || !sealedAwaitingSync.isEmpty)
    }

    /// Records a failed flush: the log goes offline, as when a flush under the lock fails (a failed
    /// fsync may have dropped written pages, so the files can no longer be trusted).
    public func failFlush(_ error: LogError) {
        _ = try? changingFiles { () throws(LogError) in throw error }
    }
}
