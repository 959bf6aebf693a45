import CKafkaCodecs
import NIOCore

/// Drives a C streaming decoder (gzip, lz4, zstd) into a `ByteBuffer` that grows by doubling up to `limit`.
///
/// Invariant: the decoder is never given room past `limit` bytes of output. When the buffer is full, one
/// call with a 1-byte probe tells "finished" from "more output": a probed byte past the limit is
/// `limitExceeded`; otherwise the buffer grows and the byte is kept.
enum BoundedDecoder {
    static func decode(_ input: UnsafeRawBufferPointer, codec: CompressionCodec, limit: Int, initialCapacity: Int) throws(CompressionError) -> ByteBuffer {
        guard input.count > 0, let inBase = input.baseAddress else {
            throw CompressionError(codec: codec, kind: .truncated)
        }
        guard let decoder = kc_decoder_create(Int32(codec.rawValue), limit) else {
            throw CompressionError(codec: codec, kind: .outOfMemory)
        }
        defer { kc_decoder_destroy(decoder) }

        var out = Compression.allocator.buffer(capacity: max(0, min(initialCapacity, limit)))
        var inPos = 0
        while true {
            var status: Int32 = KC_OK
            let room = min(out.capacity, limit) - out.writerIndex
            if room > 0 {
                out.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { dst in
                    var outPos = 0
                    status = kc_decoder_run(decoder, inBase, input.count, &inPos, dst.baseAddress, room, &outPos)
                    return outPos
                }
            } else {
                var probe: UInt8 = 0
                var outPos = 0
                status = kc_decoder_run(decoder, inBase, input.count, &inPos, &probe, 1, &outPos)
                if outPos == 1 {
                    guard out.writerIndex < limit else {
                        throw CompressionError(codec: codec, kind: .limitExceeded(limit: limit, declared: nil))
                    }
                    let size = out.writerIndex
                    out.reserveCapacity(min(limit, max(size * 2, size + 4096)))
                    out.writeInteger(probe)
                }
            }
            switch status {
            case KC_OK: return out
            case KC_FULL: continue
            case KC_TRUNCATED: throw CompressionError(codec: codec, kind: .truncated)
            case KC_NOMEM: throw CompressionError(codec: codec, kind: .outOfMemory)
            case KC_WINDOW_TOO_LARGE:
                throw CompressionError(codec: codec, kind: .limitExceeded(limit: limit, declared: nil))
            default:
                let message = String(cString: kc_decoder_message(decoder))
                throw CompressionError(codec: codec, kind: .corrupt(message.isEmpty ? Compression.statusText(status) : message))
            }
        }
    }
}
