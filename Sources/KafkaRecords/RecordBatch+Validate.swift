import KafkaProtocol
import NIOCore

/// What a structural walk over a batch's records found.
public struct RecordWalkSummary: Hashable, Sendable {
    public var recordCount: Int
    /// Smallest and largest record timestamps (base timestamp + delta); nil for an empty batch.
    public var minTimestamp: Int64?
    public var maxTimestamp: Int64?
    /// Records whose key is null (a compacted topic refuses them).
    public var keylessRecords: Int = 0
    /// Their indexes in the batch, in order (what KIP-467's RecordErrors name).
    public var keylessIndexes: [Int32] = []
    /// Size of the records section after decompression; 0 for an uncompressed batch.
    public var decompressedBytes: Int = 0
}

extension RecordBatch {
    /// Checks the records the way `decodeRecords` does (count, contiguous offset deltas, every
    /// record's framing, no trailing bytes), but without building them: lengths are read and the
    /// bytes skipped, so nothing is allocated per record. Decompresses, bounded by `decompressionLimit`.
    /// For the produce path, where the broker must validate but stores the batch as it came.
    public func walkRecords(decompressionLimit: Int) throws(RecordBatchError) -> RecordWalkSummary {
        let base = header.baseOffset
        let count = header.recordCount
        guard count > 0 else {
            throw RecordBatchError(count < 0 ? .invalidRecordCount(count) : .emptyBatch, baseOffset: base)
        }
        guard header.lastOffsetDelta == count - 1 else {
            throw RecordBatchError(.lastOffsetDeltaMismatch(declared: header.lastOffsetDelta, expected: count - 1), baseOffset: base)
        }
        var payload = try recordsPayload(decompressionLimit: decompressionLimit)
        let decompressed = header.compression == .none ? 0 : payload.readableBytes
        if var summary = Self.fastWalk(payload, count: count, baseTimestamp: header.baseTimestamp) {
            summary.decompressedBytes = decompressed
            return summary
        }
        // Refused: the record-by-record walk finds the same fault and says which it is.
        var summary = try Self.walk(&payload, count: count, baseOffset: base, baseTimestamp: header.baseTimestamp)
        summary.decompressedBytes = decompressed
        return summary
    }

    /// The walk `fastWalk` must agree with, over `ByteBuffer` reads: every record in turn, throwing the
    /// first fault it finds, as `RecordBatchError` for the batch at `baseOffset`.
    static func walk(_ payload: inout ByteBuffer, count: Int32, baseOffset base: Int64, baseTimestamp: Int64) throws(RecordBatchError) -> RecordWalkSummary {
        var minDelta = Int64.max
        var maxDelta = Int64.min
        var keyless = 0
        var keylessIndexes: [Int32] = []
        for index in 0..<Int(count) {
            guard payload.readableBytes > 0 else {
                throw RecordBatchError(.recordCountMismatch(declared: count, found: index), baseOffset: base)
            }
            do {
                let (timestampDelta, offsetDelta, hasKey) = try Self.skipRecord(&payload)
                if !hasKey {
                    keyless += 1
                    keylessIndexes.append(Int32(index))
                }
                guard offsetDelta == Int32(index) else {
                    throw RecordBatchError(.invalidOffsetDelta(index: index, delta: offsetDelta), baseOffset: base)
                }
                minDelta = min(minDelta, timestampDelta)
                maxDelta = max(maxDelta, timestampDelta)
            } catch let error as ProtocolError {
                throw RecordBatchError(.malformedRecord(index: index, error), baseOffset: base)
            } catch let error as RecordBatchError {
                throw error
            } catch {
                throw RecordBatchError(.malformedRecord(index: index, ProtocolError(.invalidValue("\(error)"), field: "Record")), baseOffset: base)
            }
        }
        guard payload.readableBytes == 0 else {
            throw RecordBatchError(.trailingBytes(payload.readableBytes), baseOffset: base)
        }
        return RecordWalkSummary(recordCount: Int(count), minTimestamp: baseTimestamp &+ minDelta,
                                 maxTimestamp: baseTimestamp &+ maxDelta, keylessRecords: keyless, keylessIndexes: keylessIndexes)
    }

    /// Reads one record's framing and skips its key, value and headers; returns its deltas and
    /// whether it has a (non-null) key.
    static func skipRecord(_ buffer: inout ByteBuffer) throws -> (timestampDelta: Int64, offsetDelta: Int32, hasKey: Bool) {
        let length = Int(try buffer.readVarint(field: "Record.length"))
        guard length >= 0 else { throw ProtocolError(.negativeLength(length), field: "Record.length") }
        guard length <= buffer.readableBytes, var body = buffer.readSlice(length: length) else {
            throw ProtocolError(.lengthExceedsRemaining(length), field: "Record.length")
        }
        _ = try body.readKafkaInteger(Int8.self, field: "Record.attributes")
        let timestampDelta = try body.readVarlong(field: "Record.timestampDelta")
        let offsetDelta = try body.readVarint(field: "Record.offsetDelta")
        let hasKey = try skipLengthPrefixed(&body, nullable: true, field: "Record.key")
        try skipLengthPrefixed(&body, nullable: true, field: "Record.value")
        let headerCount = Int(try body.readVarint(field: "Record.headers"))
        guard headerCount >= 0, headerCount <= body.readableBytes / 2 else {
            throw ProtocolError(.lengthExceedsRemaining(headerCount), field: "Record.headers")
        }
        for _ in 0..<headerCount {
            try skipLengthPrefixed(&body, nullable: false, field: "Record.headers.key")
            try skipLengthPrefixed(&body, nullable: true, field: "Record.headers.value")
        }
        guard body.readableBytes == 0 else { throw ProtocolError(.sizeMismatch(body.readableBytes), field: "Record.length") }
        return (timestampDelta, offsetDelta, hasKey)
    }

    /// Skips a varint-length-prefixed field; false when it was null.
    @discardableResult
    private static func skipLengthPrefixed(_ buffer: inout ByteBuffer, nullable: Bool, field: StaticString) throws(ProtocolError) -> Bool {
        let length = Int(try buffer.readVarint(field: "\(field)"))
        if length == -1 {
            guard nullable else { throw ProtocolError(.nullNotAllowed, field: "\(field)") }
            return false
        }
        guard length >= 0 else { throw ProtocolError(.negativeLength(length), field: "\(field)") }
        guard length <= buffer.readableBytes else { throw ProtocolError(.lengthExceedsRemaining(length), field: "\(field)") }
        buffer.moveReaderIndex(forwardBy: length)
        return true
    }
}
