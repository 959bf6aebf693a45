import KafkaRecords
import NIOCore

/// Walks the batches of a segment's `.log` in file order, from a batch start, reading in chunks.
///
/// A batch is accepted when: 12 bytes of framing are present, batchLength >= 49, the whole batch lies
/// before `end`, the fixed header parses (magic 2, known codec), lastOffsetDelta >= 0, baseOffset is at
/// least the segment's base offset and the previous batch's next offset, its last offset is at most
/// Int32.max past the segment's base offset, and (in `.verified` mode) the CRC32C matches. The first
/// batch that fails ends the scan with ``Step/invalid(position:reason:)``; nothing traps and nothing is
/// allocated beyond the bytes the file holds.
///
/// `.headers` reads only the 61 fixed bytes of each batch (small chunks, big batches skipped);
/// `.verified` reads every byte.
struct BatchScanner {
    enum Mode { case headers, verified }

    struct Batch {
        var header: RecordBatchHeader
        /// Byte position of the batch in the file.
        var position: Int64
        /// The whole batch, in `.verified` mode only.
        var bytes: ByteBuffer?
        var size: Int { header.totalSize }
        var end: Int64 { position + Int64(header.totalSize) }
    }

    enum Step {
        case batch(Batch)
        /// Reached `end` exactly on a batch boundary.
        case end
        /// The bytes at `position` are not a valid batch.
        case invalid(position: Int64, reason: String)
    }

    let file: LogFile
    let mode: Mode
    let segmentBaseOffset: Int64
    /// Where the scan stops (usually the file size).
    let end: Int64
    private(set) var position: Int64
    /// The smallest baseOffset the next batch may have.
    private(set) var minimumOffset: Int64
    private var chunk = ByteBuffer()
    private var chunkStart: Int64 = 0
    private let chunkSize: Int

    init(file: LogFile, mode: Mode, segmentBaseOffset: Int64, from position: Int64, end: Int64, minimumOffset: Int64? = nil) {
        self.file = file
        self.mode = mode
        self.segmentBaseOffset = segmentBaseOffset
        self.position = position
        self.end = end
        self.minimumOffset = minimumOffset ?? segmentBaseOffset
        self.chunkSize = mode == .headers ? 8 * 1024 : 1024 * 1024
    }

    mutating func next() throws(LogError) -> Step {
        guard position < end else { return .end }
        let remaining = end - position
        guard remaining >= Int64(RecordBatchHeader.logOverhead) else {
            return .invalid(position: position, reason: "\(remaining) trailing bytes, less than a batch's framing")
        }
        guard let framing = try bytes(at: position, count: RecordBatchHeader.logOverhead),
              let batchLength = chunk.getInteger(at: framing + RecordBatchHeader.Offset.batchLength, as: Int32.self)
        else { return .invalid(position: position, reason: "unreadable batch framing") }
        guard batchLength >= RecordBatchHeader.minimumBatchLength else {
            return .invalid(position: position, reason: "batchLength \(batchLength) is below the minimum \(RecordBatchHeader.minimumBatchLength)")
        }
        let size = Int64(RecordBatchHeader.logOverhead) + Int64(batchLength)
        guard size <= remaining else {
            return .invalid(position: position, reason: "batch of \(size) bytes but only \(remaining) remain (torn write)")
        }
        let needed = mode == .verified ? Int(size) : RecordBatchHeader.size
        guard let start = try bytes(at: position, count: needed) else {
            return .invalid(position: position, reason: "unreadable batch")
        }
        let header: RecordBatchHeader
        do {
            header = try RecordBatchHeader(parsing: chunk, at: start)
        } catch {
            return .invalid(position: position, reason: error.description)
        }
        guard header.lastOffsetDelta >= 0 else {
            return .invalid(position: position, reason: "negative lastOffsetDelta \(header.lastOffsetDelta)")
        }
        guard header.baseOffset >= minimumOffset else {
            return .invalid(position: position, reason: "baseOffset \(header.baseOffset) is below \(minimumOffset): offsets go backwards")
        }
        // Relative to the segment's base without overflow: baseOffset >= minimumOffset >= the base here.
        let relativeLast = header.baseOffset.subtractingReportingOverflow(segmentBaseOffset)
        guard !relativeLast.overflow, relativeLast.partialValue <= Int64(Int32.max) - Int64(max(header.lastOffsetDelta, 0)),
              position + size <= Int64(Int32.max) else {
            return .invalid(position: position, reason: "batch at offset \(header.baseOffset) overflows the segment's 32-bit relative offsets or positions")
        }
        var batch = Batch(header: header, position: position)
        if mode == .verified {
            let slice = chunk.getSlice(at: start, length: Int(size))!
            let computed = slice.withUnsafeReadableBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.Offset.attributes...]))
            }
            guard computed == header.crc else {
                return .invalid(position: position, reason: "CRC mismatch at offset \(header.baseOffset): stored 0x\(String(header.crc, radix: 16)), computed 0x\(String(computed, radix: 16))")
            }
            batch.bytes = slice
        }
        position += size
        minimumOffset = header.nextOffset
        return .batch(batch)
    }

    /// Makes `count` bytes from file position `at` available in `chunk`; returns their index there, or
    /// nil if the file is shorter than `end` promised (changed underneath).
    private mutating func bytes(at offset: Int64, count: Int) throws(LogError) -> Int? {
        let chunkEnd = chunkStart + Int64(chunk.readableBytes)
        if offset >= chunkStart, offset + Int64(count) <= chunkEnd {
            return chunk.readerIndex + Int(offset - chunkStart)
        }
        let length = Int(min(end - offset, Int64(max(count, chunkSize))))
        chunk.clear(minimumCapacity: length)
        chunkStart = offset
        let read = try file.read(into: &chunk, at: offset, length: length)
        return read >= count ? chunk.readerIndex : nil
    }
}
