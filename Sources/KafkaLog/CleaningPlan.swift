import KafkaRecords

/// One round of Kafka's log cleaner for one partition, decided from a snapshot of the log (Kafka's
/// `LogToClean` plus `cleanableOffsets` and the segment grouping of `Cleaner.doClean`).
///
/// Offsets, as Kafka computes them:
/// - `firstDirtyOffset`: the cleaner checkpoint, or the log start offset when the checkpoint is missing,
///   below the log start offset or past the log end offset;
/// - the first uncleanable offset: the base offset of the segment holding the smallest of the high
///   watermark, the last stable offset (a transaction still open may yet abort), the active segment's
///   base offset, and (with `min.compaction.lag.ms` > 0) the base
///   offset of the first dirty segment whose largest timestamp is younger than the lag. So only whole,
///   closed segments are ever cleaned;
/// - `endOffset`: where this round's key map stops, a segment boundary at or below the uncleanable
///   offset: dirty segments are mapped in order while their bytes fit `byteBudget` (at least one).
///
/// The round rewrites every segment from the log start up to `endOffset`, in ``groups`` of
/// consecutive segments whose total size fits `segment.bytes`, whose index entries fit
/// `segment.index.bytes` and whose offsets fit one segment's 32-bit relative offsets. It runs when the
/// dirty ratio (dirty bytes / all bytes below the uncleanable offset) exceeds
/// `min.cleanable.dirty.ratio`, or when the oldest dirty batch is older than `max.compaction.lag.ms`.
public struct CleaningPlan: Sendable {
    /// What the cleaner may read of a closed segment without the partition lock: immutable facts and
    /// the segment's `.log`, opened through the file cache when read.
    public struct Segment: Sendable {
        public let baseOffset: Int64
        public let nextOffset: Int64
        public let size: Int64
        let file: SegmentFile
        /// `ObjectIdentifier(file)`: `file` is held here, so no other handle can take its address.
        let identity: ObjectIdentifier
        let indexBytes: Int
        let timeIndexBytes: Int
        let largestTimestamp: Int64
        let firstBatchTimestamp: Int64?
    }

    public let topic: String
    public let partition: Int32
    let directory: String
    let config: LogConfig
    public let now: Int64
    public let firstDirtyOffset: Int64
    public let firstUncleanableOffset: Int64
    public let endOffset: Int64
    /// Segments from the log start up to `endOffset`, grouped; each group becomes one segment.
    public let groups: [[Segment]]
    /// The dirty segments the key map is built from.
    public let dirty: [Segment]
    /// Each idempotent producer's last batch's last offset: that batch stays, if need be empty, so its
    /// sequence survives (Kafka's `lastRecordsOfActiveProducers`).
    let lastOffsetOfProducers: [Int64: Int64]
    /// Each producer whose state has no batch (only markers) and its epoch: its last marker of that
    /// epoch stays, if need be empty, so the epoch survives for fencing.
    let markerOnlyProducers: [Int64: Int16]
    /// The aborted transactions that start before `endOffset` (all decided: the round stays below the
    /// last stable offset): their records never enter the key map, so an aborted value never makes the
    /// cleaner drop the committed one before it, and the rewrite removes them.
    let abortedTransactions: [AbortedTransaction]
    public let cleanBytes: Int64
    public let dirtyBytes: Int64

    /// Whether the batch `header` describes belongs to an aborted transaction.
    func isAborted(_ header: RecordBatchHeader) -> Bool {
        guard header.isTransactional, header.producerId >= 0 else { return false }
        return abortedTransactions.contains {
            $0.producerId == header.producerId && $0.firstOffset <= header.baseOffset && header.baseOffset <= $0.lastOffset
        }
    }

    public var cleanableRatio: Double { cleanBytes + dirtyBytes == 0 ? 0 : Double(dirtyBytes) / Double(cleanBytes + dirtyBytes) }
    /// Bytes of the segments this round reads and rewrites.
    public var bytesToClean: Int64 { groups.joined().reduce(0) { $0 + $1.size } }

