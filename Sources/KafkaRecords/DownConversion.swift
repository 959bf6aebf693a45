import NIOCore

/// v2 record batches rewritten as a legacy message set of magic 0 or 1, as Kafka 3.x answers Fetch v0-3
/// (v0-1 read magic 0, v2-3 magic 1; Kafka's `RecordsUtil.downConvert`):
///
/// - control batches are left out, and so are transactional markers' effects: an old consumer reads every
///   data record, committed or not (it has no isolation level);
/// - an uncompressed batch becomes one message per record, at the record's own offset; records before
///   `firstOffset` (the fetch offset) are left out;
/// - a compressed batch becomes one wrapper message compressed with the batch's codec, at the offset of
///   its last record, holding every record of the batch (the consumer skips those before its position);
///   inner offsets are relative to the first record in magic 1 and absolute in magic 0;
/// - headers are dropped (neither format has them); a LogAppendTime batch's messages carry its time and,
///   in magic 1, the timestamp-type bit; a CreateTime wrapper carries the largest record timestamp;
/// - zstd cannot be expressed in either format: ``Failure/zstd``, which Kafka answers with
///   UNSUPPORTED_COMPRESSION_TYPE. A partial batch at the end (a fetch cut at the size limit) is dropped.
public enum DownConversion {
    public enum Failure: Error, Hashable, Sendable {
        /// A zstd batch: legacy message sets have no code for it.
        case zstd
        /// A batch whose records could not be read.
        case invalid(RecordBatchError)
    }

    /// The message set for `records`, or why it cannot be made. Each batch is decompressed into at most
    /// `decompressionLimit` bytes.
    public static func convert(_ records: ByteBuffer, toMagic magic: Int8, firstOffset: Int64,
                               decompressionLimit: Int) throws(Failure) -> ByteBuffer {
        precondition(magic == 0 || magic == 1, "legacy message sets are magic 0 or 1")
        var reader = RecordBatchReader(records)
        var out = ByteBuffer()
        while true {
            let next: RecordBatch?
            do { next = try reader.next() } catch { throw .invalid(error) }
            guard let batch = next else { break }
            let header = batch.header
            if header.attributes.isControl { continue }
            let codec = header.attributes.compression
            if codec == .zstd { throw .zstd }
            let decoded: [Record]
            do { decoded = try batch.decodeRecords(decompressionLimit: decompressionLimit, offsets: .increasing) } catch { throw .invalid(error) }
            let logAppendTime = header.attributes.timestampType == .logAppendTime
            let attributes: Int8 = magic == 1 && logAppendTime ? 0x08 : 0
            func timestamp(_ r: Record) -> Int64 { logAppendTime ? header.maxTimestamp : header.baseTimestamp &+ r.timestampDelta }
            if codec == .none {
                for r in decoded {
                    let offset = header.baseOffset + Int64(r.offsetDelta)
                    guard offset >= firstOffset else { continue }
                    LegacyMessageSet.appendMessage(to: &out, offset: offset, magic: magic, attributes: attributes,
                                                   timestamp: timestamp(r), key: r.key, value: r.value)
                }
                continue
            }
            guard let first = decoded.first, let last = decoded.last else { continue }
            let firstRecordOffset = header.baseOffset + Int64(first.offsetDelta)
            var inner = ByteBuffer()
            var maxTimestamp = Int64(-1)
            for r in decoded {
                let offset = header.baseOffset + Int64(r.offsetDelta)
                maxTimestamp = max(maxTimestamp, timestamp(r))
                LegacyMessageSet.appendMessage(to: &inner, offset: magic == 1 ? offset - firstRecordOffset : offset, magic: magic,
                                               attributes: attributes, timestamp: timestamp(r), key: r.key, value: r.value)
            }
            let compressed: ByteBuffer
            do { compressed = try Compression.compress(inner, codec: codec) } catch { throw .invalid(RecordBatchError(.decompression(error))) }
            LegacyMessageSet.appendMessage(to: &out, offset: header.baseOffset + Int64(last.offsetDelta), magic: magic,
                                           attributes: attributes | codec.rawValue,
                                           timestamp: logAppendTime ? header.maxTimestamp : maxTimestamp,
                                           key: nil, value: compressed.readableBytesView)
        }
        return out
    }

    /// The message format a Fetch version reads: magic 0 for v0-1, magic 1 for v2-3, nil (batches as
    /// stored) from v4.
    public static func magic(forFetchVersion version: Int16) -> Int8? {
        version <= 1 ? 0 : version <= 3 ? 1 : nil
    }
}
