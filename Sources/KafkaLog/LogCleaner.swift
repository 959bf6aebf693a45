import KafkaRecords
import NIOCore

/// Kafka's `Cleaner`: the part of a cleaning round that needs no lock. It reads only the closed
/// segments a ``CleaningPlan`` names, one at a time through the file cache (a segment being read stays
/// readable even if retention deletes it meanwhile; one deleted before the cleaner reaches it fails
/// the round, which leaves the log as it was), and writes `<base>.log.cleaned` files in the partition
/// directory, fsync'd; ``PartitionLog/swapIn(_:)`` then swaps them in under the lock.
///
/// 1. The key map: every keyed record at or after the first dirty offset in the dirty segments, key →
///    its latest offset, and the largest batch last offset seen (control batches and the batches of
///    aborted transactions add no keys: an aborted value must not make the committed one before it go).
/// 2. Each group is rewritten into one file, batch by batch (Kafka's `cleanInto` and
///    `MemoryRecords.filterTo`). A record is kept when it lies past the map's latest offset, or has a
///    key whose latest offset it holds and either a value or a tombstone still within its delete
///    horizon (kept while the batch has no horizon or `now` is before it). Records without a key are
///    dropped, and so are the records of aborted transactions; markers go once their transaction has
///    no batches left and a delete horizon has passed (``CleanedTransactions``). A batch that keeps all
///    its records and needs no horizon is copied byte for byte;
///    one that keeps tombstones and has no horizon yet gets `now + delete.retention.ms`; otherwise it
///    is rebuilt with the kept records (``KafkaRecords/RecordBatch/rewritten(retaining:deleteHorizon:)``).
///    A batch left empty is dropped, unless it is an idempotent producer's last batch or the last
///    batch of the round, which stay as bare headers so the producer's sequence and the round's last
///    offset survive.
public enum LogCleaner {
    /// Runs the unlocked part of a round. On failure nothing is left behind.
    public static func clean(_ plan: CleaningPlan) throws(LogError) -> CleanedSegments {
        var stats = CleanerStats()
        let map = try buildOffsetMap(plan, stats: &stats)
        var groups: [CleanedSegments.Group] = []
        var transactions = CleanedTransactions(aborted: plan.abortedTransactions)
        do {
            for segments in plan.groups {
                groups.append(try cleanGroup(segments, plan: plan, map: map, transactions: &transactions, stats: &stats))
            }
        } catch {
            for group in groups { try? FileSystem.remove(group.path) }
            throw error
        }
        return CleanedSegments(plan: plan, groups: groups, stats: stats)
    }

    static func buildOffsetMap(_ plan: CleaningPlan, stats: inout CleanerStats) throws(LogError) -> OffsetMap {
        var map = OffsetMap()
        for segment in plan.dirty {
            try forEachBatch(in: segment) { (batch: RecordBatch, position: Int64) throws(LogError) in
                let header = batch.header
                stats.mapBytesRead += Int64(header.totalSize)
                guard header.lastOffset >= plan.firstDirtyOffset else { return }
                if !header.isControl && !plan.isAborted(header) {
                    do {
                        try batch.forEachRecordKey(decompressionLimit: plan.config.decompressionLimit) { offsetDelta, key in
                            let offset = header.baseOffset + Int64(offsetDelta)
                            if let key, offset >= plan.firstDirtyOffset { map.put(key: key, offset: offset) }
                        }
                    } catch {
                        throw .corruptSegment(path: segment.file.path, position: position, reason: "\(error)")
                    }
                }
                map.updateLatestOffset(header.lastOffset)
            }
        }
        stats.mapKeys = map.count
        return map
    }

