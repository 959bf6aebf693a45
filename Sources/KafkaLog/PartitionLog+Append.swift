import KafkaRecords
import NIOCore

extension PartitionLog {
    /// Appends the batches of a Produce request's `records` as the leader: checks framing, CRCs and
    /// sizes, assigns offsets from the log end offset by rewriting each batch's baseOffset and
    /// partitionLeaderEpoch (outside the CRC), stamps `now` as maxTimestamp for LogAppendTime (CRC
    /// recomputed), checks idempotent producers' sequences, starts `leaderEpoch` in the leader epoch
    /// cache at the first batch's offset when it is newer than the latest epoch there (checkpointed
    /// before the records are written), rolls the segment when needed and writes everything with one
    /// `pwrite`. Only headers are read; records are neither decompressed nor validated here (that is the
    /// caller's LogValidator step).
    ///
    /// A duplicate of one of a producer's last five batches writes nothing and returns the original
    /// offsets with `isDuplicate`. Nothing is made durable: call ``flush(upTo:now:)`` for that.
    /// `crcVerified`: the caller has just verified every batch's CRC (the produce path does, first,
    /// as Kafka's validator does), so the log need not compute it again. `allowControlBatches`: the
    /// writer is the metadata quorum (Kafka's `AppendOrigin.RAFT_LEADER`), whose leader-change and
    /// voter records are control batches; producers never may.
    @discardableResult
    public func append(_ records: ByteBuffer, leaderEpoch: Int32, timestampType: TimestampType = .createTime, now: Int64,
                       crcVerified: Bool = false, allowControlBatches: Bool = false) throws(LogError) -> AppendInfo {
        try ensureOpen()
        let validated = try LogValidator.frame(records, config: config, verifyCRC: !crcVerified, allowControl: allowControlBatches)
        return try append(validated, leaderEpoch: leaderEpoch, timestampType: timestampType, now: now)
    }

