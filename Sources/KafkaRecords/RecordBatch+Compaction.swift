import KafkaProtocol
import NIOCore

/// One record of a batch as the log cleaner sees it: where it sits, its key, whether it has a value,
/// and its encoded bytes after the timestamp delta (offsetDelta to the end), which stay as they are
/// when the record is copied into a rewritten batch.
public struct CompactionRecord: Sendable {
    public var offsetDelta: Int32
    public var timestampDelta: Int64
    /// The key bytes; nil for a record without a key.
    public var key: ByteBuffer?
    /// False for a tombstone (null value).
    public var hasValue: Bool
    public var attributes: Int8
    /// offsetDelta, key, value and headers exactly as encoded.
    var tail: ByteBuffer

    public var keyBytes: [UInt8]? { key.map { Array(buffer: $0) } }
}

extension RecordBatch {
    /// The records of the batch, with their keys and encoded tails as slices of the (decompressed)
    /// records section. Offset deltas must strictly increase (a compacted batch has gaps); the record
    /// count must match. Decompression is bounded by `decompressionLimit`.
    public func compactionRecords(decompressionLimit: Int) throws(RecordBatchError) -> [CompactionRecord] {
        let base = header.baseOffset
        let count = header.recordCount
        guard count >= 0 else { throw RecordBatchError(.invalidRecordCount(count), baseOffset: base) }
        var payload = try recordsPayload(decompressionLimit: decompressionLimit)
        var records: [CompactionRecord] = []
        records.reserveCapacity(Int(count))
        var previous: Int32 = -1
        for index in 0..<Int(count) {
            do {
                let record = try Self.readCompactionRecord(&payload)
                guard record.offsetDelta > previous, record.offsetDelta <= header.lastOffsetDelta else {
                    throw RecordBatchError(.invalidOffsetDelta(index: index, delta: record.offsetDelta), baseOffset: base)
                }
                previous = record.offsetDelta
                records.append(record)
            } catch let error as ProtocolError {
                throw RecordBatchError(.malformedRecord(index: index, error), baseOffset: base)
            } catch let error as RecordBatchError {
                throw error
            } catch {
                throw RecordBatchError(.malformedRecord(index: index, ProtocolError(.invalidValue("\(error)"), field: "Record")), baseOffset: base)
            }
        }
        guard payload.readableBytes == 0 else { throw RecordBatchError(.trailingBytes(payload.readableBytes), baseOffset: base) }
        return records
    }

    /// Calls `body` with each record's offset delta and key bytes (nil for a record without a key), in
    /// order, without copying keys out: the cleaner's key-map pass. Checks framing as
    /// ``compactionRecords(decompressionLimit:)`` does before calling `body` at all.
    public func forEachRecordKey(decompressionLimit: Int, _ body: (Int32, UnsafeRawBufferPointer?) -> Void) throws(RecordBatchError) {
        let base = header.baseOffset
        let count = header.recordCount
        guard count >= 0 else { throw RecordBatchError(.invalidRecordCount(count), baseOffset: base) }
        var payload = try recordsPayload(decompressionLimit: decompressionLimit)
        let start = payload.readerIndex
        var keys: [(offsetDelta: Int32, keyStart: Int, keyLength: Int)] = []
        keys.reserveCapacity(Int(count))
        var previous: Int32 = -1
        for index in 0..<Int(count) {
            do {
                let length = Int(try payload.readVarint(field: "Record.length"))
                guard length >= 0, length <= payload.readableBytes, var body = payload.readSlice(length: length) else {
                    throw ProtocolError(.lengthExceedsRemaining(length), field: "Record.length")
                }
                let bodyStart = payload.readerIndex - length
                _ = try body.readKafkaInteger(Int8.self, field: "Record.attributes")
                _ = try body.readVarlong(field: "Record.timestampDelta")
                let offsetDelta = try body.readVarint(field: "Record.offsetDelta")
                guard offsetDelta > previous, offsetDelta <= header.lastOffsetDelta else {
                    throw RecordBatchError(.invalidOffsetDelta(index: index, delta: offsetDelta), baseOffset: base)
                }
                previous = offsetDelta
                let keyLength = Int(try body.readVarint(field: "Record.key"))
                guard keyLength >= -1, keyLength <= body.readableBytes else {
                    throw ProtocolError(.lengthExceedsRemaining(keyLength), field: "Record.key")
                }
                keys.append((offsetDelta, bodyStart + body.readerIndex, keyLength))
            } catch let error as ProtocolError {
                throw RecordBatchError(.malformedRecord(index: index, error), baseOffset: base)
            } catch let error as RecordBatchError {
                throw error
            } catch {
                throw RecordBatchError(.malformedRecord(index: index, ProtocolError(.invalidValue("\(error)"), field: "Record")), baseOffset: base)
            }
        }
        guard payload.readableBytes == 0 else { throw RecordBatchError(.trailingBytes(payload.readableBytes), baseOffset: base) }
        payload.moveReaderIndex(to: start)
        payload.withUnsafeReadableBytes { raw in
            for key in keys {
                body(key.offsetDelta, key.keyLength < 0 ? nil : UnsafeRawBufferPointer(rebasing: raw[(key.keyStart - start)..<(key.keyStart - start + key.keyLength)]))
            }
        }
    }

