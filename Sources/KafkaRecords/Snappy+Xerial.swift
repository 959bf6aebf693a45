import CKafkaCodecs
import NIOCore

/// Snappy as Kafka clients exchange it: raw snappy blocks, or the xerial snappy-java stream framing.
///
/// Xerial framing (snappy-java's `SnappyOutputStream`):
///
///     magic   0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00   (8 bytes)
///     int32   version                (big-endian; snappy-java writes 1)
///     int32   minimum compatible version  (snappy-java writes 1)
///     repeated: int32 block length (big-endian), then one raw snappy block of that length
///
/// A block length that reads as the first four magic bytes starts a further, concatenated stream header
/// (snappy-java reads those too). No raw block can start with the magic: its eighth byte would be a copy
/// tag, and a raw block must start with a literal.
///
/// What clients do (checked in their sources):
/// - the Java client writes xerial framing (`SnappyOutputStream`, 32 KiB blocks) and reads both
///   (`SnappyInputStream` falls back to a raw block when the magic is absent);
/// - librdkafka writes raw blocks (`rd_kafka_snappy_compress_iov`) and reads both (it checks the
///   magic and calls `rd_kafka_snappy_java_uncompress`);
/// - the Apache Kafka broker, when it recompresses, writes what the Java client writes.
///
/// So ``decompress(_:limit:)`` accepts both, and ``Compression`` writes xerial framing: it is what the
/// reference broker produces, so every client that consumes from Apache Kafka reads it. The version
/// fields are not checked (librdkafka does not check them either).
public enum Snappy {
    /// `0x82 "SNAPPY" 0x00`.
    public static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    /// Magic, version, minimum compatible version.
    public static let xerialHeaderSize = 16
    /// snappy-java's default block size.
    public static let xerialDefaultBlockSize = 32 * 1024

    /// True when the bytes start with the xerial magic.
    public static func isXerialFramed(_ input: UnsafeRawBufferPointer) -> Bool {
        input.count >= 8 && xerialMagic.withUnsafeBytes { magic in
            memcmp8(input.baseAddress!, magic.baseAddress!)
        }
    }

    static func memcmp8(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
    }

    // MARK: compress

    /// One raw snappy block, as librdkafka writes.
    public static func compressRaw(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> ByteBuffer {
        let bound = kc_snappy_max_compressed_length(input.count)
        return try Compression.oneShot(.snappy, bound: bound) { dst, cap, len in
            kc_snappy_compress(input.baseAddress, input.count, dst, cap, &len)
        }
    }

    /// Xerial framing: header, then one `[int32 length][raw block]` per `blockSize` bytes of input.
    public static func compressXerial(_ input: UnsafeRawBufferPointer, blockSize: Int = xerialDefaultBlockSize) throws(CompressionError) -> ByteBuffer {
        let blockSize = max(1, blockSize)
        let blocks = (input.count + blockSize - 1) / blockSize
        let perBlock = 4 + kc_snappy_max_compressed_length(min(blockSize, input.count))
        var out = Compression.allocator.buffer(capacity: xerialHeaderSize + blocks * perBlock)
        out.writeBytes(xerialMagic)
        out.writeInteger(Int32(1))
        out.writeInteger(Int32(1))
        var offset = 0
        while offset < input.count {
            let n = min(blockSize, input.count - offset)
            let lengthAt = out.writerIndex
            out.writeInteger(Int32(0))
            try out.writeWithUnsafeMutableBytes(minimumWritableBytes: perBlock) { (dst) throws(CompressionError) -> Int in
                var len = 0
                let status = kc_snappy_compress(input.baseAddress! + offset, n, dst.baseAddress, dst.count, &len)
                guard status == KC_OK else {
                    throw CompressionError(codec: .snappy, kind: .compressionFailed(Compression.statusText(status)))
                }
                return len
            }
            out.setInteger(Int32(out.writerIndex - lengthAt - 4), at: lengthAt)
            offset += n
        }
        return out
    }

    // MARK: decompress

    /// Decodes a raw block or a xerial stream (detected by the magic) into at most `limit` bytes.
    /// Every block's declared length is read and summed before anything is allocated.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        isXerialFramed(input) ? try decompressXerial(input, limit: limit) : try decompressRaw(input, limit: limit)
    }

