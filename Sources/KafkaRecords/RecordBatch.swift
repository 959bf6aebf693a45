import KafkaProtocol
import NIOCore

/// One v2 record batch: its parsed fixed fields and its bytes, exactly `header.totalSize` of them, as a
/// slice of the buffer it came in (no copy).
///
/// Constructing one checks the framing (size, magic, codec) but not the CRC and not the records; call
/// ``verifyCRC()`` and ``decodeRecords(decompressionLimit:offsets:)`` for those.
public struct RecordBatch: Sendable {
    public private(set) var header: RecordBatchHeader
    /// The whole batch, header included; readable bytes = `header.totalSize`.
    public private(set) var bytes: ByteBuffer

    /// Which offset deltas a batch may carry.
    public enum OffsetValidation: Sendable {
        /// As Kafka validates produced batches: at least one record, record i has offsetDelta i, and
        /// lastOffsetDelta == recordCount - 1.
        case contiguous
        /// As batches in a compacted log may be: deltas strictly increasing from >= 0, none past
        /// lastOffsetDelta; empty batches allowed. The last record may lie before lastOffsetDelta: the
        /// cleaner keeps a batch's last offset when it removes its last records (as Kafka's `filterTo`).
        case increasing
    }

    /// A batch from a buffer holding exactly one batch (its readable bytes).
    public init(bytes: ByteBuffer) throws(RecordBatchError) {
        let header = try RecordBatchHeader(parsing: bytes)
        guard bytes.readableBytes >= header.totalSize else {
            throw RecordBatchError(.truncated(needed: header.totalSize, available: bytes.readableBytes), baseOffset: header.baseOffset)
        }
        guard bytes.readableBytes == header.totalSize else {
            throw RecordBatchError(.invalidBatchLength(header.batchLength), baseOffset: header.baseOffset)
        }
        self.init(header: header, uncheckedBytes: bytes)
    }

    init(header: RecordBatchHeader, uncheckedBytes: ByteBuffer) {
        self.header = header
        self.bytes = uncheckedBytes
    }

    /// The records section: after the 61 fixed bytes; compressed when the codec is not none.
    public var recordsSection: ByteBuffer {
        bytes.getSlice(at: bytes.readerIndex + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size)!
    }

