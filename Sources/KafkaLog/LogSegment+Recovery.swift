import KafkaRecords
import NIOCore

extension LogSegment {
    /// Kafka's segment recovery: forgets both indexes, scans every batch from position 0 verifying
    /// framing, magic, CRC and offset monotonicity (see ``BatchScanner``), rebuilds the indexes from the
    /// valid batches, and at the first invalid one either cuts the file there (`truncatingCorruptTail`)
    /// or throws ``LogError/corruptSegment(path:position:reason:)`` leaving the file untouched.
    public func recover(truncatingCorruptTail: Bool) throws(LogError) -> SegmentRecovery {
        let logFile = try self.logFile
        size = try logFile.size()
        resetState()
        var scanner = BatchScanner(file: logFile, mode: .verified, segmentBaseOffset: baseOffset, from: 0, end: size)
        var batchCount = 0
        var stop: (position: Int64, reason: String)?
        scan: while true {
            switch try scanner.next() {
            case let .batch(batch):
                indexBatch(batch.header, at: batch.position)
                batchCount += 1
            case .end:
                break scan
            case let .invalid(position, reason):
                stop = (position, reason)
                break scan
            }
        }
        let validBytes = scanner.position
        let truncated = size - validBytes
        if let stop {
            guard truncatingCorruptTail else {
                throw .corruptSegment(path: logPath, position: stop.position, reason: stop.reason)
            }
            try logFile.truncate(to: validBytes)
            size = validBytes
        }
        timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar, skipFullCheck: true)
        try writeIndexFiles()
        return SegmentRecovery(validBytes: validBytes, truncatedBytes: truncated, batchCount: batchCount, reason: stop?.reason)
    }

    /// Loads a flushed segment: index files read (in passing, see ``IndexFile``), decoded and
    /// sanity-checked, then the batch headers after the last index entries scanned for the next offset
    /// and largest timestamp. Indexes that fail the checks are rebuilt from a scan of all headers (and
    /// missing index files written); a segment whose headers do not scan throws.
    func load() throws(LogError) {
        let offsetBytes = try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.read(offsetIndexPath) }
        let timeBytes = try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.read(timeIndexPath) }
        if let offsets = OffsetIndex(decoding: offsetBytes ?? [], baseOffset: baseOffset, maxEntries: offsetIndex.maxEntries, logSize: size),
           let times = TimeIndex(decoding: timeBytes ?? [], baseOffset: baseOffset, maxEntries: timeIndex.maxEntries)
        {
            offsetIndex = offsets
            timeIndex = times
            indexFiles = offsetBytes != nil && timeBytes != nil ? .durable : .stale
            // An empty index over a log that should have entries (index files lost): rebuild it rather than
            // scan from position 0 on every lookup.
            let missing = offsets.entries.isEmpty && size > Int64(indexIntervalBytes) * 2
            if !missing, (try? loadTailState()) != nil {
                try writeIndexFiles()
                return
            }
        }
        try rebuildIndexesFromHeaders()
    }

    /// Rebuilds both indexes from a headers-only scan of the whole file; throws if it does not scan.
    func rebuildIndexesFromHeaders() throws(LogError) {
        resetState()
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: 0, end: size)
        while true {
            switch try scanner.next() {
            case let .batch(batch): indexBatch(batch.header, at: batch.position)
            case .end:
                timeIndex.maybeAppend(timestamp: maxTimestampSoFar, offset: offsetOfMaxTimestampSoFar, skipFullCheck: true)
                try writeIndexFiles()
                return
            case let .invalid(position, reason):
                throw .corruptSegment(path: logPath, position: position, reason: reason)
            }
        }
    }

    /// With the indexes loaded or truncated, finds next offset, largest timestamp and first batch
    /// timestamp by scanning headers from the earlier of the two indexes' last entries to the end.
    func loadTailState() throws(LogError) {
        let lastOffsetEntry = offsetIndex.lookup(offset: offsetIndex.lastOffset)
        let lastTime = timeIndex.lastEntry
        let timePosition = offsetIndex.lookup(offset: lastTime.offset).position
        let start = min(lastOffsetEntry.position, timePosition)
        nextOffset = baseOffset
        maxTimestampSoFar = lastTime.timestamp
        offsetOfMaxTimestampSoFar = lastTime.offset
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: start, end: size)
        while true {
            switch try scanner.next() {
            case let .batch(batch):
                if batch.header.maxTimestamp > maxTimestampSoFar {
                    maxTimestampSoFar = batch.header.maxTimestamp
                    offsetOfMaxTimestampSoFar = batch.header.lastOffset
                }
                nextOffset = batch.header.nextOffset
            case .end:
                bytesSinceLastIndexEntry = Int(size - lastOffsetEntry.position)
                firstBatchTimestamp = size > 0 ? try header(at: 0)?.maxTimestamp : nil
                return
            case let .invalid(position, reason):
                throw .corruptSegment(path: logPath, position: position, reason: reason)
            }
        }
    }

    /// Removes every batch whose last offset is >= `offset` (so the segment ends on a batch boundary at or
    /// below `offset`), with their index entries. Returns the bytes removed.
    @discardableResult
    public func truncate(to offset: Int64, now: Int64) throws(LogError) -> Int64 {
        guard let cut = try translateOffset(offset) else { return 0 }
        try logFile.truncate(to: cut.position)
        let removed = size - cut.position
        size = cut.position
        offsetIndex.truncate(toOffset: offset)
        timeIndex.truncate(toOffset: offset)
        try writeIndexFiles()
        if size == 0 {
            resetState()
            created = now
        } else {
            try loadTailState()
        }
        return removed
    }

    /// Calls `body` with the header and position of every batch, in order (headers only, no CRC).
    /// A batch that does not scan throws ``LogError/corruptSegment(path:position:reason:)``.
    /// With `offset`, the scan starts at the last batch the offset index places at or below it (batches
    /// ending before `offset` may still be passed to `body`).
    public func forEachBatchHeader(from offset: Int64? = nil, _ body: (RecordBatchHeader, Int64) -> Void) throws(LogError) {
        let start = offset.map { offsetIndex.lookup(offset: $0).position } ?? 0
        var scanner = BatchScanner(file: try logFile, mode: .headers, segmentBaseOffset: baseOffset, from: start, end: size)
        while true {
            switch try scanner.next() {
            case let .batch(batch): body(batch.header, batch.position)
            case .end: return
            case let .invalid(position, reason): throw .corruptSegment(path: logPath, position: position, reason: reason)
            }
        }
    }

    /// The header of the batch at `position`, or nil if none can be parsed there.
    func header(at position: Int64) throws(LogError) -> RecordBatchHeader? {
        guard let bytes = try logFile.read(at: position, length: RecordBatchHeader.size) else { return nil }
        return try? RecordBatchHeader(parsing: bytes)
    }

    private func resetState() {
        offsetIndex.removeAll()
        timeIndex.removeAll()
        nextOffset = baseOffset
        maxTimestampSoFar = -1
        offsetOfMaxTimestampSoFar = baseOffset
        firstBatchTimestamp = nil
        bytesSinceLastIndexEntry = 0
    }
}