    private static func cleanGroup(_ segments: [CleaningPlan.Segment], plan: CleaningPlan, map: OffsetMap, transactions: inout CleanedTransactions,
                                   stats: inout CleanerStats) throws(LogError) -> CleanedSegments.Group {
        let retainedBefore = transactions.retainedAborted.count
        let base = segments[0].baseOffset
        let path = FileSystem.join(plan.directory, LogFileNames.segmentFileName(baseOffset: base, suffix: LogFileNames.logSuffix)) + LogFileNames.cleanedSuffix
        let file = try LogFile.open(path, create: true)
        do {
            try file.truncate(to: 0)
            var pending = ByteBufferAllocator().buffer(capacity: 1 << 20)
            var written: Int64 = 0
            func drain() throws(LogError) {
                guard pending.readableBytes > 0 else { return }
                try file.write(pending, at: written)
                written += Int64(pending.readableBytes)
                pending.clear()
            }
            for segment in segments {
                try forEachBatch(in: segment) { (batch: RecordBatch, position: Int64) throws(LogError) in
                    stats.bytesRead += Int64(batch.header.totalSize)
                    guard var kept = try filter(batch, segment: segment, position: position, plan: plan, map: map, transactions: &transactions,
                                                stats: &stats) else { return }
                    pending.writeBuffer(&kept)
                    if pending.readableBytes >= 1 << 20 { try drain() }
                }
            }
            try drain()
            try file.sync()
            stats.bytesWritten += written
            return CleanedSegments.Group(segments: segments, baseOffset: base, path: path, size: written,
                                         abortedTransactions: Array(transactions.retainedAborted[retainedBefore...]))
        } catch {
            try? FileSystem.remove(path)
            throw error
        }
    }

    /// The bytes to keep of one batch, or nil to drop it.
    private static func filter(_ batch: RecordBatch, segment: CleaningPlan.Segment, position: Int64, plan: CleaningPlan, map: OffsetMap,
                               transactions: inout CleanedTransactions, stats: inout CleanerStats) throws(LogError) -> ByteBuffer? {
        let header = batch.header
        if header.isControl {
            return try filterControl(batch, segment: segment, position: position, plan: plan, transactions: &transactions, stats: &stats)
        }
        let aborted = transactions.onBatch(header)
        let records = try records(of: batch, segment: segment, position: position, plan: plan)
        stats.recordsRead += records.count
        let retainDeletes = batch.deleteHorizon.map { plan.now < $0 } ?? true
        var kept: [CompactionRecord] = []
        kept.reserveCapacity(records.count)
        var keepsTombstones = false
        if aborted { stats.abortedRecordsRemoved += records.count }
        for record in records where !aborted {
            let offset = header.baseOffset + Int64(record.offsetDelta)
            let keep: Bool
            if offset > map.latestOffset {
                keep = true
            } else if let key = record.key {
                keep = offset >= key.withUnsafeReadableBytes { map.get($0) } && (record.hasValue || retainDeletes)
            } else {
                stats.keylessRecordsDropped += 1
                keep = false
            }
            if keep {
                kept.append(record)
                if !record.hasValue { keepsTombstones = true }
            }
        }
        stats.recordsRetained += kept.count
        let needsHorizon = keepsTombstones && batch.deleteHorizon == nil
        if kept.count == records.count, !needsHorizon, !records.isEmpty { return batch.bytes }
        if kept.isEmpty {
            let producersLast = header.producerId >= 0 && plan.lastOffsetOfProducers[header.producerId] == header.lastOffset
            guard producersLast || header.nextOffset == plan.endOffset else {
                stats.batchesDropped += 1
                return nil
            }
            return batch.emptied().bytes
        }
        do {
            return try batch.rewritten(retaining: kept, deleteHorizon: needsHorizon ? plan.now &+ plan.config.deleteRetentionMs : nil).bytes
        } catch {
            throw .corruptSegment(path: segment.file.path, position: position, reason: "cannot rewrite the batch at offset \(header.baseOffset): \(error)")
        }
    }