    private static func readCompactionRecord(_ buffer: inout ByteBuffer) throws -> CompactionRecord {
        let length = Int(try buffer.readVarint(field: "Record.length"))
        guard length >= 0 else { throw ProtocolError(.negativeLength(length), field: "Record.length") }
        guard length <= buffer.readableBytes, var body = buffer.readSlice(length: length) else {
            throw ProtocolError(.lengthExceedsRemaining(length), field: "Record.length")
        }
        let attributes = try body.readKafkaInteger(Int8.self, field: "Record.attributes")
        let timestampDelta = try body.readVarlong(field: "Record.timestampDelta")
        let tail = body
        let offsetDelta = try body.readVarint(field: "Record.offsetDelta")
        let keyLength = Int(try body.readVarint(field: "Record.key"))
        var key: ByteBuffer?
        if keyLength >= 0 {
            guard let slice = body.readSlice(length: keyLength) else { throw ProtocolError(.lengthExceedsRemaining(keyLength), field: "Record.key") }
            key = slice
        } else if keyLength != -1 {
            throw ProtocolError(.negativeLength(keyLength), field: "Record.key")
        }
        let valueLength = Int(try body.readVarint(field: "Record.value"))
        guard valueLength >= -1, valueLength <= body.readableBytes else {
            throw ProtocolError(.lengthExceedsRemaining(valueLength), field: "Record.value")
        }
        return CompactionRecord(offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, hasValue: valueLength >= 0,
                                attributes: attributes, tail: tail)
    }

    /// Kafka's cleaner rewrite of a v2 batch: the same baseOffset, lastOffsetDelta (so the producer's last
    /// sequence survives), partitionLeaderEpoch, producer id, epoch, base sequence, timestamp type,
    /// transactional/control flags and codec (default level), holding only `retained` (records of this
    /// batch, in order). baseTimestamp becomes the first retained record's timestamp, or `deleteHorizon`
    /// when given (which also sets attributes bit 6); maxTimestamp is the largest retained timestamp for
    /// CreateTime and unchanged for LogAppendTime. An existing delete horizon is kept when none is given.
    /// With no records retained, the batch keeps only its header (Kafka's `RETAIN_EMPTY`): no codec, no
    /// delete horizon, both timestamps the old maxTimestamp, recordCount 0.
    public func rewritten(retaining retained: [CompactionRecord], deleteHorizon: Int64? = nil) throws(RecordBatchError) -> RecordBatch {
        if retained.isEmpty { return emptied() }
        let oldBase = header.baseTimestamp
        let horizon = deleteHorizon ?? (header.attributes.hasDeleteHorizon ? oldBase : nil)
        let timestamps = retained.map { oldBase &+ $0.timestampDelta }
        let newBase = horizon ?? timestamps.first ?? oldBase
        var payload = Compression.allocator.buffer(capacity: retained.reduce(0) { $0 + $1.tail.readableBytes + 16 })
        for (record, timestamp) in zip(retained, timestamps) {
            let delta = timestamp &- newBase
            let body = 1 + Varint.size(delta) + record.tail.readableBytes
            payload.writeVarint(Int32(truncatingIfNeeded: body))
            payload.writeInteger(record.attributes)
            payload.writeVarlong(delta)
            var tail = record.tail
            payload.writeBuffer(&tail)
        }
        if header.compression != .none {
            do {
                payload = try Compression.compress(payload, codec: header.compression, level: nil)
            } catch {
                throw RecordBatchError(.decompression(error), baseOffset: header.baseOffset)
            }
        }
        let maxPayload = Int(Int32.max) - Int(RecordBatchHeader.minimumBatchLength)
        guard payload.readableBytes <= maxPayload else {
            throw RecordBatchError(.batchTooLarge(size: payload.readableBytes + RecordBatchHeader.size, maximum: Int(Int32.max)), baseOffset: header.baseOffset)
        }
        var raw = header.attributes.rawValue
        if horizon != nil { raw |= RecordBatchAttributes.deleteHorizonBit }
        var out = header
        out.attributes = RecordBatchAttributes(unchecked: raw)
        out.batchLength = RecordBatchHeader.minimumBatchLength + Int32(payload.readableBytes)
        out.baseTimestamp = newBase
        if header.timestampType == .createTime, let largest = timestamps.max() { out.maxTimestamp = largest }
        out.recordCount = Int32(retained.count)
        return Self.sealed(out, payload: payload)
    }

    /// The header-only form of the batch, see ``rewritten(retaining:deleteHorizon:)``.
    public func emptied() -> RecordBatch {
        var out = header
        let kept = header.attributes.rawValue & ~(RecordBatchAttributes.codecMask | RecordBatchAttributes.deleteHorizonBit)
        out.attributes = RecordBatchAttributes(unchecked: kept)
        out.batchLength = RecordBatchHeader.minimumBatchLength
        out.baseTimestamp = header.maxTimestamp
        out.recordCount = 0
        return Self.sealed(out, payload: Compression.allocator.buffer(capacity: 0))
    }

    /// Writes `header` (batchLength already set) and `payload`, then the CRC.
    private static func sealed(_ header: RecordBatchHeader, payload: ByteBuffer) -> RecordBatch {
        var out = header
        var payload = payload
        out.crc = 0
        var buffer = Compression.allocator.buffer(capacity: out.totalSize)
        out.write(to: &buffer)
        buffer.writeBuffer(&payload)
        out.crc = buffer.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.Offset.attributes...]))
        }
        buffer.setInteger(out.crc, at: RecordBatchHeader.Offset.crc)
        return RecordBatch(header: out, uncheckedBytes: buffer)
    }

    /// The delete horizon the batch carries (its baseTimestamp when attributes bit 6 is set).
    public var deleteHorizon: Int64? { header.attributes.hasDeleteHorizon ? header.baseTimestamp : nil }
}
