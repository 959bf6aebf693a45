import CKafkaCodecs
import NIOCore
import SeededRandom
import Testing
@testable import KafkaRecords

@Suite struct CompressionTests {
    static let mib = 1 << 20

    @Test(arguments: CompressionCodec.allCases)
    func roundTripsRandomAndRepetitiveData(codec: CompressionCodec) throws {
        var rng = SplitMix64(seed: UInt64(codec.rawValue) + 100)
        var inputs: [[UInt8]] = [[], [0x41], rng.bytes(100), rng.bytes(65_537), rng.repetitiveBytes(300_000)]
        inputs.append([UInt8](repeating: 0, count: 1 << 20))
        for input in inputs {
            let compressed = try Compression.compress(input, codec: codec)
            let restored = try Compression.decompress(compressed, codec: codec, limit: input.count)
            #expect(restored == input, "\(codec) \(input.count) bytes")
            if codec != .none, input.count >= 300_000 {
                #expect(compressed.count < input.count / 2, "\(codec) should compress repetitive data")
            }
        }
    }

    @Test(arguments: [(CompressionCodec.gzip, [1, 9]), (.lz4, [0, 1, 9, 12]), (.zstd, [-5, 1, 19])])
    func levelsRoundTrip(codec: CompressionCodec, levels: [Int]) throws {
        var rng = SplitMix64(seed: 5)
        let input = rng.repetitiveBytes(200_000)
        for level in levels {
            let compressed = try Compression.compress(buffer(input), codec: codec, level: level)
            #expect(bytes(try Compression.decompress(compressed, codec: codec, limit: input.count)) == input)
        }
    }

    @Test func outOfRangeLevelIsAnError() {
        for (codec, level) in [(CompressionCodec.gzip, 10), (.gzip, -7), (.lz4, 13), (.zstd, 1000)] {
            let kind = compressionErrorKind { _ = try Compression.compress([1, 2, 3], codec: codec, level: level) }
            guard case .compressionFailed = kind else {
                Issue.record("\(codec) level \(level): \(String(describing: kind))")
                continue
            }
        }
    }

    /// Output of exactly `limit` bytes is fine; one byte more is not.
    @Test(arguments: CompressionCodec.allCases)
    func limitIsInclusive(codec: CompressionCodec) throws {
        var rng = SplitMix64(seed: 9)
        for size in [1, 4096, 100_003] {
            let input = rng.repetitiveBytes(size)
            let compressed = try Compression.compress(input, codec: codec)
            #expect(try Compression.decompress(compressed, codec: codec, limit: size) == input)
            let kind = compressionErrorKind { _ = try Compression.decompress(compressed, codec: codec, limit: size - 1) }
            guard case let .limitExceeded(limit, _) = kind else {
                Issue.record("\(codec) size \(size): expected limitExceeded, got \(String(describing: kind))")
                continue
            }
            #expect(limit == size - 1)
        }
    }

    /// 10 MiB of zeros against a 1 MiB limit, for every codec and framing.
    @Test func bombsAreRejected() throws {
        let zeros = [UInt8](repeating: 0, count: 10 * Self.mib)
        var bombs: [(String, CompressionCodec, [UInt8], UInt64?)] = []
        for codec in CompressionCodec.allCases {
            // what our compressor writes: zstd and none declare sizes; gzip, lz4 and xerial-snappy stream
            let declared: UInt64? = (codec == .zstd || codec == .none || codec == .snappy) ? UInt64(zeros.count) : nil
            bombs.append(("\(codec)", codec, try Compression.compress(zeros, codec: codec), declared))
        }
        bombs.append(("snappy raw", .snappy, zeros.withUnsafeBytes { bytes(try! Snappy.compressRaw($0)) }, UInt64(zeros.count)))
        bombs.append(("lz4 with content size", .lz4, try lz4Frame(zeros, contentSize: true), UInt64(zeros.count)))
        bombs.append(("zstd without content size", .zstd, try zstdFrame(zeros, contentSize: false), nil))
        for (name, codec, bomb, declared) in bombs {
            let kind = compressionErrorKind { _ = try Compression.decompress(bomb, codec: codec, limit: Self.mib) }
            guard case let .limitExceeded(limit, reported) = kind else {
                Issue.record("\(name): expected limitExceeded, got \(String(describing: kind))")
                continue
            }
            #expect(limit == Self.mib, "\(name)")
            if let declared {
                // Rejected from the declared size, before decompressing anything.
                #expect(reported != nil && reported! > UInt64(Self.mib) && reported! <= declared, "\(name): \(String(describing: reported))")
            }
        }
    }

    @Test func errorNamesTheCodecAndLimit() {
        let error = CompressionError(codec: .zstd, kind: .limitExceeded(limit: 1024, declared: 4096))
        #expect(error.description.contains("zstd"))
        #expect(error.description.contains("1024"))
    }

    @Test func zstdFramesWithoutContentSizeDecode() throws {
        var rng = SplitMix64(seed: 11)
        let input = rng.repetitiveBytes(500_000)
        let frame = try zstdFrame(input, contentSize: false)
        var declared: UInt64 = 0
        #expect(kc_zstd_declared_size(frame, frame.count, &declared) == 0)
        #expect(try Compression.decompress(frame, codec: .zstd, limit: input.count) == input)
    }

