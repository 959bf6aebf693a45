extension PartitionLog {
    /// What ``enforceRetention(now:)`` removed.
    public struct RetentionResult: Hashable, Sendable {
        public var deletedSegments: [Int64] = []
        public var deletedBytes: Int64 = 0
        public var logStartOffset: Int64
    }

    /// DeleteRecords: moves the log start offset up to `offset` (which must not pass the high watermark)
    /// and deletes the segments now entirely below it; the leader epoch cache's earliest entry moves up
    /// to it. The new start offset is checkpointed before returning. Returns the log start offset.
    @discardableResult
    public func deleteRecords(before offset: Int64) throws(LogError) -> Int64 {
        try ensureOpen()
        guard offset <= highWatermark, offset >= 0 else {
            throw .offsetOutOfRange(offset: offset, validRange: logStartOffset...highWatermark)
        }
        guard offset > logStartOffset else { return logStartOffset }
        try changingFiles { () throws(LogError) in try writeCheckpoint(LogFileNames.logStartOffsetCheckpoint, offset: offset) }
        logStartOffset = offset
        // Snapshots below the start are never used again (see ``restoreProducerState``).
        try changingFiles { () throws(LogError) in _ = try deleteProducerSnapshots(where: { $0 < offset }) }
        var result = RetentionResult(logStartOffset: offset)
        try deleteOldestSegments(into: &result) { _, next in next.baseOffset <= self.logStartOffset }
        return logStartOffset
    }

    /// Kafka's retention pass, oldest segments first, never the active segment and never a segment
    /// holding offsets at or above the high watermark: by time (`retention.ms` >= 0: the segment's largest
    /// timestamp is older than `now - retention.ms`), by size (`retention.bytes` >= 0: while the log
    /// stays at least that large without it), and segments entirely below the log start offset. Time
    /// and size apply only when `cleanup.policy` includes `delete` (a `compact`-only log keeps every
    /// segment the cleaner leaves, as in Kafka).
    @discardableResult
    public func enforceRetention(now: Int64) throws(LogError) -> RetentionResult {
        try ensureOpen()
        var result = RetentionResult(logStartOffset: logStartOffset)
        let deletes = config.cleanupPolicy.contains(.delete)
        if deletes, config.retentionMs >= 0 {
            try deleteOldestSegments(into: &result) { segment, _ throws(LogError) in
                now - (try segment.largestTimestamp()) > self.config.retentionMs
            }
        }
        if deletes, config.retentionBytes >= 0 {
            var excess = size - config.retentionBytes
            try deleteOldestSegments(into: &result) { segment, _ in
                guard excess - segment.size >= 0 else { return false }
                excess -= segment.size
                return true
            }
        }
        try deleteOldestSegments(into: &result) { _, next in next.baseOffset <= self.logStartOffset }
        return result
    }

    /// Deletes segments from the front while `shouldDelete(segment, next segment)` holds, the segment is
    /// not the active one and lies wholly below the high watermark; then moves the log start offset to the
    /// first remaining segment if it was below, forgets producers that ended before it, and moves the
    /// leader epoch cache's start up to it.
    private func deleteOldestSegments(
        into result: inout RetentionResult, where shouldDelete: (LogSegment, LogSegment) throws(LogError) -> Bool
    ) throws(LogError) {
        while segments.count > 1 {
            let segment = segments[0]
            let next = segments[1]
            guard next.baseOffset <= highWatermark, try shouldDelete(segment, next) else { break }
            try changingFiles { () throws(LogError) in try segment.deleteFiles() }
            // Durable before later records are: a deleted segment the flush never reached must not come
            // back above the recovery point, where an open would cut it and what follows.
            markDirectoryUnsynced()
            segments.removeFirst()
            result.deletedSegments.append(segment.baseOffset)
            result.deletedBytes += segment.size
            logger.info("deleted segment", metadata: metadata.merging(["log.segment": "\(segment.baseOffset)"]) { $1 })
        }
        logStartOffset = max(logStartOffset, segments[0].baseOffset)
        updateHighWatermark(highWatermark)
        recoveryPoint = max(recoveryPoint, logStartOffset)
        producerState.removeProducers(lastOffsetBelow: logStartOffset)
        abortedTransactions.removeAll { $0.lastOffset < logStartOffset }
        if !result.deletedSegments.isEmpty {
            let start = logStartOffset
            try changingFiles { () throws(LogError) in _ = try deleteProducerSnapshots(where: { $0 < start }) }
        }
        let start = logStartOffset
        try updateLeaderEpochCacheIfChanged { $0.truncateFromStart(start) }
        result.logStartOffset = logStartOffset
    }

    /// Kafka's `truncateTo`: removes every batch whose last offset is >= `offset` (a follower truncating to
    /// the leader): deletes the segments above it, truncates the one holding it, lowers the high watermark
    /// and recovery point if needed, drops the leader epoch entries starting at or after the new log end
    /// offset (checkpointed before returning), removes the producer state snapshots past the new end and
    /// restores producer state from the newest one left (replaying the batches after it), and rewrites
    /// the truncated segment's `.txnindex`. Below the first
    /// segment the log restarts empty there (``truncateFullyAndStart(at:now:)``); below the log start
    /// offset otherwise, the log start offset comes down to it. At or past the log end offset nothing
    /// is removed, but epoch entries at or after the log end offset are still dropped (a leader that
    /// started an epoch and wrote nothing in it).
    public func truncate(to offset: Int64, now: Int64) throws(LogError) {
        try ensureOpen()
        guard offset >= 0 else { throw .offsetOutOfRange(offset: offset, validRange: 0...logEndOffset) }
        guard offset < logEndOffset else {
            let end = logEndOffset
            try updateLeaderEpochCacheIfChanged { $0.truncateFromEnd(end) }
            return
        }
        if offset < segments[0].baseOffset {
            try truncateFullyAndStart(at: offset, now: now)
            return
        }
        // First: a flush prepared before must not complete over a half-done truncation either.
        flushGeneration = Self.nextFlushGeneration()
        try changingFiles { () throws(LogError) in
            while segments.count > 1, segments[segments.count - 1].baseOffset > offset {
                let segment = segments.removeLast()
                try segment.deleteFiles()
                // The deletions must be durable before records appended after them are.
                markDirectoryUnsynced()
            }
            try activeSegment.truncate(to: offset, now: now)
            let end = logEndOffset
            try updateLeaderEpochCache { $0.truncateFromEnd(end) }
            if logStartOffset > end {
                // Lower, and durable before records at the offsets it hid are appended again.
                try writeCheckpoint(LogFileNames.logStartOffsetCheckpoint, offset: end)
                logStartOffset = end
            }
            updateHighWatermark(highWatermark)
            recoveryPoint = min(recoveryPoint, end)
            // The snapshots past the new end describe records that are gone: removed, durably, before
            // other records can take their offsets.
            let deletion = try deleteProducerSnapshots(where: { $0 > end })
            if deletion.removed { try FileSystem.syncDirectory(directory) }
            var snapshots = deletion.remaining
            let known = abortedTransactions
            let restored = try Self.restoreProducerState(
                directory: directory, snapshots: &snapshots, segments: segments, logStartOffset: logStartOffset, snapshotLimit: min(end, highWatermark),
                policy: producerState.unknownProducerPolicy, logger: logger, metadata: metadata,
                abortedBelow: { offset in known.filter { $0.lastOffset < offset } })
            (producerState, abortedTransactions) = (restored.state, restored.aborted)
            latestProducerSnapshot = snapshots.last
            producerState.onHighWatermarkUpdated(highWatermark)
            try rewriteTransactionIndexes(from: end)
        }
        logger.info("truncated log", metadata: metadata.merging(["log.end_offset": "\(logEndOffset)"]) { $1 })
    }
}

