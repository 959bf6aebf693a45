extension PartitionLog {
    /// ListOffsets v0's answer, as Kafka's `legacyFetchOffsetsBefore` gives it: the candidates are each
    /// segment's base offset (at least the log start offset) with the segment file's modification time,
    /// and the log end offset with `now` when the active segment holds anything. LATEST (-1) starts
    /// from the last candidate, EARLIEST (-2) from the first, a time from the last candidate modified
    /// at or before it; up to `maxNumOffsets` candidates are returned from there back, in descending
    /// order (none when no segment is old enough).
    public func legacyOffsets(before timestamp: Int64, maxNumOffsets: Int, now: Int64) throws(LogError) -> [Int64] {
        var candidates: [(offset: Int64, modifiedMs: Int64)] = []
        for segment in segments {
            candidates.append((max(segment.baseOffset, logStartOffset), try FileSystem.modificationTimeMillis(segment.logPath)))
        }
        if let last = segments.last, last.size > 0 { candidates.append((logEndOffset, now)) }
        let start: Int
        switch timestamp {
        case Self.latestTimestamp: start = candidates.count - 1
        case Self.earliestTimestamp: start = candidates.isEmpty ? -1 : 0
        default: start = candidates.lastIndex { $0.modifiedMs <= timestamp } ?? -1
        }
        let count = max(0, min(maxNumOffsets, start + 1))
        return (0..<count).map { candidates[start - $0].offset }.sorted(by: >)
    }
}
