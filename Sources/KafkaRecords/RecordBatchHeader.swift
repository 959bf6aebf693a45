import NIOCore

/// The 61 fixed bytes at the start of a v2 record batch ("magic 2"), big-endian:
///
///     offset  size  field
///          0     8  baseOffset
///          8     4  batchLength            bytes after this field: total size - 12
///         12     4  partitionLeaderEpoch
///         16     1  magic (= 2)
///         17     4  crc                    CRC32C of bytes 21..<end (attributes to the end)
///         21     2  attributes
///         23     4  lastOffsetDelta
///         27     8  baseTimestamp
///         35     8  maxTimestamp
///         43     8  producerId
///         51     2  producerEpoch
///         53     4  baseSequence
///         57     4  recordCount
///         61        records (compressed as one block when the codec is not none)
///
/// baseOffset and partitionLeaderEpoch lie before the CRC'd range, so a broker can assign them in place.
public struct RecordBatchHeader: Hashable, Sendable {
    /// Size of the fixed fields.
    public static let size = 61
    /// baseOffset + batchLength: the bytes not counted by batchLength.
    public static let logOverhead = 12
    /// The smallest valid batchLength: the fixed fields after batchLength.
    public static let minimumBatchLength: Int32 = 49
    public static let currentMagic: Int8 = 2

    /// Field offsets from the batch start.
    public enum Offset {
        public static let baseOffset = 0
        public static let batchLength = 8
        public static let partitionLeaderEpoch = 12
        public static let magic = 16
        public static let crc = 17
        public static let attributes = 21
        public static let lastOffsetDelta = 23
        public static let baseTimestamp = 27
        public static let maxTimestamp = 35
        public static let producerId = 43
        public static let producerEpoch = 51
        public static let baseSequence = 53
        public static let recordCount = 57
        public static let records = 61
    }

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: RecordBatchAttributes
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordCount: Int32

    public init(
        baseOffset: Int64, batchLength: Int32, partitionLeaderEpoch: Int32, magic: Int8 = RecordBatchHeader.currentMagic,
        crc: UInt32, attributes: RecordBatchAttributes, lastOffsetDelta: Int32, baseTimestamp: Int64,
        maxTimestamp: Int64, producerId: Int64, producerEpoch: Int16, baseSequence: Int32, recordCount: Int32
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
    }

    /// Parses the fixed fields of the batch starting at `buffer.readerIndex`, without reading the records
    /// or moving the reader index. Checks, in this order: 61 bytes present, batchLength >= 49, magic 2,
    /// a known codec. It does not check that the whole batch is present; ``RecordBatch`` does.
    public init(parsing buffer: ByteBuffer) throws(RecordBatchError) {
        try self.init(parsing: buffer, at: buffer.readerIndex)
    }

    /// As ``init(parsing:)``, for the batch starting at `index`.
    public init(parsing buffer: ByteBuffer, at index: Int) throws(RecordBatchError) {
        let available = buffer.writerIndex - index
        guard index >= buffer.readerIndex, available >= Self.size else {
            throw RecordBatchError(.truncated(needed: Self.size, available: max(0, available)))
        }
        // 61 bytes are present, so every getInteger below succeeds.
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type = T.self) -> T {
            buffer.getInteger(at: index + offset, as: T.self) ?? 0
        }
        let baseOffset: Int64 = get(Offset.baseOffset)
        let batchLength: Int32 = get(Offset.batchLength)
        guard batchLength >= Self.minimumBatchLength else {
            throw RecordBatchError(.invalidBatchLength(batchLength), baseOffset: baseOffset)
        }
        let magic: Int8 = get(Offset.magic)
        guard magic == Self.currentMagic else { throw RecordBatchError(.unsupportedMagic(magic), baseOffset: baseOffset) }
        let rawAttributes: Int16 = get(Offset.attributes)
        guard let attributes = RecordBatchAttributes(rawValue: rawAttributes) else {
            throw RecordBatchError(.unsupportedCompression(Int(rawAttributes & 0x07)), baseOffset: baseOffset)
        }
        self.init(
            baseOffset: baseOffset, batchLength: batchLength, partitionLeaderEpoch: get(Offset.partitionLeaderEpoch),
            magic: magic, crc: get(Offset.crc), attributes: attributes, lastOffsetDelta: get(Offset.lastOffsetDelta),
            baseTimestamp: get(Offset.baseTimestamp), maxTimestamp: get(Offset.maxTimestamp),
            producerId: get(Offset.producerId), producerEpoch: get(Offset.producerEpoch),
            baseSequence: get(Offset.baseSequence), recordCount: get(Offset.recordCount)
        )
    }

    /// Appends the 61 bytes.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(baseOffset)
        buffer.writeInteger(batchLength)
        buffer.writeInteger(partitionLeaderEpoch)
        buffer.writeInteger(magic)
        buffer.writeInteger(crc)
        buffer.writeInteger(attributes.rawValue)
        buffer.writeInteger(lastOffsetDelta)
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(maxTimestamp)
        buffer.writeInteger(producerId)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(baseSequence)
        buffer.writeInteger(recordCount)
    }

    /// The whole batch's size in bytes: batchLength + 12.
    public var totalSize: Int { Self.logOverhead + Int(batchLength) }
    public var compression: CompressionCodec { attributes.compression }
    public var timestampType: TimestampType { attributes.timestampType }
    public var isTransactional: Bool { attributes.isTransactional }
    public var isControl: Bool { attributes.isControl }
    /// The offset of the last record the batch covers (baseOffset + lastOffsetDelta).
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after the batch.
    public var nextOffset: Int64 { lastOffset &+ 1 }
}
