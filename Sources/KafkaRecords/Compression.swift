import CKafkaCodecs
import NIOCore

/// Whole-buffer compression and bounded decompression of a record batch's records section, in the
/// formats Kafka clients read and write:
///
/// - gzip: one RFC 1952 member (zlib, windowBits 15+16); decompression also accepts concatenated members
///   (as Java's `GZIPInputStream` does) but rejects trailing bytes that do not start another member.
/// - snappy: see ``Snappy``; written xerial-framed, read framed or raw.
/// - lz4: the LZ4 frame format with 64 KiB independent blocks and no content size (what Kafka's Java client
///   writes; its reader requires independent blocks). Concatenated frames are accepted.
/// - zstd: one frame with its content size; frames without one (Java's `ZstdOutputStream`) and
///   concatenated frames are accepted.
///
/// Decompression never produces more than `limit` bytes: a size declared in the input (snappy preamble,
/// lz4 frame content size, zstd frame content size) above the limit is rejected before anything is
/// allocated, and streaming decoders stop with ``CompressionError/Kind/limitExceeded(limit:declared:)``
/// as soon as the output would pass it. The output buffer grows by doubling and its requested capacity
/// never exceeds `limit` (snappy allocates exactly the declared total once); NIO rounds a ByteBuffer's
/// storage up to a power of two, so the physical allocation stays below 2 × `limit`. Library state is
/// bounded separately: zlib 32 KiB; LZ4F two buffers of at most the frame's 4 MiB maximum block; zstd's
/// window is capped at the next power of two at or above `limit` (a frame asking for more is rejected as
/// `limitExceeded`).
public enum Compression {
    static let allocator = ByteBufferAllocator()

    // MARK: compress

    /// Compresses the buffer's readable bytes. `level` is the codec's own scale (gzip 0-9, default 6;
    /// lz4 0-12, default 0 = fast; zstd negative to 22, default 3); nil means the default; ignored for snappy.
    public static func compress(_ input: ByteBuffer, codec: CompressionCodec, level: Int? = nil) throws(CompressionError) -> ByteBuffer {
        if codec == .none { return input }
        return try input.withUnsafeReadableBytes { (raw) throws(CompressionError) -> ByteBuffer in
            try compress(raw, codec: codec, level: level)
        }
    }

    public static func compress(_ input: [UInt8], codec: CompressionCodec, level: Int? = nil) throws(CompressionError) -> [UInt8] {
        if codec == .none { return input }
        // Array.withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
        let out = input.withUnsafeBytes { raw in
            Result { () throws(CompressionError) -> ByteBuffer in try compress(raw, codec: codec, level: level) }
        }
        return Array(try out.get().readableBytesView)
    }

    public static func compress(_ input: UnsafeRawBufferPointer, codec: CompressionCodec, level: Int? = nil) throws(CompressionError) -> ByteBuffer {
        let lvl = level.map { Int32(clamping: $0) } ?? KC_LEVEL_DEFAULT
        let n = input.count
        let src = input.baseAddress
        switch codec {
        case .none:
            var out = allocator.buffer(capacity: n)
            out.writeBytes(input)
            return out
        case .snappy:
            return try Snappy.compressXerial(input)
        case .gzip:
            return try oneShot(codec, bound: kc_gzip_compress_bound(n)) { dst, cap, len in
                kc_gzip_compress(src, n, dst, cap, &len, lvl)
            }
        case .lz4:
            return try oneShot(codec, bound: kc_lz4_compress_bound(n, 0)) { dst, cap, len in
                kc_lz4_compress(src, n, dst, cap, &len, lvl, 0)
            }
        case .zstd:
            return try oneShot(codec, bound: kc_zstd_compress_bound(n)) { dst, cap, len in
                kc_zstd_compress(src, n, dst, cap, &len, lvl, 1)
            }
        }
    }