    /// CRC32C over attributes...end (bytes 21..<totalSize).
    public func computeCRC() -> UInt32 {
        bytes.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.Offset.attributes...]))
        }
    }

    public var hasValidCRC: Bool { computeCRC() == header.crc }

    /// Throws `crcMismatch` unless the stored CRC matches the bytes.
    public func verifyCRC() throws(RecordBatchError) {
        let computed = computeCRC()
        guard computed == header.crc else {
            throw RecordBatchError(.crcMismatch(stored: header.crc, computed: computed), baseOffset: header.baseOffset)
        }
    }

    /// Decompresses (at most `decompressionLimit` bytes) and parses the records, then checks them against
    /// the header: exactly `recordCount` records using every byte, offset deltas as `offsets` demands.
    /// Does not check the CRC.
    public func decodeRecords(decompressionLimit: Int, offsets: OffsetValidation = .contiguous) throws(RecordBatchError) -> [Record] {
        let base = header.baseOffset
        let count = header.recordCount
        guard count >= 0 else { throw RecordBatchError(.invalidRecordCount(count), baseOffset: base) }
        if offsets == .contiguous {
            guard count > 0 else { throw RecordBatchError(.emptyBatch, baseOffset: base) }
            guard header.lastOffsetDelta == count - 1 else {
                throw RecordBatchError(.lastOffsetDeltaMismatch(declared: header.lastOffsetDelta, expected: count - 1), baseOffset: base)
            }
        }
        var payload = try recordsPayload(decompressionLimit: decompressionLimit)
        var records: [Record] = []
        records.reserveCapacity(Int(count))
        var previousDelta: Int32 = -1
        for index in 0..<Int(count) {
            guard payload.readableBytes > 0 else {
                throw RecordBatchError(.recordCountMismatch(declared: count, found: index), baseOffset: base)
            }
            let record: Record
            do {
                record = try Record.read(from: &payload)
            } catch {
                throw RecordBatchError(.malformedRecord(index: index, error), baseOffset: base)
            }
            let delta = record.offsetDelta
            switch offsets {
            case .contiguous:
                guard delta == Int32(index) else { throw RecordBatchError(.invalidOffsetDelta(index: index, delta: delta), baseOffset: base) }
            case .increasing:
                guard delta > previousDelta, delta <= header.lastOffsetDelta else {
                    throw RecordBatchError(.invalidOffsetDelta(index: index, delta: delta), baseOffset: base)
                }
            }
            previousDelta = delta
            records.append(record)
        }
        guard payload.readableBytes == 0 else {
            throw RecordBatchError(.trailingBytes(payload.readableBytes), baseOffset: base)
        }
        return records
    }

    /// Sets baseOffset in the header and the bytes. It lies outside the CRC, which stays valid.
    /// Copies the batch bytes first if they are shared (ByteBuffer copy-on-write); to patch batches inside a
    /// larger buffer without a copy, use ``NIOCore/ByteBuffer/setRecordBatchBaseOffset(_:at:)`` on that buffer.
    public mutating func setBaseOffset(_ offset: Int64) {
        header.baseOffset = offset
        bytes.setRecordBatchBaseOffset(offset, at: bytes.readerIndex)
    }

    /// Sets partitionLeaderEpoch (outside the CRC, which stays valid).
    public mutating func setPartitionLeaderEpoch(_ epoch: Int32) {
        header.partitionLeaderEpoch = epoch
        bytes.setRecordBatchPartitionLeaderEpoch(epoch, at: bytes.readerIndex)
    }

    /// Sets maxTimestamp, keeping the timestamp type, as Kafka's validator does for CreateTime batches
    /// (the largest record timestamp, whatever the producer wrote there). Inside the CRC: recomputed.
    public mutating func setMaxTimestamp(_ timestamp: Int64) {
        header.maxTimestamp = timestamp
        let start = bytes.readerIndex
        bytes.setInteger(timestamp, at: start + RecordBatchHeader.Offset.maxTimestamp)
        header.crc = computeCRC()
        bytes.setInteger(header.crc, at: start + RecordBatchHeader.Offset.crc)
    }

    /// Marks the batch LogAppendTime with `timestamp` as its maxTimestamp, as a broker does for topics with
    /// `message.timestamp.type=LogAppendTime`. Both fields are inside the CRC, so it is recomputed.
    public mutating func setLogAppendTime(_ timestamp: Int64) {
        header.attributes = header.attributes.with(timestampType: .logAppendTime)
        header.maxTimestamp = timestamp
        let start = bytes.readerIndex
        bytes.setInteger(header.attributes.rawValue, at: start + RecordBatchHeader.Offset.attributes)
        bytes.setInteger(timestamp, at: start + RecordBatchHeader.Offset.maxTimestamp)
        header.crc = computeCRC()
        bytes.setInteger(header.crc, at: start + RecordBatchHeader.Offset.crc)
    }
}

extension RecordBatch: Equatable {
    public static func == (lhs: RecordBatch, rhs: RecordBatch) -> Bool {
        lhs.header == rhs.header && lhs.bytes == rhs.bytes
    }
}

extension RecordBatch {
    /// The records section, decompressed (bounded by `decompressionLimit`), after checking that the
    /// header's record count could fit in it: every record takes at least `Record.minimumEncodedSize`
    /// bytes, so a larger count cannot be true and is never allocated for.
    func recordsPayload(decompressionLimit: Int) throws(RecordBatchError) -> ByteBuffer {
        var payload = recordsSection
        if header.compression != .none {
            do {
                payload = try Compression.decompress(payload, codec: header.compression, limit: decompressionLimit)
            } catch {
                throw RecordBatchError(.decompression(error), baseOffset: header.baseOffset)
            }
        }
        guard Int(header.recordCount) <= payload.readableBytes / Record.minimumEncodedSize else {
            throw RecordBatchError(.invalidRecordCount(header.recordCount), baseOffset: header.baseOffset)
        }
        return payload
    }
}
