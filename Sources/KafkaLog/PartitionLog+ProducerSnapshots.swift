import KafkaRecords
import Logging

/// Producer state snapshots and transaction indexes: what lets opening and truncating a log replay
/// only the batches after the newest snapshot instead of the whole log (Kafka's `LogLoader` with
/// `ProducerStateManager` snapshots).
///
/// Invariants:
/// - `<S>.snapshot` describes producer state after applying every batch and marker below offset S of
///   the log as it stands (snapshots are taken at roll and close, when S is the log end offset; a
///   truncation removes those above its new end, a full restart all of them);
/// - the `.txnindex` of each segment holds, at least, every aborted transaction whose marker the
///   segment holds below the newest snapshot at or below the recovery point, durably: a segment's
///   file is fsync'd by the flush that moves the recovery point past it (or syncs it once sealed) and
///   at close. A roll's snapshot and the sealed segment's entries are written without fsync, so after
///   a crash open replays from a snapshot at or below the checkpointed recovery point, which rewrites
///   the files of every segment above it.
/// Entries at or above the snapshot a load starts from come from the replay, never from the files; a
/// file with extra entries (a cleaned segment whose markers were dropped) only lists transactions with
/// no data left.
extension PartitionLog {
    /// The offsets of the `.snapshot` files in `directory`, ascending.
    static func producerSnapshotOffsets(in directory: String) throws(LogError) -> [Int64] {
        try FileSystem.list(directory).compactMap { LogFileNames.baseOffset(fromFileName: $0, suffix: LogFileNames.producerSnapshotSuffix) }.sorted()
    }

    static func producerSnapshotPath(_ directory: String, _ offset: Int64) -> String {
        LogSegment.path(directory, offset, LogFileNames.producerSnapshotSuffix)
    }

    /// Writes `<log end offset>.snapshot` unless the newest snapshot is already there or the log holds
    /// nothing past its start, written and renamed without fsync (a roll's is synced by the next flush,
    /// ``unsyncedProducerSnapshots``; at close, a snapshot lost or torn in a crash fails its CRC and an
    /// older one is used).
    ///
    /// `syncingDirectories`: a `.txnindex` created since the last directory fsync must not be lost while
    /// the snapshot, which relies on it, survives. A roll passes false: its snapshot lies above the
    /// recovery point until a flush (which syncs the directories first) moves it, and an open after a
    /// crash uses no snapshot above the recovery point.
    func takeProducerSnapshot(syncingDirectories: Bool = true) throws(LogError) {
        let offset = logEndOffset
        // At the log start offset there is nothing to replay anyway.
        guard latestProducerSnapshot != offset, offset > logStartOffset else { return }
        if syncingDirectories { try syncPendingDirectories() }
        let bytes = ProducerStateSnapshot.encode(producerState)
        let path = Self.producerSnapshotPath(directory, offset)
        try fileCache.retryingOnExhaustion { () throws(LogError) in
            let temporary = AtomicFile.temporaryPath(for: path)
            try IndexFile.write(bytes, to: temporary, sync: false)
            try FileSystem.rename(temporary, to: path)
        }
        latestProducerSnapshot = offset
    }

    /// Producer expiry (``ProducerStateManager/removeExpiredProducers(now:expirationMs:)``): the next
    /// snapshot no longer holds them either. Returns how many producers were forgotten.
    @discardableResult
    public func removeExpiredProducers(now: Int64, expirationMs: Int64) -> Int {
        producerState.removeExpiredProducers(now: now, expirationMs: expirationMs)
    }

    /// Removes the snapshots in `directory` whose offset satisfies `predicate`, with one listing of
    /// the directory; returns whether any were, and the offsets left, ascending.
    static func removeProducerSnapshots(in directory: String, where predicate: (Int64) -> Bool)
        throws(LogError) -> (removed: Bool, remaining: [Int64]) {
        var remaining: [Int64] = []
        var removed = false
        for offset in try producerSnapshotOffsets(in: directory) {
            if predicate(offset) {
                try FileSystem.remove(producerSnapshotPath(directory, offset))
                removed = true
            } else {
                remaining.append(offset)
            }
        }
        return (removed, remaining)
    }

    /// Removes the snapshots whose offset satisfies `predicate`; returns whether any were and the
    /// offsets left.
    @discardableResult
    func deleteProducerSnapshots(where predicate: (Int64) -> Bool) throws(LogError) -> (removed: Bool, remaining: [Int64]) {
        let result = try Self.removeProducerSnapshots(in: directory, where: predicate)
        latestProducerSnapshot = result.remaining.last
        return result
    }

