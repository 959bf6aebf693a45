import KafkaProtocol

/// Why a record batch (or a `records` buffer of batches) was rejected.
///
/// Reading untrusted batches either returns values or throws one of these; nothing traps and nothing
/// allocates in proportion to a count or length the bytes do not back up. The kinds map onto Kafka's
/// errors as: CRC and framing problems → CORRUPT_MESSAGE; count/offset inconsistencies and bad records →
/// INVALID_RECORD; the caller decides which code to send.
public struct RecordBatchError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Fewer bytes than the batch needs (`needed` counts from the batch start).
        case truncated(needed: Int, available: Int)
        /// batchLength below 49 (the fixed fields after it) or past the bytes of a buffer said to hold one batch.
        case invalidBatchLength(Int32)
        /// A batch larger than the reader's maximum.
        case batchTooLarge(size: Int, maximum: Int)
        /// Magic other than 2 (v0/v1 message sets are not supported).
        case unsupportedMagic(Int8)
        /// Attributes bits 0-2 hold 5, 6 or 7.
        case unsupportedCompression(Int)
        /// The stored CRC32C differs from the one computed over attributes...end.
        case crcMismatch(stored: UInt32, computed: UInt32)
        /// recordCount is negative, or larger than the records bytes could hold.
        case invalidRecordCount(Int32)
        /// The records section ended after `found` records, fewer than `declared`.
        case recordCountMismatch(declared: Int32, found: Int)
        /// Bytes remain in the records section after `recordCount` records.
        case trailingBytes(Int)
        /// Record `index` has an offset delta that the batch does not allow.
        case invalidOffsetDelta(index: Int, delta: Int32)
        /// lastOffsetDelta does not match the records (or, for producer batches, recordCount - 1).
        case lastOffsetDeltaMismatch(declared: Int32, expected: Int32)
        /// A contiguous (producer) batch with no records.
        case emptyBatch
        /// Record `index` could not be parsed.
        case malformedRecord(index: Int, ProtocolError)
        /// The records section did not decompress.
        case decompression(CompressionError)
        /// A control record whose key or value is not valid.
        case invalidControlRecord(String)
        /// A legacy (magic 0/1) message set that breaks the format's rules.
        case invalidLegacyMessageSet(String)
    }

    public var kind: Kind
    /// The batch's baseOffset, when the header was readable.
    public var baseOffset: Int64?

    public init(_ kind: Kind, baseOffset: Int64? = nil) {
        self.kind = kind
        self.baseOffset = baseOffset
    }

    public var description: String {
        let at = baseOffset.map { "record batch at offset \($0)" } ?? "record batch"
        switch kind {
        case let .truncated(needed, available): return "\(at): truncated: needs \(needed) bytes, \(available) available"
        case let .invalidBatchLength(length): return "\(at): invalid batchLength \(length)"
        case let .batchTooLarge(size, maximum): return "\(at): \(size) bytes exceeds the maximum batch size \(maximum)"
        case let .unsupportedMagic(magic): return "\(at): unsupported magic \(magic) (only v2 batches are supported)"
        case let .unsupportedCompression(id): return "\(at): unknown compression codec id \(id)"
        case let .crcMismatch(stored, computed):
            return "\(at): CRC mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case let .invalidRecordCount(count): return "\(at): invalid recordCount \(count)"
        case let .recordCountMismatch(declared, found): return "\(at): recordCount is \(declared) but only \(found) records are present"
        case let .trailingBytes(n): return "\(at): \(n) bytes remain after the last record"
        case let .invalidOffsetDelta(index, delta): return "\(at): record \(index) has invalid offsetDelta \(delta)"
        case let .lastOffsetDeltaMismatch(declared, expected): return "\(at): lastOffsetDelta is \(declared), records say \(expected)"
        case .emptyBatch: return "\(at): no records"
        case let .malformedRecord(index, error): return "\(at): record \(index): \(error)"
        case let .decompression(error): return "\(at): \(error)"
        case let .invalidControlRecord(why): return "\(at): invalid control record: \(why)"
        case let .invalidLegacyMessageSet(why): return "\(at): invalid legacy message set: \(why)"
        }
    }
}