    /// Appends batches ``LogValidator`` has checked (see ``append(_:leaderEpoch:timestampType:now:crcVerified:allowControlBatches:)``
    /// for what an append does); the broker's `Partition.appendAsLeader` validates first, without the
    /// partition's lock, and then calls this under it.
    @discardableResult
    ///
    /// `checksSequences` false: a coordinator writes its own producer batches (see
    /// ``ProducerStateManager/check(_:staging:checksSequences:)``).
    public func append(_ validated: ValidatedRecords, leaderEpoch: Int32, timestampType: TimestampType = .createTime,
                       now: Int64, checksSequences: Bool = true) throws(LogError) -> AppendInfo {
        try ensureOpen()
        var buffer = validated.buffer
        let starts = validated.starts
        var headers = validated.headers
        var next = logEndOffset
        for i in headers.indices {
            headers[i].baseOffset = next
            headers[i].partitionLeaderEpoch = leaderEpoch
            if timestampType == .logAppendTime {
                headers[i].attributes = headers[i].attributes.with(timestampType: .logAppendTime)
                headers[i].maxTimestamp = now
            }
            next = headers[i].nextOffset
        }

        var pending = ProducerStateManager.PendingUpdate()
        for header in headers {
            guard let batch = ProducerBatch(header: header) else { continue }
            switch producerState.check(batch, staging: &pending, checksSequences: checksSequences) {
            case .append: continue
            case let .rejected(error): throw .producerState(error)
            case let .duplicate(original):
                return AppendInfo(
                    firstOffset: original.firstOffset, lastOffset: original.lastOffset, maxTimestamp: original.timestamp,
                    logAppendTime: timestampType == .logAppendTime ? original.timestamp : -1, logStartOffset: logStartOffset,
                    recordCount: original.lastOffset - original.firstOffset + 1, validBytes: 0, isDuplicate: true
                )
            }
        }

        // The assigned base offset and leader epoch go into each batch's first 16 bytes. With
        // CreateTime nothing else changes, so those 16 bytes are written as separate pieces and the
        // rest straight from the request's buffer; setting them in `buffer` would copy every batch
        // (the buffer shares its storage with the request). LogAppendTime rewrites the CRC: copy.
        var pieces: [ByteBuffer] = []
        if timestampType == .logAppendTime {
            for i in headers.indices {
                buffer.setRecordBatchBaseOffset(headers[i].baseOffset, at: starts[i])
                buffer.setRecordBatchPartitionLeaderEpoch(leaderEpoch, at: starts[i])
                headers[i].crc = stampLogAppendTime(now, in: &buffer, at: starts[i])
            }
            pieces = [buffer]
        } else {
            pieces.reserveCapacity(headers.count * 2)
            for i in headers.indices {
                var head = ByteBuffer()
                head.reserveCapacity(Self.patchedHeaderBytes)
                head.writeInteger(headers[i].baseOffset)
                head.writeInteger(Int32(headers[i].totalSize - RecordBatchHeader.logOverhead))
                head.writeInteger(leaderEpoch)
                pieces.append(head)
                pieces.append(buffer.getSlice(at: starts[i] + Self.patchedHeaderBytes, length: headers[i].totalSize - Self.patchedHeaderBytes)!)
            }
        }
        let total = headers.reduce(0) { $0 + $1.totalSize }
        let maxTimestamp = headers.map(\.maxTimestamp).max() ?? -1
        let firstOffset = headers[0].baseOffset
        try changingFiles { () throws(LogError) in
            try updateLeaderEpochCache { cache in
                leaderEpoch > (cache.latestEpoch ?? -1) && cache.assign(epoch: leaderEpoch, startOffset: firstOffset)
            }
            try maybeRoll(appendSize: total, maxTimestamp: maxTimestamp, lastOffset: next - 1, now: now)
            try activeSegment.append(pieces: pieces, headers: headers)
        }
        producerState.apply(pending)
        return AppendInfo(
            firstOffset: headers[0].baseOffset, lastOffset: next - 1, maxTimestamp: maxTimestamp,
            logAppendTime: timestampType == .logAppendTime ? now : -1, logStartOffset: logStartOffset,
            recordCount: headers.reduce(0) { $0 + Int64($1.recordCount) }, validBytes: total, isDuplicate: false
        )
    }

    /// baseOffset (int64), batchLength (int32), partitionLeaderEpoch (int32): the part of a batch header
    /// an append rewrites.
    static let patchedHeaderBytes = 16