extension PartitionLog {
    /// Empties the log and restarts it at `offset` (Kafka's `truncateFullyAndStartAt`, for a replica
    /// that installed a snapshot ending there, or a follower whose leader's log starts past its end): the
    /// new empty segment at `offset`, the log start checkpoint and the emptied leader epoch cache are
    /// durable before the old segments are deleted, so a crash leaves either the old log or the new empty
    /// one, never a log with a gap.
    public func truncateFullyAndStart(at offset: Int64, now: Int64) throws(LogError) {
        try ensureOpen()
        guard offset >= 0 else { throw .offsetOutOfRange(offset: offset, validRange: 0...Int64.max) }
        flushGeneration = Self.nextFlushGeneration()
        try changingFiles { () throws(LogError) in
            try writeCheckpoint(LogFileNames.logStartOffsetCheckpoint, offset: offset)
            if !checkpointsInLogDirectory { try writeCheckpoint(LogFileNames.recoveryPointCheckpoint, offset: offset) }
            try updateLeaderEpochCache { cache in
                let changed = !cache.isEmpty
                cache.removeAll()
                return changed
            }
            let old = segments
            let fresh: LogSegment
            if let same = old.first(where: { $0.baseOffset == offset }) {
                try same.truncate(to: offset, now: now)
                try same.flushLog()
                fresh = same
            } else {
                fresh = try LogSegment.create(directory: directory, baseOffset: offset, config: config, now: now, fileCache: fileCache)
            }
            // Snapshots are an optimisation: without them the next open replays the whole log.
            try deleteProducerSnapshots(where: { _ in true })
            try FileSystem.syncDirectory(directory)
            for segment in old where segment !== fresh { try segment.deleteFiles() }
            try FileSystem.syncDirectory(directory)
            segments = [fresh]
            logStartOffset = offset
            updateHighWatermark(offset)
            recoveryPoint = offset
            producerState.removeAll()
            abortedTransactions.removeAll()
            try fresh.replaceTransactionIndex(with: [])
        }
        logger.info("log restarted at an offset", metadata: metadata.merging(["log.start_offset": "\(offset)"]) { $1 })
    }
}
