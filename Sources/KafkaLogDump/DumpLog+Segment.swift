import KafkaRecords
import NIOCore

extension DumpLog {
    /// A segment: batches in file order through ``RecordBatchReader``, each as Kafka's batch line
    /// (``batchLine(_:position:)``); records as ``recordLine(_:in:options:)``. Offsets that do not follow
    /// each other are listed on stderr at the end ("Non-consecutive offsets in F"), as Kafka does.
    static func dumpSegment(fileName: String, baseOffset: Int64, bytes: [UInt8], options: Options) -> Output {
        var out = Output(lines: ["Log starting offset: \(baseOffset)"])
        var reader = RecordBatchReader(ByteBuffer(bytes: bytes))
        var position = 0
        var lastRecordOffset: Int64?
        var nonConsecutive: [(Int64, Int64)] = []
        while true {
            let batch: RecordBatch
            do {
                guard let next = try reader.next() else { break }
                batch = next
            } catch {
                out.errors.append("Corrupt batch at position \(position) of \(fileName): \(error)")
                break
            }
            out.lines.append(batchLine(batch, position: position))
            if options.recordLines {
                do {
                    for record in try batch.decodeRecords(decompressionLimit: Int(Int32.max), offsets: .increasing) {
                        let offset = batch.header.baseOffset &+ Int64(record.offsetDelta)
                        if let last = lastRecordOffset, offset != last &+ 1 { nonConsecutive.append((last, offset)) }
                        lastRecordOffset = offset
                        out.lines.append(recordLine(record, in: batch, options: options))
                    }
                } catch {
                    out.errors.append("Records of the batch at offset \(batch.header.baseOffset) do not decode: \(error)")
                }
            }
            position += batch.header.totalSize
        }
        let trailing = bytes.count - position
        if trailing > 0 { out.lines.append("Found \(trailing) invalid bytes at the end of \(fileName)") }
        if !nonConsecutive.isEmpty {
            out.errors.append("Non-consecutive offsets in \(fileName)")
            out.errors += nonConsecutive.map { "  \($0.0) is followed by \($0.1)" }
        }
        return out
    }

    /// Kafka's line for a v2 batch:
    ///
    ///     baseOffset: B lastOffset: L count: N baseSequence: S lastSequence: S' producerId: P
    ///     producerEpoch: E partitionLeaderEpoch: LE isTransactional: false isControl: false
    ///     deleteHorizonMs: OptionalLong.empty position: POS CreateTime: MAXTS size: BYTES magic: 2
    ///     compresscodec: none crc: CRC isvalid: true
    ///
    /// (one line). lastSequence is baseSequence + lastOffsetDelta, wrapping past Int32.max to 0, or -1
    /// without a sequence; the timestamp is the batch's max timestamp under its timestamp type's name;
    /// crc is the stored CRC32C, unsigned, and isvalid whether it matches the bytes.
    public static func batchLine(_ batch: RecordBatch, position: Int) -> String {
        let h = batch.header
        let lastSequence = h.baseSequence == -1 ? -1 : incrementSequence(h.baseSequence, by: h.lastOffsetDelta)
        let horizon = h.attributes.hasDeleteHorizon ? "OptionalLong[\(h.baseTimestamp)]" : "OptionalLong.empty"
        return "baseOffset: \(h.baseOffset) lastOffset: \(h.lastOffset) count: \(h.recordCount)"
            + " baseSequence: \(h.baseSequence) lastSequence: \(lastSequence) producerId: \(h.producerId)"
            + " producerEpoch: \(h.producerEpoch) partitionLeaderEpoch: \(h.partitionLeaderEpoch)"
            + " isTransactional: \(h.isTransactional) isControl: \(h.isControl) deleteHorizonMs: \(horizon)"
            + " position: \(position) \(timestampTypeName(h.timestampType)): \(h.maxTimestamp) size: \(h.totalSize)"
            + " magic: \(h.magic) compresscodec: \(h.compression) crc: \(h.crc) isvalid: \(batch.hasValidCRC)"
    }

    /// Kafka's line for one record:
    ///
    ///     | offset: O CreateTime: T keySize: K valueSize: V sequence: S headerKeys: [a,b]
    ///
    /// then, in a control batch, ` endTxnMarker: COMMIT coordinatorEpoch: E` or
    /// ` controlType: LEADER_CHANGE(2)`; otherwise, with --print-data-log, ` key: K` (when there is one)
    /// and ` payload: V` (when there is one), as UTF-8; with --offsets-decoder, both as JSON.
    public static func recordLine(_ record: Record, in batch: RecordBatch, options: Options) -> String {
        let h = batch.header
        let offset = h.baseOffset &+ Int64(record.offsetDelta)
        let timestamp = h.timestampType == .logAppendTime ? h.maxTimestamp : h.baseTimestamp &+ record.timestampDelta
        let sequence = h.baseSequence == -1 ? -1 : incrementSequence(h.baseSequence, by: record.offsetDelta)
        var line = "| offset: \(offset) \(timestampTypeName(h.timestampType)): \(timestamp)"
            + " keySize: \(record.key.map(\.count) ?? -1) valueSize: \(record.value.map(\.count) ?? -1)"
            + " sequence: \(sequence) headerKeys: [\(record.headers.map(\.key).joined(separator: ","))]"
        if h.isControl {
            do {
                let control = try ControlRecord(parsing: record)
                switch control.value {
                case .endTransaction(_, let coordinatorEpoch):
                    line += " endTxnMarker: \(control.type) coordinatorEpoch: \(coordinatorEpoch)"
                case let .raw(value):
                    line += ClusterMetadataDecoder.control(type: control.type.rawValue, value: value)
                        ?? " controlType: \(control.type)(\(control.type.rawValue))"
                }
            } catch {
                line += " controlType: invalid (\(error))"
            }
        } else if options.clusterMetadataDecoder {
            line += " payload: " + ClusterMetadataDecoder.payload(record.value, offset: offset)
        } else if options.offsetsDecoder {
            let (key, payload) = OffsetsDecoder.format(key: record.key, value: record.value, offset: offset)
            line += " key: \(key)"
            if let payload { line += " payload: \(payload)" }
        } else if options.printDataLog {
            if let key = record.key { line += " key: \(String(decoding: key, as: UTF8.self))" }
            if let value = record.value { line += " payload: \(String(decoding: value, as: UTF8.self))" }
        }
        return line
    }

    /// Kafka's `DefaultRecordBatch.incrementSequence`: sequences wrap from Int32.max to 0.
    static func incrementSequence(_ sequence: Int32, by increment: Int32) -> Int32 {
        if sequence > Int32.max - increment { return increment - (Int32.max - sequence) - 1 }
        return sequence + increment
    }

    /// Kafka's `TimestampType` names.
    static func timestampTypeName(_ type: TimestampType) -> String {
        type == .logAppendTime ? "LogAppendTime" : "CreateTime"
    }
}