    /// Runs a one-shot C compressor into a fresh buffer of `bound` bytes.
    static func oneShot(
        _ codec: CompressionCodec, bound: Int,
        _ body: (UnsafeMutableRawPointer?, Int, inout Int) -> Int32
    ) throws(CompressionError) -> ByteBuffer {
        var out = allocator.buffer(capacity: bound)
        try out.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { (dst) throws(CompressionError) -> Int in
            var len = 0
            let status = body(dst.baseAddress, dst.count, &len)
            guard status == KC_OK else { throw CompressionError(codec: codec, kind: .compressionFailed(statusText(status))) }
            return len
        }
        return out
    }

    // MARK: decompress

    /// Decompresses the buffer's readable bytes into at most `limit` bytes.
    public static func decompress(_ input: ByteBuffer, codec: CompressionCodec, limit: Int) throws(CompressionError) -> ByteBuffer {
        if codec == .none {
            guard input.readableBytes <= limit else {
                throw CompressionError(codec: .none, kind: .limitExceeded(limit: limit, declared: UInt64(input.readableBytes)))
            }
            return input
        }
        return try input.withUnsafeReadableBytes { (raw) throws(CompressionError) -> ByteBuffer in
            try decompress(raw, codec: codec, limit: limit)
        }
    }

    public static func decompress(_ input: [UInt8], codec: CompressionCodec, limit: Int) throws(CompressionError) -> [UInt8] {
        let out = input.withUnsafeBytes { raw in
            Result { () throws(CompressionError) -> ByteBuffer in try decompress(raw, codec: codec, limit: limit) }
        }
        return Array(try out.get().readableBytesView)
    }

    public static func decompress(_ input: UnsafeRawBufferPointer, codec: CompressionCodec, limit: Int) throws(CompressionError) -> ByteBuffer {
        let limit = max(0, limit)
        switch codec {
        case .none:
            guard input.count <= limit else {
                throw CompressionError(codec: .none, kind: .limitExceeded(limit: limit, declared: UInt64(input.count)))
            }
            var out = allocator.buffer(capacity: input.count)
            out.writeBytes(input)
            return out
        case .snappy:
            return try Snappy.decompress(input, limit: limit)
        case .gzip, .lz4, .zstd:
            let hint = try initialCapacity(input, codec: codec, limit: limit)
            return try BoundedDecoder.decode(input, codec: codec, limit: limit, initialCapacity: hint)
        }
    }

    /// The first output capacity: the declared size when the input declares one (rejecting it when above
    /// the limit), gzip's ISIZE trailer when plausible (deflate cannot expand more than 1032:1), else a
    /// small multiple of the input. Always at most `limit`.
    static func initialCapacity(_ input: UnsafeRawBufferPointer, codec: CompressionCodec, limit: Int) throws(CompressionError) -> Int {
        var declared: UInt64 = 0
        let src = input.baseAddress
        var guess = max(4096, input.count.multipliedReportingOverflow(by: 4).overflow ? Int.max : input.count * 4)
        switch codec {
        case .lz4 where kc_lz4_declared_size(src, input.count, &declared) == 1,
             .zstd where kc_zstd_declared_size(src, input.count, &declared) == 1:
            guard declared <= UInt64(limit) else {
                throw CompressionError(codec: codec, kind: .limitExceeded(limit: limit, declared: declared))
            }
            guess = Int(declared)
        case .gzip where input.count >= 18:
            let isize = input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian
            let (maxRatio, overflow) = input.count.multipliedReportingOverflow(by: 1032)
            if overflow || Int(isize) <= maxRatio { guess = max(Int(isize), 64) }
        default:
            break
        }
        return min(guess, limit)
    }

    static func statusText(_ status: Int32) -> String {
        switch status {
        case KC_OK: "ok"
        case KC_FULL: "output buffer too small"
        case KC_TRUNCATED: "truncated input"
        case KC_CORRUPT: "corrupt input"
        case KC_NOMEM: "out of memory"
        case KC_WINDOW_TOO_LARGE: "window too large"
        case KC_INVALID_ARGUMENT: "invalid argument (level out of range?)"
        default: "status \(status)"
        }
    }
}
