import KafkaRecords
import NIOCore

extension PartitionLog {
    /// Appends batches fetched from the leader, as a follower (Kafka's `appendAsFollower`, origin
    /// REPLICATION): the bytes are written exactly as received, at the offsets they carry, with their
    /// leader epochs and timestamps; nothing is rewritten.
    ///
    /// Checked: framing and every batch's CRC (CORRUPT_MESSAGE: ``LogError/invalidRecords(_:)``), a
    /// non-negative lastOffsetDelta and record count; control batches are accepted. A partial batch at
    /// the end (a Fetch response may end with one) is ignored, as Kafka does; with no whole batch nothing
    /// is appended and the result has `validBytes` 0 and offsets -1. The first batch must not start below
    /// the log end offset, nor any batch below the end of the one before it
    /// (``LogError/unexpectedAppendOffset(offset:expectedAtLeast:)``); it may start above it, as a
    /// compacted leader's log has gaps. Record sizes are not checked against `max.message.bytes`: the
    /// leader accepted them.
    ///
    /// Then, as the leader path does: the leader epoch cache takes each batch's partition leader epoch
    /// (``LeaderEpochCache/assign(epoch:startOffset:)``, checkpointed before the records are written),
    /// segments roll as needed (the new segment based at the batch's offset when that is past the log end
    /// offset), indexes are updated, and producer state records every producer batch without checking
    /// sequences or epochs (the leader did). Nothing is made durable (the caller flushes) and the high
    /// watermark does not move (the follower learns it from the leader).
    @discardableResult
    public func appendAsFollower(_ records: ByteBuffer, now: Int64) throws(LogError) -> AppendInfo {
        try ensureOpen()
        let framed = try Self.frameReplicated(records)
        let headers = framed.headers
        guard let first = headers.first, let last = headers.last else {
            return AppendInfo(firstOffset: -1, lastOffset: -1, maxTimestamp: -1, logAppendTime: -1, logStartOffset: logStartOffset,
                              recordCount: 0, validBytes: 0, isDuplicate: false)
        }
        var expected = logEndOffset
        for header in headers {
            guard header.baseOffset >= expected else { throw .unexpectedAppendOffset(offset: header.baseOffset, expectedAtLeast: expected) }
            expected = header.nextOffset
        }
        let starts = framed.starts
        try changingFiles { () throws(LogError) in
            try updateLeaderEpochCache { cache in
                var changed = false
                for header in headers {
                    if cache.assign(epoch: header.partitionLeaderEpoch, startOffset: header.baseOffset) { changed = true }
                }
                return changed
            }
            // As many consecutive batches per write as the active segment holds; a roll between writes.
            var index = 0
            while index < headers.count {
                let header = headers[index]
                try maybeRoll(appendSize: header.totalSize, maxTimestamp: header.maxTimestamp, lastOffset: header.lastOffset, now: now,
                              rollTo: header.baseOffset)
                let active = activeSegment
                var end = index + 1
                var size = header.totalSize
                while end < headers.count, active.size + Int64(size + headers[end].totalSize) <= Int64(config.segmentBytes),
                      active.offsetIndex.canAppend(offset: headers[end].lastOffset) {
                    size += headers[end].totalSize
                    end += 1
                }
                try active.append(records.getSlice(at: starts[index], length: size)!, headers: Array(headers[index..<end]))
                // Producer state learns of each write before the next roll snapshots it.
                for (header, start) in zip(headers[index..<end], starts[index..<end]) {
                    if let batch = ProducerBatch(header: header) {
                        producerState.update(batch)
                    } else if header.isControl && header.producerId >= 0,
                              let marker = Self.marker(in: records.getSlice(at: start, length: header.totalSize)!, header: header) {
                        try record(marker)
                    }
                }
                index = end
            }
        }
        return AppendInfo(
            firstOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp: headers.map(\.maxTimestamp).max() ?? -1,
            logAppendTime: -1, logStartOffset: logStartOffset, recordCount: headers.reduce(0) { $0 + Int64($1.recordCount) },
            validBytes: headers.reduce(0) { $0 + $1.totalSize }, isDuplicate: false
        )
    }

    /// The whole batches of a fetched `records` buffer, each CRC-checked, up to a partial trailing batch.
    static func frameReplicated(_ buffer: ByteBuffer) throws(LogError) -> ValidatedRecords {
        var starts: [Int] = []
        var headers: [RecordBatchHeader] = []
        var reader = RecordBatchReader(buffer)
        while true {
            let start = reader.buffer.readerIndex
            let batch: RecordBatch
            do {
                guard let next = try reader.next() else { break }
                try next.verifyCRC()
                batch = next
            } catch {
                throw .invalidRecords(error)
            }
            let header = batch.header
            guard header.lastOffsetDelta >= 0, header.recordCount >= 0 else {
                throw .invalidBatch("lastOffsetDelta \(header.lastOffsetDelta) with recordCount \(header.recordCount)")
            }
            starts.append(start)
            headers.append(header)
        }
        return ValidatedRecords(buffer: buffer, starts: starts, headers: headers)
    }
}
