import NIOCore

/// Builds one v2 record batch from records with absolute timestamps.
///
/// On ``build()``: baseTimestamp is the first record's timestamp (or the delete horizon when one is set),
/// each record gets offsetDelta = its index and timestampDelta = timestamp - baseTimestamp, maxTimestamp is
/// the largest timestamp (or the log append time for LogAppendTime batches), lastOffsetDelta =
/// count - 1, the records section is compressed as one block, batchLength counts everything after
/// itself, and the CRC32C covers attributes to the end.
public struct RecordBatchBuilder: Sendable {
    public var baseOffset: Int64
    public var partitionLeaderEpoch: Int32
    public var compression: CompressionCodec
    /// The codec's level (gzip 0-9, lz4 0-12, zstd up to 22); nil for the codec's default.
    public var compressionLevel: Int?
    public var timestampType: TimestampType
    /// With `.logAppendTime`: the batch's maxTimestamp. Nil uses the largest record timestamp.
    public var logAppendTime: Int64?
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var isTransactional: Bool
    public var isControl: Bool
    /// When set: attributes bit 6, and baseTimestamp is this delete horizon (compacted logs).
    public var deleteHorizon: Int64?

    public struct Entry: Hashable, Sendable {
        public var timestamp: Int64
        public var key: [UInt8]?
        public var value: [UInt8]?
        public var headers: [RecordHeader]
    }

    public private(set) var entries: [Entry] = []

    public init(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, compression: CompressionCodec = .none,
        compressionLevel: Int? = nil, timestampType: TimestampType = .createTime, logAppendTime: Int64? = nil,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        isTransactional: Bool = false, isControl: Bool = false, deleteHorizon: Int64? = nil
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.timestampType = timestampType
        self.logAppendTime = logAppendTime
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.deleteHorizon = deleteHorizon
    }

    public var count: Int { entries.count }

    public mutating func append(timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        entries.append(Entry(timestamp: timestamp, key: key, value: value, headers: headers))
    }

    /// Appends a control record and marks the batch as a control batch.
    public mutating func append(_ control: ControlRecord, timestamp: Int64) {
        isControl = true
        append(timestamp: timestamp, key: control.keyBytes, value: control.valueBytes)
    }

    public var attributes: RecordBatchAttributes {
        RecordBatchAttributes(
            compression: compression, timestampType: timestampType, isTransactional: isTransactional,
            isControl: isControl, hasDeleteHorizon: deleteHorizon != nil
        )
    }

    /// The records as they will be encoded (deltas assigned).
    public var records: [Record] {
        let base = baseTimestamp
        return entries.enumerated().map { index, entry in
            Record(offsetDelta: Int32(truncatingIfNeeded: index), timestampDelta: entry.timestamp &- base, key: entry.key, value: entry.value, headers: entry.headers)
        }
    }

    var baseTimestamp: Int64 { deleteHorizon ?? entries.first?.timestamp ?? -1 }

    /// Builds the batch into a fresh buffer.
    public func build() throws(RecordBatchError) -> RecordBatch {
        var buffer = Compression.allocator.buffer(capacity: 0)
        let header = try build(into: &buffer)
        return RecordBatch(header: header, uncheckedBytes: buffer)
    }

    /// Appends the batch to `buffer` (e.g. a `records` buffer holding several batches) and returns its header.
    @discardableResult
    public func build(into buffer: inout ByteBuffer) throws(RecordBatchError) -> RecordBatchHeader {
        guard !entries.isEmpty else { throw RecordBatchError(.emptyBatch, baseOffset: baseOffset) }
        guard entries.count <= Int(Int32.max) else { throw RecordBatchError(.invalidRecordCount(Int32.max), baseOffset: baseOffset) }
        let records = self.records
        let maxPayload = Int(Int32.max) - Int(RecordBatchHeader.minimumBatchLength)
        var rawSize = 0
        for record in records {
            rawSize += record.encodedSize
            guard rawSize <= maxPayload else {
                throw RecordBatchError(.batchTooLarge(size: rawSize + RecordBatchHeader.size, maximum: Int(Int32.max)), baseOffset: baseOffset)
            }
        }
        var payload = Compression.allocator.buffer(capacity: rawSize)
        for record in records { record.write(to: &payload) }
        if compression != .none {
            do {
                payload = try Compression.compress(payload, codec: compression, level: compressionLevel)
            } catch {
                throw RecordBatchError(.decompression(error), baseOffset: baseOffset)
            }
            guard payload.readableBytes <= maxPayload else {
                throw RecordBatchError(.batchTooLarge(size: payload.readableBytes + RecordBatchHeader.size, maximum: Int(Int32.max)), baseOffset: baseOffset)
            }
        }
        let maxRecordTimestamp = entries.lazy.map(\.timestamp).max() ?? -1
        var header = RecordBatchHeader(
            baseOffset: baseOffset,
            batchLength: RecordBatchHeader.minimumBatchLength + Int32(payload.readableBytes),
            partitionLeaderEpoch: partitionLeaderEpoch,
            crc: 0,
            attributes: attributes,
            lastOffsetDelta: Int32(entries.count - 1),
            baseTimestamp: baseTimestamp,
            maxTimestamp: timestampType == .logAppendTime ? (logAppendTime ?? maxRecordTimestamp) : maxRecordTimestamp,
            producerId: producerId,
            producerEpoch: producerEpoch,
            baseSequence: baseSequence,
            recordCount: Int32(entries.count)
        )
        let start = buffer.writerIndex
        buffer.reserveCapacity(minimumWritableBytes: header.totalSize)
        header.write(to: &buffer)
        buffer.writeBuffer(&payload)
        header.crc = buffer.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(start - buffer.readerIndex + RecordBatchHeader.Offset.attributes)...]))
        }
        buffer.setInteger(header.crc, at: start + RecordBatchHeader.Offset.crc)
        return header
    }
}