    public static func decompressRaw(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        var declared = 0
        guard input.count > 0, kc_snappy_uncompressed_length(input.baseAddress, input.count, &declared) == KC_OK else {
            throw CompressionError(codec: .snappy, kind: input.count == 0 ? .truncated : .corrupt("bad snappy length preamble"))
        }
        guard declared <= limit else {
            throw CompressionError(codec: .snappy, kind: .limitExceeded(limit: limit, declared: UInt64(declared)))
        }
        var out = Compression.allocator.buffer(capacity: declared)
        try appendBlock(input, declared: declared, to: &out)
        return out
    }

    static func appendBlock(_ block: UnsafeRawBufferPointer, declared: Int, to out: inout ByteBuffer) throws(CompressionError) {
        guard declared > 0 else {
            // An empty block is its one-byte preamble; snappy_uncompress wants a non-NULL output.
            guard block.count == 1 else { throw CompressionError(codec: .snappy, kind: .corrupt("bytes after an empty block")) }
            return
        }
        try out.writeWithUnsafeMutableBytes(minimumWritableBytes: declared) { (dst) throws(CompressionError) -> Int in
            var len = 0
            let status = kc_snappy_uncompress(block.baseAddress, block.count, dst.baseAddress, declared, &len)
            guard status == KC_OK, len == declared else {
                throw CompressionError(codec: .snappy, kind: .corrupt("invalid snappy block"))
            }
            return len
        }
    }

    /// Walks the xerial blocks: calls `body` with each raw block. Throws on framing errors.
    static func forEachXerialBlock(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(CompressionError) -> Void) throws(CompressionError) {
        let count = input.count
        var pos = 0
        while pos < count {
            let left = count - pos
            if left >= 8, memcmp8(input.baseAddress! + pos, xerialMagic.withUnsafeBytes { $0.baseAddress! }) {
                guard left >= xerialHeaderSize else { throw CompressionError(codec: .snappy, kind: .truncated) }
                pos += xerialHeaderSize
                continue
            }
            guard left >= 4 else { throw CompressionError(codec: .snappy, kind: .truncated) }
            let length = Int(Int32(bigEndian: input.loadUnaligned(fromByteOffset: pos, as: Int32.self)))
            pos += 4
            guard length > 0 else {
                throw CompressionError(codec: .snappy, kind: .corrupt("xerial block length \(length)"))
            }
            guard length <= count - pos else { throw CompressionError(codec: .snappy, kind: .truncated) }
            try body(UnsafeRawBufferPointer(rebasing: input[pos..<(pos + length)]))
            pos += length
        }
    }

    public static func decompressXerial(_ input: UnsafeRawBufferPointer, limit: Int) throws(CompressionError) -> ByteBuffer {
        guard isXerialFramed(input) else { throw CompressionError(codec: .snappy, kind: .corrupt("no xerial magic")) }
        // Pass 1: validate framing, read each block's declared length, sum against the limit.
        var total = 0
        try forEachXerialBlock(input) { (block) throws(CompressionError) in
            var declared = 0
            guard kc_snappy_uncompressed_length(block.baseAddress, block.count, &declared) == KC_OK else {
                throw CompressionError(codec: .snappy, kind: .corrupt("bad snappy length preamble in xerial block"))
            }
            let (sum, overflow) = total.addingReportingOverflow(declared)
            guard !overflow, sum <= limit else {
                throw CompressionError(codec: .snappy, kind: .limitExceeded(limit: limit, declared: overflow ? UInt64.max : UInt64(sum)))
            }
            total = sum
        }
        // Pass 2: one allocation of exactly the declared total.
        var out = Compression.allocator.buffer(capacity: total)
        try forEachXerialBlock(input) { (block) throws(CompressionError) in
            var declared = 0
            _ = kc_snappy_uncompressed_length(block.baseAddress, block.count, &declared)
            try appendBlock(block, declared: declared, to: &out)
        }
        return out
    }
}