    /// Producer state and aborted transactions as of the log end: restored from the newest readable
    /// snapshot at or below `snapshotLimit` (and at or above the log start offset: one below it may
    /// hold a transaction whose marker the replay from the log start would not see), then the
    /// batches and markers from there replayed; without one, everything from `logStartOffset` is.
    /// `abortedBelow(S)` gives the aborted transactions whose markers lie below S (nil when they cannot
    /// be known, which forces a full replay). `eachHeader` sees every batch header replayed.
    /// `snapshots` are the snapshot offsets in the directory, ascending; unreadable ones are removed
    /// from it and from the directory.
    static func restoreProducerState(
        directory: String, snapshots: inout [Int64], segments: [LogSegment], logStartOffset: Int64, snapshotLimit: Int64?,
        policy: ProducerStateManager.UnknownProducerPolicy, logger: Logger, metadata: Logger.Metadata,
        abortedBelow: (Int64) throws(LogError) -> [AbortedTransaction]?, eachHeader: (RecordBatchHeader) -> Void = { _ in }
    ) throws(LogError) -> (state: ProducerStateManager, aborted: [AbortedTransaction], replayedFrom: Int64) {
        if let limit = snapshotLimit {
            for offset in snapshots.reversed() where offset <= limit && offset >= logStartOffset {
                let path = producerSnapshotPath(directory, offset)
                guard let bytes = try FileSystem.readFile(path), let entries = ProducerStateSnapshot.parse(bytes) else {
                    logger.warning("removing an unreadable producer state snapshot", metadata: metadata.merging(["log.file": "\(path)"]) { $1 })
                    try FileSystem.remove(path)
                    snapshots.removeAll { $0 == offset }
                    continue
                }
                guard let below = try abortedBelow(offset) else { break }
                var state = ProducerStateManager(restoring: entries, unknownProducerPolicy: policy)
                var aborted = below.filter { $0.lastOffset >= logStartOffset }
                let from = max(offset, logStartOffset)
                try replay(&state, aborted: &aborted, segments: segments, from: from, eachHeader: eachHeader)
                state.removeProducers(lastOffsetBelow: logStartOffset)
                return (state, aborted, offset)
            }
        }
        var state = ProducerStateManager(unknownProducerPolicy: policy)
        var aborted: [AbortedTransaction] = []
        try replay(&state, aborted: &aborted, segments: segments, from: logStartOffset, eachHeader: eachHeader)
        return (state, aborted, logStartOffset)
    }

    /// Applies the headers of every batch ending at or after `startOffset` (and the marker of every
    /// control batch there) to `state`, adding the transactions aborted there to `aborted`.
    static func replay(_ state: inout ProducerStateManager, aborted: inout [AbortedTransaction], segments: [LogSegment], from startOffset: Int64,
                       eachHeader: (RecordBatchHeader) -> Void) throws(LogError) {
        for segment in segments where segment.nextOffset > startOffset {
            var failure: LogError?
            try segment.forEachBatchHeader(from: startOffset) { header, position in
                eachHeader(header)
                guard header.lastOffset >= startOffset, failure == nil else { return }
                if let batch = ProducerBatch(header: header) {
                    state.update(batch)
                } else if header.isControl && header.producerId >= 0 {
                    // Control batches are rare: read the marker's record where the scan found it.
                    do throws(LogError) {
                        if let marker = try segment.marker(at: position, header: header) { state.record(marker, aborted: &aborted) }
                    } catch {
                        failure = error
                    }
                }
            }
            if let failure { throw failure }
        }
    }

    /// The aborted transactions whose markers `segment` holds.
    func abortedTransactions(in segment: LogSegment) -> [AbortedTransaction] {
        abortedTransactions.filter { $0.lastOffset >= segment.baseOffset && $0.lastOffset < segment.nextOffset }
    }

    /// Makes the `.txnindex` of every segment holding offsets at or after `offset` list exactly the
    /// aborted transactions whose markers it holds, rewriting only files that differ.
    func rewriteTransactionIndexes(from offset: Int64) throws(LogError) {
        for segment in segments where segment.nextOffset > offset || segment === activeSegment {
            let expected = abortedTransactions(in: segment)
            if try segment.readTransactionIndex() != expected { try segment.replaceTransactionIndex(with: expected) }
        }
    }
}
