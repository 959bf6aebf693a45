import NIOCore
import SeededRandom
import Testing
@testable import KafkaRecords

@Suite struct SnappyXerialTests {
    func raw(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { bytes(try! Snappy.compressRaw($0)) }
    }

    func be32(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(u >> 24), UInt8((u >> 16) & 0xFF), UInt8((u >> 8) & 0xFF), UInt8(u & 0xFF)]
    }

    var header: [UInt8] { Snappy.xerialMagic + be32(1) + be32(1) }

    @Test func handBuiltFramingDecodes() throws {
        let a = Array("the first xerial block ".utf8), b = Array(repeating: UInt8(ascii: "z"), count: 5000)
        let blockA = raw(a), blockB = raw(b)
        let framed = header + be32(Int32(blockA.count)) + blockA + be32(Int32(blockB.count)) + blockB
        #expect(try Compression.decompress(framed, codec: .snappy, limit: a.count + b.count) == a + b)
    }

    /// snappy-java reads a second stream header where a block length would be.
    @Test func concatenatedStreamsDecode() throws {
        let a = Array("one".utf8), b = Array("two".utf8)
        let framed = header + be32(Int32(raw(a).count)) + raw(a) + header + be32(Int32(raw(b).count)) + raw(b)
        #expect(try Compression.decompress(framed, codec: .snappy, limit: 10) == a + b)
    }

    @Test func headerOnlyIsEmpty() throws {
        #expect(try Compression.decompress(header, codec: .snappy, limit: 10) == [])
    }

    @Test func rawBlocksDecode() throws {
        var rng = SplitMix64(seed: 3)
        let input = rng.repetitiveBytes(100_000)
        #expect(try Compression.decompress(raw(input), codec: .snappy, limit: input.count) == input)
    }

    @Test func ourOutputIsXerialWithJavaBlockSize() throws {
        var rng = SplitMix64(seed: 4)
        let input = rng.bytes(100_000)
        let out = try Compression.compress(input, codec: .snappy)
        #expect(Array(out[0..<16]) == header)
        // Walk the blocks: each declares at most 32 KiB.
        var pos = 16, total = 0, blocks = 0
        while pos < out.count {
            let len = Int(UInt32(out[pos]) << 24 | UInt32(out[pos + 1]) << 16 | UInt32(out[pos + 2]) << 8 | UInt32(out[pos + 3]))
            let block = Array(out[(pos + 4)..<(pos + 4 + len)])
            let decoded = try Compression.decompress(block, codec: .snappy, limit: 32 * 1024)
            #expect(decoded.count <= Snappy.xerialDefaultBlockSize)
            total += decoded.count
            blocks += 1
            pos += 4 + len
        }
        #expect(pos == out.count)
        #expect(total == input.count)
        #expect(blocks == 4)
    }

    @Test func badBlockLengthsAreErrors() {
        let block = raw(Array("abc".utf8))
        let cases: [(String, [UInt8])] = [
            ("zero length", header + be32(0)),
            ("negative length", header + be32(-5)),
            ("length past the end", header + be32(Int32(block.count + 1)) + block),
            ("partial length", header + [0, 0]),
            ("partial second header", header + Array(Snappy.xerialMagic) + [0, 0]),
            ("garbage block", header + be32(3) + [0xFF, 0xFF, 0xFF]),
        ]
        for (name, input) in cases {
            #expect(compressionErrorKind { _ = try Compression.decompress(input, codec: .snappy, limit: 1000) } != nil, "\(name)")
        }
    }

    /// A block claiming a huge size is rejected from its preamble, before any allocation.
    @Test func declaredSizesAreSummedBeforeAllocating() {
        // Preamble varint 0xFFFFFFFF0F = 4 GiB - 1, followed by nothing valid.
        let liar: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]
        let framed = header + be32(Int32(liar.count)) + liar
        for input in [liar, framed] {
            guard case let .limitExceeded(limit, declared)? = compressionErrorKind({ _ = try Compression.decompress(input, codec: .snappy, limit: 1 << 20) }) else {
                Issue.record("expected limitExceeded")
                continue
            }
            #expect(limit == 1 << 20)
            #expect(declared == 0xFFFF_FFFF)
        }
        // Many honest small blocks that together pass the limit.
        let block = raw([UInt8](repeating: 1, count: 1000))
        var many = header
        for _ in 0..<20 { many += be32(Int32(block.count)) + block }
        guard case .limitExceeded(10_000, _)? = compressionErrorKind({ _ = try Compression.decompress(many, codec: .snappy, limit: 10_000) }) else {
            Issue.record("expected limitExceeded for the block sum")
            return
        }
    }
}