    /// Nil when there is nothing cleanable or the log is not dirty enough yet.
    static func make(
        segments: [Segment], logStartOffset: Int64, logEndOffset: Int64, highWatermark: Int64, checkpoint: Int64?,
        producers: [Int64: Int64], markerOnlyProducers: [Int64: Int16] = [:], topic: String, partition: Int32, directory: String, config: LogConfig,
        now: Int64, byteBudget: Int64, lastStableOffset: Int64? = nil, abortedTransactions: [AbortedTransaction] = []
    ) -> CleaningPlan? {
        guard segments.count > 1 else { return nil }
        var firstDirty = checkpoint ?? logStartOffset
        if firstDirty < logStartOffset || firstDirty > logEndOffset { firstDirty = logStartOffset }
        let active = segments[segments.count - 1]
        var uncleanable = min(highWatermark, active.baseOffset, lastStableOffset ?? .max)
        if config.minCompactionLagMs > 0 {
            let young = segments.dropLast().first { $0.nextOffset > firstDirty && $0.largestTimestamp > now - config.minCompactionLagMs }
            if let young { uncleanable = min(uncleanable, young.baseOffset) }
        }
        // Whole segments only: the uncleanable segment is the one holding the uncleanable offset.
        let uncleanableIndex = segments.lastIndex { $0.baseOffset <= uncleanable } ?? 0
        let firstUncleanable = segments[uncleanableIndex].baseOffset
        guard firstDirty < firstUncleanable else { return nil }
        let closed = segments[..<uncleanableIndex]
        let dirtyAll = closed.filter { $0.nextOffset > firstDirty }
        let cleanBytes = closed.filter { $0.baseOffset < firstDirty }.reduce(0) { $0 + $1.size }
        let dirtyBytes = dirtyAll.reduce(0) { $0 + $1.size }
        guard dirtyBytes > 0 else { return nil }
        let ratio = Double(dirtyBytes) / Double(cleanBytes + dirtyBytes)
        let oldestDirty = dirtyAll.first?.firstBatchTimestamp ?? -1
        let overdue = config.maxCompactionLagMs < .max && oldestDirty >= 0 && now - oldestDirty > config.maxCompactionLagMs
        guard ratio > config.minCleanableDirtyRatio || overdue else { return nil }

        var mapped: [Segment] = []
        var mappedBytes: Int64 = 0
        for segment in dirtyAll {
            if !mapped.isEmpty, mappedBytes + segment.size > byteBudget { break }
            mapped.append(segment)
            mappedBytes += segment.size
        }
        let lastMapped = segments.firstIndex { $0.identity == mapped[mapped.count - 1].identity }!
        let endOffset = segments[lastMapped + 1].baseOffset
        let groups = group(Array(segments[...lastMapped]), config: config, endOffset: endOffset)
        return CleaningPlan(
            topic: topic, partition: partition, directory: directory, config: config, now: now, firstDirtyOffset: firstDirty,
            firstUncleanableOffset: firstUncleanable, endOffset: endOffset, groups: groups, dirty: mapped,
            lastOffsetOfProducers: producers, markerOnlyProducers: markerOnlyProducers, abortedTransactions: abortedTransactions.filter { $0.firstOffset < endOffset },
            cleanBytes: cleanBytes, dirtyBytes: dirtyBytes
        )
    }

    /// Kafka's `groupSegmentsBySize`.
    static func group(_ segments: [Segment], config: LogConfig, endOffset: Int64) -> [[Segment]] {
        var groups: [[Segment]] = []
        var index = 0
        while index < segments.count {
            var group = [segments[index]]
            var logBytes = segments[index].size
            var indexBytes = segments[index].indexBytes
            var timeBytes = segments[index].timeIndexBytes
            index += 1
            while index < segments.count {
                let next = segments[index]
                let lastOffset = index + 1 < segments.count ? segments[index + 1].baseOffset - 1 : endOffset - 1
                guard logBytes + next.size <= Int64(config.segmentBytes),
                      indexBytes + next.indexBytes <= config.maxIndexBytes,
                      timeBytes + next.timeIndexBytes <= config.maxIndexBytes,
                      next.size == 0 || lastOffset - group[0].baseOffset <= Int64(Int32.max)
                else { break }
                group.append(next)
                logBytes += next.size
                indexBytes += next.indexBytes
                timeBytes += next.timeIndexBytes
                index += 1
            }
            groups.append(group)
        }
        return groups
    }
}
