import KafkaRecords
import NIOCore

extension LogSegment {
    /// The batch containing `offset`, or the first batch after it: the first batch whose last offset is
    /// >= `offset`. Looks up the sparse index, then scans headers forward from there (and from no earlier
    /// than `startingPosition`, a known batch start). Nil when every batch ends before `offset`.
    func translateOffset(_ offset: Int64, startingPosition: Int64 = 0) throws(LogError) -> (position: Int64, header: RecordBatchHeader)? {
        let from = max(offsetIndex.lookup(offset: offset).position, startingPosition)
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: from, end: size)
        while true {
            switch try scanner.next() {
            case let .batch(batch): if batch.header.lastOffset >= offset { return (batch.position, batch.header) }
            case .end: return nil
            case let .invalid(position, reason): throw .corruptSegment(path: logPath, position: position, reason: reason)
            }
        }
    }

    /// The end of the last whole batch that ends at or before `limit`, scanning from `start` (a batch
    /// start) or from a later batch start the index knows below `limit`.
    private func batchBoundary(atOrBelow limit: Int64, from start: Int64) throws(LogError) -> Int64 {
        var from = start
        if let entry = offsetIndex.lookup(position: limit), entry.position > start { from = entry.position }
        var boundary = from
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: from, end: size)
        while case let .batch(batch) = try scanner.next(), batch.end <= limit {
            boundary = batch.end
        }
        return boundary
    }

    /// Whole batches starting with the one that contains `startOffset` (Kafka returns the whole batch
    /// holding the fetch offset), up to `maxBytes` on a batch boundary, and only batches whose last
    /// offset is below `maxOffset` (the high watermark, for consumers). With `minOneBatch`, the first batch
    /// is returned whole even when larger than `maxBytes`.
    ///
    /// Nil when no batch in this segment ends at or after `startOffset`; a zero-length range when the
    /// first such batch is not below `maxOffset`, or (without `minOneBatch`) does not fit.
    public func read(startOffset: Int64, maxBytes: Int, minOneBatch: Bool, maxOffset: Int64? = nil) throws(LogError) -> LogFileRange? {
        guard maxBytes >= 0 else { throw .invalidArgument("maxBytes \(maxBytes)") }
        guard let first = try translateOffset(startOffset) else { return nil }
        var upper = size
        if let maxOffset, maxOffset < nextOffset, let bound = try translateOffset(maxOffset, startingPosition: first.position) {
            upper = bound.position
        }
        guard upper > first.position else { return LogFileRange(file: try logFile, position: first.position, length: 0) }
        let limit = min(upper, first.position + Int64(maxBytes))
        var end = try batchBoundary(atOrBelow: limit, from: first.position)
        if end == first.position, minOneBatch {
            end = first.position + Int64(first.header.totalSize)
        }
        return LogFileRange(file: try logFile, position: first.position, length: Int(end - first.position))
    }

    /// Kafka's `findOffsetByTimestamp`: the first record with timestamp >= `timestamp` and offset >=
    /// `startingOffset`. The time index bounds where to start; headers are scanned to the first batch whose
    /// maxTimestamp reaches the target, and only that batch's records are decoded. Nil when no record in
    /// the segment qualifies.
    public func findOffset(forTimestamp timestamp: Int64, startingOffset: Int64, decompressionLimit: Int) throws(LogError) -> TimestampAndOffset? {
        let entry = timeIndex.lookup(timestamp: timestamp)
        let from = offsetIndex.lookup(offset: max(entry.offset, startingOffset)).position
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: from, end: size)
        while true {
            switch try scanner.next() {
            case let .batch(batch):
                guard batch.header.maxTimestamp >= timestamp, batch.header.lastOffset >= startingOffset else { continue }
                let match = TimestampMatch.atLeast(timestamp)
                if let found = try firstRecord(in: batch, minimumOffset: startingOffset, match: match, decompressionLimit: decompressionLimit) {
                    return found
                }
            case .end: return nil
            case let .invalid(position, reason): throw .corruptSegment(path: logPath, position: position, reason: reason)
            }
        }
    }

    /// The offset and timestamp of the record with the largest timestamp (the first such record), as
    /// ListOffsets with MAX_TIMESTAMP (-3) answers; nil when no batch has a timestamp.
    public func maxTimestampAndOffset(decompressionLimit: Int) throws(LogError) -> TimestampAndOffset? {
        guard maxTimestampSoFar >= 0 else { return nil }
        let target = maxTimestampSoFar
        let from = offsetIndex.lookup(offset: offsetOfMaxTimestampSoFar).position
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: from, end: size)
        while true {
            switch try scanner.next() {
            case let .batch(batch):
                guard batch.header.maxTimestamp == target else { continue }
                let found = try firstRecord(in: batch, minimumOffset: batch.header.baseOffset, match: .exactly(target), decompressionLimit: decompressionLimit)
                return found ?? TimestampAndOffset(timestamp: target, offset: batch.header.lastOffset, leaderEpoch: batch.header.partitionLeaderEpoch)
            case .end: return nil
            case let .invalid(position, reason): throw .corruptSegment(path: logPath, position: position, reason: reason)
            }
        }
    }

    /// Which record timestamps a lookup wants.
    enum TimestampMatch {
        case atLeast(Int64)
        case exactly(Int64)

        func matches(_ timestamp: Int64) -> Bool {
            switch self {
            case let .atLeast(target): timestamp >= target
            case let .exactly(target): timestamp == target
            }
        }
    }

    /// The first record of `batch` at or after `minimumOffset` whose timestamp matches. A LogAppendTime
    /// batch gives every record its maxTimestamp. A batch whose records do not decode (the log does not
    /// validate records on append) is taken as records all stamped with its maxTimestamp.
    func firstRecord(in batch: BatchScanner.Batch, minimumOffset: Int64, match: TimestampMatch, decompressionLimit: Int) throws(LogError) -> TimestampAndOffset? {
        let header = batch.header
        let epoch = header.partitionLeaderEpoch
        var records: [Record]?
        if header.timestampType == .createTime, let bytes = try logFile.read(at: batch.position, length: batch.size) {
            records = try? RecordBatch(bytes: bytes).decodeRecords(decompressionLimit: decompressionLimit, offsets: .increasing)
        }
        guard let records else {
            let offset = max(header.baseOffset, minimumOffset)
            guard offset <= header.lastOffset, match.matches(header.maxTimestamp) else { return nil }
            return TimestampAndOffset(timestamp: header.maxTimestamp, offset: offset, leaderEpoch: epoch)
        }
        for record in records {
            let offset = header.baseOffset + Int64(record.offsetDelta)
            let timestamp = header.baseTimestamp &+ record.timestampDelta
            if offset >= minimumOffset, match.matches(timestamp) {
                return TimestampAndOffset(timestamp: timestamp, offset: offset, leaderEpoch: epoch)
            }
        }
        return nil
    }
}
