import NIOCore
import SeededRandom
import Testing
@testable import KafkaRecords

/// Random test bytes from the seeded `SplitMix64`, so every random test is reproducible.
extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = next()
            for _ in 0..<8 where i < count {
                out[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return out
    }

    /// Compressible text-like bytes: words from a small vocabulary.
    mutating func repetitiveBytes(_ count: Int) -> [UInt8] {
        let words = ["{\"id\":", "\"name\":\"", "kafka", "strom", "\",", "\"value\":", "true", "null", "}\n", "1234", " "]
        var out: [UInt8] = []
        out.reserveCapacity(count + 16)
        while out.count < count { out += Array(words[Int(next() % UInt64(words.count))].utf8) }
        return Array(out.prefix(count))
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func bool() -> Bool { next() & 1 == 1 }
}

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

/// Bit-by-bit CRC32C, independent of the C code.
func referenceCRC32C(_ data: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

/// A copy of a batch's bytes with the CRC recomputed, after `edit` changed them.
func rewritingCRC(_ batchBytes: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
    var b = batchBytes
    edit(&b)
    let crc = CRC32C.checksum(Array(b[21...]))
    b[17] = UInt8(crc >> 24); b[18] = UInt8((crc >> 16) & 0xFF); b[19] = UInt8((crc >> 8) & 0xFF); b[20] = UInt8(crc & 0xFF)
    return b
}

func setInt32(_ b: inout [UInt8], at i: Int, _ v: Int32) {
    let u = UInt32(bitPattern: v)
    b[i] = UInt8(u >> 24); b[i + 1] = UInt8((u >> 16) & 0xFF); b[i + 2] = UInt8((u >> 8) & 0xFF); b[i + 3] = UInt8(u & 0xFF)
}

/// The kind of RecordBatchError `body` throws, or nil when it returns. (Closures infer untyped throws
/// without the FullTypedThrows feature, so the helpers take `throws` and check the type.)
func batchErrorKind(_ body: () throws -> Void) -> RecordBatchError.Kind? {
    do { try body() } catch let error as RecordBatchError { return error.kind } catch {
        Issue.record("unexpected error type: \(error)")
    }
    return nil
}

func compressionErrorKind(_ body: () throws -> Void) -> CompressionError.Kind? {
    do { try body() } catch let error as CompressionError { return error.kind } catch {
        Issue.record("unexpected error type: \(error)")
    }
    return nil
}

let compressedCodecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]