    /// Marks the batch at `start` LogAppendTime with maxTimestamp `now` and rewrites its CRC (both
    /// fields are inside the CRC'd range). Returns the new CRC.
    private func stampLogAppendTime(_ now: Int64, in buffer: inout ByteBuffer, at start: Int) -> UInt32 {
        let attributes = buffer.getInteger(at: start + RecordBatchHeader.Offset.attributes, as: Int16.self) ?? 0
        let stamped = RecordBatchAttributes(rawValue: attributes)?.with(timestampType: .logAppendTime).rawValue ?? attributes
        buffer.setInteger(stamped, at: start + RecordBatchHeader.Offset.attributes)
        buffer.setInteger(now, at: start + RecordBatchHeader.Offset.maxTimestamp)
        let length = Int(buffer.getInteger(at: start + RecordBatchHeader.Offset.batchLength, as: Int32.self) ?? 0) + RecordBatchHeader.logOverhead
        let crc = buffer.withUnsafeReadableBytes { raw in
            let from = start - buffer.readerIndex + RecordBatchHeader.Offset.attributes
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[from..<(start - buffer.readerIndex + length)]))
        }
        buffer.setInteger(crc, at: start + RecordBatchHeader.Offset.crc)
        return crc
    }

    /// Rolls to a new segment at the log end offset when the active one is not empty and: the append
    /// would take it past `segment.bytes`; its first batch is `segment.ms` older than the incoming
    /// batches (or, without timestamps, it was created that long ago); an index is full; or the append's
    /// offsets would not fit its 32-bit relative offsets.
    static func saturatingDifference(_ a: Int64, _ b: Int64) -> Int64 {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? .max : .min) : difference
    }

    /// `rollTo`: the new segment's base offset when above the log end offset (a follower's first batch
    /// after a gap a compacted leader left); an empty active segment that cannot hold `lastOffset` is
    /// replaced by one there.
    func maybeRoll(appendSize: Int, maxTimestamp: Int64, lastOffset: Int64, now: Int64, rollTo: Int64? = nil) throws(LogError) {
        let active = activeSegment
        guard active.size > 0 else {
            if let rollTo, !active.offsetIndex.canAppend(offset: lastOffset) { try roll(now: now, at: rollTo) }
            return
        }
        // Timestamps come from clients: any Int64 is possible, so the difference saturates instead of trapping.
        let waited = active.firstBatchTimestamp.map { $0 >= 0 ? Self.saturatingDifference(maxTimestamp, $0) : now - active.created }
            ?? now - active.created
        let full = active.size + Int64(appendSize) > Int64(config.segmentBytes)
        if full || waited > config.segmentMs || active.isIndexFull || !active.offsetIndex.canAppend(offset: lastOffset) {
            try roll(now: now, at: rollTo)
        }
    }

    /// Seals the active segment, writes a producer state snapshot at the log end offset, then creates
    /// the next segment there, as Kafka's `UnifiedLog.roll`: none of it is fsync'd, so appends and reads
    /// of the partition do not wait on the disk while up to a segment of unflushed records is synced.
    /// The recovery point stays where it was; the next flush (``prepareFlush()``, ``flush(upTo:now:)``)
    /// syncs the directory, the sealed segment's files and the snapshot, and moves it past them. The
    /// broker runs that flush off the partition's lock soon after (Kafka's scheduled "flush-log" task);
    /// an acks=all append's own flush covers it too. A crash before it leaves the sealed segment above
    /// the recovery point, which the next open scans, cutting a torn tail and the segments after it.
    public func roll(now: Int64) throws(LogError) {
        try ensureOpen()
        try roll(now: now, at: nil)
    }

    /// ``roll(now:)``, the new segment based at `base` when that is above the log end offset. An empty
    /// active segment is not sealed: it is replaced when `base` is above its base offset, else kept.
    func roll(now: Int64, at base: Int64?) throws(LogError) {
        let end = logEndOffset
        let newBase = max(base ?? end, end)
        if activeSegment.size == 0 {
            guard newBase > activeSegment.baseOffset else { return }
            try changingFiles { () throws(LogError) in
                let empty = segments.removeLast()
                try empty.deleteFiles()
                let segment = try LogSegment.create(directory: directory, baseOffset: newBase, config: config, now: now, fileCache: fileCache)
                try FileSystem.syncDirectory(directory)
                segments.append(segment)
            }
            logger.debug("replaced an empty segment", metadata: metadata.merging(["log.segment": "\(newBase)"]) { $1 })
            return
        }
        try changingFiles { () throws(LogError) in
            let sealed = activeSegment
            try sealed.seal()
            sealedAwaitingSync.append(sealed)
            let snapshotBefore = latestProducerSnapshot
            try takeProducerSnapshot(syncingDirectories: false)
            if let taken = latestProducerSnapshot, taken != snapshotBefore { unsyncedProducerSnapshots.append(taken) }
            let segment = try LogSegment.create(directory: directory, baseOffset: newBase, config: config, now: now, fileCache: fileCache)
            markDirectoryUnsynced()
            segments.append(segment)
            // Below a recovery point a checkpoint file may still hold (after a truncation), an open
            // would load the sealed segment without scanning it: it must be durable now.
            if end <= highestRecoveryPoint { try flush(now: now) }
        }
        logger.debug("rolled segment", metadata: metadata.merging(["log.segment": "\(newBase)"]) { $1 })
    }
}
