import KafkaRecords

extension PartitionLog {
    /// Kafka's log read: whole batches from the one containing `fetchOffset`, from a single segment,
    /// at most `maxBytes` ending on a batch boundary (with `minOneBatch`, at least the first batch whole),
    /// and only batches ending below `upperBound` (the high watermark for consumers; default: the log end
    /// offset, for replicas). OFFSET_OUT_OF_RANGE when `fetchOffset` is below the log start offset or
    /// past the log end offset; at the bound, no records.
    public func read(fetchOffset: Int64, maxBytes: Int, minOneBatch: Bool, upperBound: Int64? = nil) throws(LogError) -> FetchData {
        try ensureOpen()
        guard maxBytes >= 0 else { throw .invalidArgument("maxBytes \(maxBytes)") }
        let end = logEndOffset
        guard fetchOffset >= logStartOffset, fetchOffset <= end else {
            throw .offsetOutOfRange(offset: fetchOffset, validRange: logStartOffset...end)
        }
        var data = FetchData(fetchOffset: fetchOffset, records: nil, highWatermark: highWatermark, logStartOffset: logStartOffset, logEndOffset: end)
        let bound = min(upperBound ?? end, end)
        guard fetchOffset < bound else { return data }
        for segment in segments[segmentIndex(for: fetchOffset)...] {
            guard let range = try segment.read(startOffset: fetchOffset, maxBytes: maxBytes, minOneBatch: minOneBatch, maxOffset: bound) else {
                continue
            }
            data.records = range.length > 0 ? range : nil
            return data
        }
        return data
    }

    /// ListOffsets: for ``earliestTimestamp`` (-2) the log start offset, for ``latestTimestamp`` (-1)
    /// the log end offset (both with timestamp -1), for ``maxTimestamp`` (-3) the first record carrying
    /// the largest timestamp, and for a timestamp >= 0 the first record at or after the log start offset
    /// whose timestamp is >= it. Nil when no record qualifies (Kafka answers offset -1).
    public func offsetForTimestamp(_ timestamp: Int64) throws(LogError) -> TimestampAndOffset? {
        try ensureOpen()
        switch timestamp {
        case Self.earliestTimestamp:
            return TimestampAndOffset(timestamp: -1, offset: logStartOffset)
        case Self.latestTimestamp:
            return TimestampAndOffset(timestamp: -1, offset: logEndOffset)
        case Self.maxTimestamp:
            var best: LogSegment?
            for segment in segments where segment.nextOffset > logStartOffset && segment.maxTimestampSoFar > (best?.maxTimestampSoFar ?? -1) {
                best = segment
            }
            guard let best else { return nil }
            return try best.maxTimestampAndOffset(decompressionLimit: config.decompressionLimit)
        case ..<0:
            throw .invalidArgument("timestamp \(timestamp)")
        default:
            for segment in segments[segmentIndex(for: logStartOffset)...] where segment.maxTimestampSoFar >= timestamp {
                if let found = try segment.findOffset(forTimestamp: timestamp, startingOffset: logStartOffset, decompressionLimit: config.decompressionLimit) {
                    return found
                }
            }
            return nil
        }
    }
}
