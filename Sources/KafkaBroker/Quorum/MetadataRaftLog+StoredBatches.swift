import KafkaLog
import KafkaRecords
import NIOCore

/// Quorum Fetch answered from the batches as stored in `__cluster_metadata-0`, as Kafka's leader reads
/// its log for a fetching replica, instead of encoding the core's entries anew for every fetch.
///
/// Invariant: the bytes returned are whole stored batches holding exactly the entries
/// `[offset, offset + n)` for some n ≥ 1 within the core's answer, each batch at the epoch the core
/// gave its entries; anything else (a fetch offset inside a batch, a first batch longer than the
/// answer, a mismatch) gives nil and the caller encodes the core's entries as before.
extension MetadataRaftLog {
    func storedBatches(from offset: Int64, before end: Int64, maxBytes: Int, epochAt: (Int64) -> Int32?) -> ByteBuffer? {
        guard end > offset else { return nil }
        let range: LogFileRange
        do {
            guard let read = try partition.withLog({ log in
                try log.read(fetchOffset: offset, maxBytes: maxBytes, minOneBatch: true, upperBound: end).records
            }) else { return nil }
            range = read
        } catch {
            return nil
        }
        guard var bytes = try? range.readBytes() else { return nil }
        var next = offset
        var kept = 0
        while bytes.readableBytes - kept >= RecordBatchHeader.size {
            let at = bytes.readerIndex + kept
            guard let base = bytes.getInteger(at: at + RecordBatchHeader.Offset.baseOffset, as: Int64.self),
                  let length = bytes.getInteger(at: at + RecordBatchHeader.Offset.batchLength, as: Int32.self),
                  let epoch = bytes.getInteger(at: at + RecordBatchHeader.Offset.partitionLeaderEpoch, as: Int32.self),
                  let delta = bytes.getInteger(at: at + RecordBatchHeader.Offset.lastOffsetDelta, as: Int32.self),
                  length >= RecordBatchHeader.minimumBatchLength, delta >= 0 else { break }
            let size = RecordBatchHeader.logOverhead + Int(length)
            let last = base + Int64(delta)
            guard base == next, last < end, size <= bytes.readableBytes - kept,
                  epochAt(base) == epoch, epochAt(last) == epoch else { break }
            kept += size
            next = last + 1
        }
        guard kept > 0 else { return nil }
        bytes.moveWriterIndex(to: bytes.readerIndex + kept)
        return bytes
    }
}
