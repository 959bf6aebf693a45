import KafkaReplication

/// One record of the modeled partition: written in `leaderEpoch` for producer `producerId` with sequence
/// `sequence`. Its offset is its index in the log.
struct SimRecord: Hashable, CustomStringConvertible {
    var leaderEpoch: Int32
    var producerId: Int64
    var sequence: Int32

    var description: String { "e\(leaderEpoch):p\(producerId)#\(sequence)" }
}

/// A replica's modeled log: records from offset 0 (no retention), a leader epoch cache, a flushed prefix
/// and a high watermark.
///
/// Invariants: epoch entries have increasing epochs and non-decreasing start offsets, none past the log
/// end offset; `flushedUpTo` and `highWatermark` never exceed the log end offset.
struct SimLog {
    private(set) var records: [SimRecord] = []
    /// (epoch, start offset), as Kafka's `LeaderEpochFileCache`.
    private(set) var epochs: [(epoch: Int32, startOffset: Int64)] = []
    private(set) var flushedUpTo: Int64 = 0
    var highWatermark: Int64 = 0

    var logEndOffset: Int64 { Int64(records.count) }
    var latestEpoch: Int32? { epochs.last?.epoch }

    /// Kafka's `LeaderEpochFileCache.assign`: a new latest entry replaces every entry it contradicts
    /// (an epoch as high, or a start offset as late).
    mutating func assignEpoch(_ epoch: Int32, startOffset: Int64) {
        if let latest = epochs.last, latest.epoch == epoch, latest.startOffset <= startOffset { return }
        epochs.removeAll { $0.epoch >= epoch || $0.startOffset >= startOffset }
        epochs.append((epoch, startOffset))
    }

    mutating func append(_ record: SimRecord) {
        assignEpoch(record.leaderEpoch, startOffset: logEndOffset)
        records.append(record)
    }

    /// Drops every record at `offset` and beyond (and the epochs starting there). At or past the log end
    /// offset it still drops the epoch entries starting at the end (Kafka's `truncateTo`): a replica that
    /// became leader and appended nothing keeps an entry for its epoch there, and a follower that kept it
    /// would send that epoch as its last fetched epoch, diverge, and truncate to the same offset forever.
    mutating func truncate(to offset: Int64) {
        guard offset < logEndOffset else {
            let end = logEndOffset
            epochs.removeAll { $0.startOffset >= end }
            return
        }
        records.removeLast(records.count - Int(offset))
        epochs.removeAll { $0.startOffset >= offset }
        flushedUpTo = min(flushedUpTo, offset)
        highWatermark = min(highWatermark, offset)
    }

    mutating func flush() { flushedUpTo = logEndOffset }

    /// A crash: with `losesUnflushed`, the unflushed suffix is gone. On restart Kafka drops the epoch entries
    /// at or past the log end offset and recovers the high watermark from its checkpoint (at most the end).
    mutating func crash(losesUnflushed: Bool) {
        if losesUnflushed { truncate(to: flushedUpTo) } else { flush() }
        let end = logEndOffset
        epochs.removeAll { $0.startOffset >= end }
        highWatermark = min(highWatermark, logEndOffset)
    }

    /// Kafka's `LeaderEpochFileCache.endOffsetFor`, as `UnifiedLog.endOffsetForEpoch` answers it (nil for
    /// an undefined offset).
    func endOffset(for epoch: Int32) -> EpochEndOffset? {
        guard let latest = epochs.last else { return nil }
        if epoch == latest.epoch { return EpochEndOffset(leaderEpoch: epoch, endOffset: logEndOffset) }
        guard let higher = epochs.first(where: { $0.epoch > epoch }) else { return nil }
        guard let floor = epochs.last(where: { $0.epoch <= epoch }) else {
            return EpochEndOffset(leaderEpoch: epoch, endOffset: higher.startOffset)
        }
        return EpochEndOffset(leaderEpoch: floor.epoch, endOffset: higher.startOffset)
    }

    /// The offset of `producerId`'s record with `sequence`, and the last sequence it has in this log.
    func producerState(_ producerId: Int64, sequence: Int32) -> (offset: Int64?, lastSequence: Int32?) {
        var found: Int64?
        var last: Int32?
        var index = 0
        while index < records.count {
            if records[index].producerId == producerId {
                if records[index].sequence == sequence { found = Int64(index) }
                last = max(last ?? records[index].sequence, records[index].sequence)
            }
            index += 1
        }
        return (found, last)
    }
}
