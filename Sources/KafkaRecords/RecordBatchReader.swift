import NIOCore

/// Reads the v2 batches of a `records` buffer (a Produce request's or Fetch response's records field:
/// batches back to back) one at a time, as slices of that buffer.
///
/// Framing rule (as Kafka's `ByteBufferLogInputStream`): fewer than 12 bytes left, or fewer than
/// 12 + batchLength, is a partial trailing batch: ``next()`` returns nil and ``truncatedTailBytes`` says
/// how many bytes it had (a Fetch response may end with one; a Produce request must not, which the caller
/// checks). A batchLength below 49 or above the maximum, or a complete batch with magic other than 2 or an
/// unknown codec, is corrupt and throws. CRCs and records are not checked here; see ``RecordBatch``.
public struct RecordBatchReader: Sendable {
    public private(set) var buffer: ByteBuffer
    public let maximumBatchSize: Int
    /// After ``next()`` returned nil: the size of the partial batch at the end (0 when there was none).
    public private(set) var truncatedTailBytes = 0

    public init(_ records: ByteBuffer, maximumBatchSize: Int = Int(Int32.max)) {
        self.buffer = records
        self.maximumBatchSize = maximumBatchSize
    }

    /// The bytes not yet read.
    public var remainingBytes: Int { buffer.readableBytes }

    /// The next complete batch, or nil at the end or at a partial trailing batch. A corrupt batch throws,
    /// and keeps throwing (the reader does not move past it).
    public mutating func next() throws(RecordBatchError) -> RecordBatch? {
        let available = buffer.readableBytes
        guard available > 0 else { return nil }
        let start = buffer.readerIndex
        guard available >= RecordBatchHeader.logOverhead,
              let baseOffset = buffer.getInteger(at: start, as: Int64.self),
              let batchLength = buffer.getInteger(at: start + RecordBatchHeader.Offset.batchLength, as: Int32.self)
        else {
            truncatedTailBytes = available
            return nil
        }
        guard batchLength >= RecordBatchHeader.minimumBatchLength else {
            throw RecordBatchError(.invalidBatchLength(batchLength), baseOffset: baseOffset)
        }
        let size = RecordBatchHeader.logOverhead + Int(batchLength)
        guard size <= maximumBatchSize else {
            throw RecordBatchError(.batchTooLarge(size: size, maximum: maximumBatchSize), baseOffset: baseOffset)
        }
        guard available >= size else {
            truncatedTailBytes = available
            return nil
        }
        let header = try RecordBatchHeader(parsing: buffer, at: start)
        let slice = buffer.readSlice(length: size)!
        return RecordBatch(header: header, uncheckedBytes: slice)
    }

    /// Every complete batch; stops at a partial trailing batch like ``next()``.
    public mutating func readAll() throws(RecordBatchError) -> [RecordBatch] {
        var batches: [RecordBatch] = []
        while let batch = try next() { batches.append(batch) }
        return batches
    }
}

extension ByteBuffer {
    /// Assigns consecutive offsets to every batch of a `records` buffer in place, as a broker does on
    /// append: batch i gets baseOffset = the previous batch's baseOffset + lastOffsetDelta + 1, starting at
    /// `firstOffset`, and `partitionLeaderEpoch`. CRCs stay valid. Returns the next offset after the last
    /// batch. A partial trailing batch or any framing error throws (append input must be whole).
    public mutating func assignRecordBatchOffsets(firstOffset: Int64, partitionLeaderEpoch: Int32) throws(RecordBatchError) -> Int64 {
        // Find the batches first and let the reader (which shares this storage) go, so the writes below
        // do not trigger a copy-on-write of the whole buffer.
        var starts: [(index: Int, lastOffsetDelta: Int32)] = []
        do {
            var reader = RecordBatchReader(self)
            while true {
                let index = reader.buffer.readerIndex
                guard let batch = try reader.next() else { break }
                starts.append((index, batch.header.lastOffsetDelta))
            }
            if reader.truncatedTailBytes > 0 {
                throw RecordBatchError(.truncated(needed: RecordBatchHeader.logOverhead, available: reader.truncatedTailBytes))
            }
        }
        var next = firstOffset
        for (index, lastOffsetDelta) in starts {
            setRecordBatchBaseOffset(next, at: index)
            setRecordBatchPartitionLeaderEpoch(partitionLeaderEpoch, at: index)
            next = next &+ Int64(lastOffsetDelta) &+ 1
        }
        return next
    }
}
