import KafkaLog
import KafkaRecords
import NIOCore

extension DumpLog {
    /// An offset index through ``OffsetIndex``: "offset: O position: P" per entry, or "F is empty.";
    /// an index KafkaLog refuses (not a multiple of 8 bytes, entries not increasing, a position past the
    /// segment) says so on stderr. With the segment, every entry must name the last offset of the batch at
    /// its position, as Kafka checks ("Mismatches in :F" and "  Index offset: O, log offset: L" on stderr).
    static func dumpOffsetIndex(fileName: String, baseOffset: Int64, bytes: [UInt8], segment: [UInt8]?) -> Output {
        guard !bytes.isEmpty else { return Output(lines: ["\(fileName) is empty."]) }
        guard let index = OffsetIndex(decoding: bytes, baseOffset: baseOffset, maxEntries: 0, logSize: Int64(segment?.count ?? Int(Int32.max))) else {
            return Output(errors: ["\(fileName) is not a valid offset index (\(bytes.count) bytes) for its segment"])
        }
        var out = Output()
        var mismatches: [String] = []
        for entry in index.entries {
            let offset = baseOffset + Int64(entry.relativeOffset)
            out.lines.append("offset: \(offset) position: \(entry.position)")
            if let segment {
                let found = batchLastOffset(in: segment, at: Int(entry.position))
                if found != offset { mismatches.append("  Index offset: \(offset), log offset: \(found.map(String.init) ?? "none")") }
            }
        }
        if !mismatches.isEmpty { out.errors = ["Mismatches in :\(fileName)"] + mismatches }
        return out
    }

    /// A time index through ``TimeIndex``: "timestamp: T offset: O" per entry, or "F is empty.". With the
    /// segment, each entry's offset must be the last offset of a batch whose max timestamp is T (Kafka's
    /// check), else a line on stderr.
    static func dumpTimeIndex(fileName: String, baseOffset: Int64, bytes: [UInt8], segment: [UInt8]?) -> Output {
        guard !bytes.isEmpty else { return Output(lines: ["\(fileName) is empty."]) }
        guard let index = TimeIndex(decoding: bytes, baseOffset: baseOffset, maxEntries: 0) else {
            return Output(errors: ["\(fileName) is not a valid time index (\(bytes.count) bytes)"])
        }
        var out = Output()
        let batches = segment.map { lastOffsetsAndMaxTimestamps(in: $0) }
        for entry in index.entries {
            let offset = baseOffset + Int64(entry.relativeOffset)
            out.lines.append("timestamp: \(entry.timestamp) offset: \(offset)")
            if let batches {
                if let maxTimestamp = batches[offset] {
                    if maxTimestamp != entry.timestamp {
                        out.errors.append("Found timestamp mismatch in :\(fileName): index timestamp \(entry.timestamp), log timestamp \(maxTimestamp)")
                    }
                } else {
                    out.errors.append("Indexed offset \(offset) of \(fileName) is not the last offset of a batch")
                }
            }
        }
        return out
    }

    /// The last offset of the batch that starts at `position` of a segment's bytes.
    static func batchLastOffset(in segment: [UInt8], at position: Int) -> Int64? {
        guard position >= 0, position < segment.count else { return nil }
        var reader = RecordBatchReader(ByteBuffer(bytes: segment[position...]))
        return (try? reader.next())?.header.lastOffset
    }

    /// [last offset: max timestamp] of every whole batch of a segment.
    static func lastOffsetsAndMaxTimestamps(in segment: [UInt8]) -> [Int64: Int64] {
        var reader = RecordBatchReader(ByteBuffer(bytes: segment))
        var out: [Int64: Int64] = [:]
        while let batch = try? reader.next() { out[batch.header.lastOffset] = batch.header.maxTimestamp }
        return out
    }
}
