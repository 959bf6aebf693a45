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
/// - zstd cannot be expressed in either format: a zstd first batch is ``Failure/zstd``, which Kafka
///   answers with UNSUPPORTED_COMPRESSION_TYPE; a later one ends the set after the batches before it,
///   as Kafka's lazy conversion stops there. A partial batch at the end (a fetch cut at the size
///   limit) is dropped;
/// - the set is no larger than the stored batches, or than the first batch converted when that alone
///   is larger (Kafka's `LazyDownConversionRecords` bound): whole batches that would pass it are left
///   for the next fetch, so a fetch of small records (whose legacy form is about three times larger)
///   cannot grow the answer past what was read.
public enum DownConversion {
    public enum Failure: Error, Hashable, Sendable {
        /// A zstd batch: legacy message sets have no code for it.
        case zstd
        /// A batch whose records could not be read.
        case invalid(RecordBatchError)
        /// A wrapper's messages could not be compressed again.
        case compression(CompressionError)
    }

    /// The message set for `records`, or why it cannot be made. Each batch is decompressed into at most
    /// `decompressionLimit` bytes. `sizeLimit` (default: the stored batches' size) bounds the set but for
    /// its first batch.
    public static func convert(_ records: ByteBuffer, toMagic magic: Int8, firstOffset: Int64,
                               decompressionLimit: Int, sizeLimit: Int? = nil) throws(Failure) -> ByteBuffer {
        precondition(magic == 0 || magic == 1, "legacy message sets are magic 0 or 1")
        var reader = RecordBatchReader(records)
        var out = ByteBuffer()
        let sizeLimit = sizeLimit ?? records.readableBytes
        while true {
            let next: RecordBatch?
            do { next = try reader.next() } catch { throw .invalid(error) }
            guard let batch = next else { break }
            if batch.header.attributes.isControl { continue }
            if batch.header.attributes.compression == .zstd {
                if out.readableBytes == 0 { throw .zstd }
                break
            }
            let converted = try convert(batch, toMagic: magic, firstOffset: firstOffset, decompressionLimit: decompressionLimit)
            // A batch that would take the set past the bound is left for the next fetch, unless it is the first.
            if out.readableBytes > 0 && out.readableBytes + converted.readableBytes > sizeLimit { break }
            out.writeImmutableBuffer(converted)
        }
        return out
    }

    /// One batch's messages: one per record at or after `firstOffset` when uncompressed, else one wrapper.
    static func convert(_ batch: RecordBatch, toMagic magic: Int8, firstOffset: Int64, decompressionLimit: Int) throws(Failure) -> ByteBuffer {
        let header = batch.header
        let codec = header.attributes.compression
        let decoded: [Record]
        do { decoded = try batch.decodeRecords(decompressionLimit: decompressionLimit, offsets: .increasing) } catch { throw .invalid(error) }
        let logAppendTime = header.attributes.timestampType == .logAppendTime
        let attributes: Int8 = magic == 1 && logAppendTime ? 0x08 : 0
        func timestamp(_ r: Record) -> Int64 { logAppendTime ? header.maxTimestamp : header.baseTimestamp &+ r.timestampDelta }
        var out = ByteBuffer()
        if codec == .none {
            for r in decoded {
                let offset = header.baseOffset + Int64(r.offsetDelta)
                guard offset >= firstOffset else { continue }
                LegacyMessageSet.appendMessage(to: &out, offset: offset, magic: magic, attributes: attributes,
                                               timestamp: timestamp(r), key: r.key, value: r.value)
            }
            return out
        }
        guard let first = decoded.first, let last = decoded.last else { return out }
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
        do { compressed = try Compression.compress(inner, codec: codec) } catch { throw .compression(error) }
        LegacyMessageSet.appendMessage(to: &out, offset: header.baseOffset + Int64(last.offsetDelta), magic: magic,
                                       attributes: attributes | codec.rawValue,
                                       timestamp: logAppendTime ? header.maxTimestamp : maxTimestamp,
                                       key: nil, value: compressed.readableBytesView)
        return out
    }

    /// The message format a Fetch version reads: magic 0 for v0-1, magic 1 for v2-3, nil (batches as
    /// stored) from v4.
    public static func magic(forFetchVersion version: Int16) -> Int8? {
        version <= 1 ? 0 : version <= 3 ? 1 : nil
    }
}