    /// A marker stays until its transaction has no batches left and its delete horizon has passed (see
    /// ``CleanedTransactions``); then it goes, or stays as a bare header when it is the last entry of a
    /// producer with no batches left, whose epoch fencing needs. Other control batches stay.
    private static func filterControl(_ batch: RecordBatch, segment: CleaningPlan.Segment, position: Int64, plan: CleaningPlan,
                                      transactions: inout CleanedTransactions, stats: inout CleanerStats) throws(LogError) -> ByteBuffer? {
        let header = batch.header
        let marker = header.recordCount > 0 ? PartitionLog.marker(in: batch.bytes, header: header) : nil
        guard transactions.onControlBatch(header, marker: marker) else { return batch.bytes }
        let producersLast = plan.markerOnlyProducers[header.producerId] == header.producerEpoch
        // A control batch an earlier round emptied goes (as Kafka's DELETE_EMPTY) unless it still
        // carries a producer's epoch or the round's last offset.
        if header.recordCount == 0 {
            if producersLast || header.nextOffset == plan.endOffset { return batch.bytes }
            stats.batchesDropped += 1
            return nil
        }
        guard let horizon = batch.deleteHorizon else {
            do {
                let records = try batch.compactionRecords(decompressionLimit: plan.config.decompressionLimit)
                return try batch.rewritten(retaining: records, deleteHorizon: plan.now &+ plan.config.deleteRetentionMs).bytes
            } catch {
                throw .corruptSegment(path: segment.file.path, position: position, reason: "cannot rewrite the marker at offset \(header.baseOffset): \(error)")
            }
        }
        guard plan.now >= horizon else { return batch.bytes }
        stats.markersRemoved += 1
        if producersLast || header.nextOffset == plan.endOffset { return batch.emptied().bytes }
        stats.batchesDropped += 1
        return nil
    }

    private static func records(of batch: RecordBatch, segment: CleaningPlan.Segment, position: Int64, plan: CleaningPlan) throws(LogError) -> [CompactionRecord] {
        do {
            return try batch.compactionRecords(decompressionLimit: plan.config.decompressionLimit)
        } catch {
            throw .corruptSegment(path: segment.file.path, position: position, reason: "\(error)")
        }
    }

    /// Every batch of a closed segment, CRC verified, with its file position.
    private static func forEachBatch(in segment: CleaningPlan.Segment, _ body: (RecordBatch, Int64) throws(LogError) -> Void) throws(LogError) {
        var scanner = BatchScanner(file: try segment.file.open(), mode: .verified, segmentBaseOffset: segment.baseOffset, from: 0, end: segment.size)
        while true {
            switch try scanner.next() {
            case let .batch(found):
                let batch: RecordBatch
                do {
                    batch = try RecordBatch(bytes: found.bytes!)
                } catch {
                    throw .corruptSegment(path: segment.file.path, position: found.position, reason: "\(error)")
                }
                try body(batch, found.position)
            case .end: return
            case let .invalid(position, reason): throw .corruptSegment(path: segment.file.path, position: position, reason: reason)
            }
        }
    }
}

/// The files a cleaning round wrote, waiting to be swapped in by ``PartitionLog/swapIn(_:)`` (or
/// dropped by ``discard()``).
public struct CleanedSegments: Sendable {
    struct Group: Sendable {
        let segments: [CleaningPlan.Segment]
        let baseOffset: Int64
        /// The `<base>.log.cleaned` file.
        let path: String
        let size: Int64
        /// The aborted transactions whose markers stay in this group because the round removed their
        /// batches: the new segment's `.txnindex`.
        let abortedTransactions: [AbortedTransaction]
    }

    public let plan: CleaningPlan
    let groups: [Group]
    public let stats: CleanerStats

    /// Removes the `.cleaned` files (the round is abandoned).
    public func discard() {
        for group in groups { try? FileSystem.remove(group.path) }
    }
}

/// What a cleaning round read and wrote (Kafka's `CleanerStats`).
public struct CleanerStats: Hashable, Sendable {
    /// Dirty bytes read to build the key map.
    public var mapBytesRead: Int64 = 0
    public var mapKeys = 0
    /// Bytes read while rewriting (clean and dirty segments).
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    public var recordsRead = 0
    public var recordsRetained = 0
    /// Records without a key (Kafka counts them as invalid and drops them).
    public var keylessRecordsDropped = 0
    public var batchesDropped = 0
    /// Records of aborted transactions removed.
    public var abortedRecordsRemoved = 0
    /// COMMIT and ABORT markers removed (past their delete horizon, their transactions' batches gone).
    public var markersRemoved = 0
}