    @Test func lz4FramesWithContentSizeDecode() throws {
        var rng = SplitMix64(seed: 12)
        let input = rng.repetitiveBytes(200_000)
        let frame = try lz4Frame(input, contentSize: true)
        var declared: UInt64 = 0
        #expect(kc_lz4_declared_size(frame, frame.count, &declared) == 1)
        #expect(declared == UInt64(input.count))
        #expect(try Compression.decompress(frame, codec: .lz4, limit: input.count) == input)
    }

    /// Java's GZIPOutputStream writes a bare 10-byte header with OS=0; the gzip tool adds FNAME.
    @Test func gzipHeaderVariantsDecode() throws {
        let input = Array("hello, kafka gzip header variants".utf8)
        let ours = try Compression.compress(input, codec: .gzip)
        var java = ours
        java[8] = 0 // XFL
        java[9] = 0 // OS: Java writes 0
        #expect(try Compression.decompress(java, codec: .gzip, limit: 1000) == input)
        var named = Array(ours[0..<10])
        named[3] |= 0x08 // FNAME
        named += Array("batch.bin".utf8) + [0]
        named += ours[10...]
        #expect(try Compression.decompress(named, codec: .gzip, limit: 1000) == input)
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4, .zstd])
    func concatenatedStreamsDecode(codec: CompressionCodec) throws {
        let a = Array("first member ".utf8), b = Array("second member".utf8)
        let joined = try Compression.compress(a, codec: codec) + Compression.compress(b, codec: codec)
        #expect(try Compression.decompress(joined, codec: codec, limit: 100) == a + b)
        // still bounded across streams
        #expect(compressionErrorKind { _ = try Compression.decompress(joined, codec: codec, limit: a.count + 3) } != nil)
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4, .zstd, .snappy])
    func trailingGarbageIsCorrupt(codec: CompressionCodec) throws {
        let input = Array("payload".utf8)
        let stream = try Compression.compress(input, codec: codec) + [0xDE, 0xAD, 0xBE, 0xEF, 0x01]
        let kind = compressionErrorKind { _ = try Compression.decompress(stream, codec: codec, limit: 100) }
        #expect(kind != nil, "\(codec) accepted trailing garbage")
    }

    /// Every strict prefix of a compressed stream either fails or decodes to something other than the input.
    @Test(arguments: compressedCodecs)
    func everyTruncationIsDetected(codec: CompressionCodec) throws {
        var rng = SplitMix64(seed: 21)
        let input = rng.repetitiveBytes(3000) + rng.bytes(500)
        let compressed = try Compression.compress(input, codec: codec)
        for cut in 0..<compressed.count {
            let prefix = Array(compressed[..<cut])
            do {
                let out = try Compression.decompress(prefix, codec: codec, limit: input.count)
                #expect(out != input, "\(codec) cut \(cut) decoded to the full input")
                // only xerial can end cleanly at a block boundary
                #expect(codec == .snappy, "\(codec) cut \(cut) decoded")
            } catch {
                _ = error.kind
            }
        }
    }

    /// Random bytes and bit flips: an error or at most `limit` bytes, never a crash.
    @Test(arguments: compressedCodecs)
    func garbageAndBitFlipsAreSafe(codec: CompressionCodec) throws {
        var rng = SplitMix64(seed: 33 + UInt64(codec.rawValue))
        let limit = 50_000
        for _ in 0..<200 {
            let garbage = rng.bytes(rng.int(0...300))
            if let out = try? Compression.decompress(garbage, codec: codec, limit: limit) { #expect(out.count <= limit) }
        }
        let input = rng.repetitiveBytes(20_000)
        let compressed = try Compression.compress(input, codec: codec)
        for _ in 0..<300 {
            var flipped = compressed
            let i = rng.int(0...(flipped.count - 1))
            flipped[i] ^= UInt8(1 << rng.int(0...7))
            if let out = try? Compression.decompress(flipped, codec: codec, limit: limit) { #expect(out.count <= limit) }
        }
    }

    @Test func noneCodecRespectsTheLimit() throws {
        let input = [UInt8](repeating: 7, count: 100)
        #expect(try Compression.decompress(input, codec: .none, limit: 100) == input)
        guard case .limitExceeded(99, 100)? = compressionErrorKind({ _ = try Compression.decompress(input, codec: .none, limit: 99) }) else {
            Issue.record("expected limitExceeded")
            return
        }
    }

    @Test func emptyCompressedInputIsTruncated() {
        for codec in compressedCodecs {
            let kind = compressionErrorKind { _ = try Compression.decompress([UInt8](), codec: codec, limit: 100) }
            #expect(kind == .truncated, "\(codec): \(String(describing: kind))")
        }
    }
}

func lz4Frame(_ input: [UInt8], contentSize: Bool) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: kc_lz4_compress_bound(input.count, contentSize ? 1 : 0))
    var len = 0
    let status = kc_lz4_compress(input, input.count, &out, out.count, &len, KC_LEVEL_DEFAULT, contentSize ? 1 : 0)
    #expect(status == KC_OK)
    return Array(out[..<len])
}

func zstdFrame(_ input: [UInt8], contentSize: Bool) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: kc_zstd_compress_bound(input.count))
    var len = 0
    let status = kc_zstd_compress(input, input.count, &out, out.count, &len, KC_LEVEL_DEFAULT, contentSize ? 1 : 0)
    #expect(status == KC_OK)
    return Array(out[..<len])
}
