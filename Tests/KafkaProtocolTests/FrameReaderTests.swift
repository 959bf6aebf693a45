import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SeededRandom
import Testing

/// `KafkaFrameReader`: the same frames whatever the reads, the size checked before buffering, and
/// nothing read after a refusal.
struct FrameReaderTests {
    private static let payloads: [[UInt8]] = [[], [1, 2, 3], Array(repeating: 9, count: 300), (0..<5000).map { UInt8($0 % 251) }, [7]]

    private static var stream: ByteBuffer {
        var stream = ByteBuffer()
        for payload in payloads {
            stream.writeInteger(Int32(payload.count))
            stream.writeBytes(payload)
        }
        return stream
    }

    /// Writes `stream` into a fresh reader in pieces ending at `cuts`, and returns the frames it passed on.
    private static func frames(of stream: ByteBuffer, cutAt cuts: [Int], limit: Int = 10_000) throws -> [[UInt8]] {
        let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: limit))
        var from = 0
        for cut in cuts + [stream.readableBytes] where cut > from {
            try channel.writeInbound(stream.getSlice(at: stream.readerIndex + from, length: cut - from)!)
            from = cut
        }
        var out: [[UInt8]] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) { out.append(Array(frame.readableBytesView)) }
        _ = try channel.finish()
        return out
    }

    @Test func framesSurviveAnySplitOfTheStream() throws {
        let stream = Self.stream
        // In one read, byte by byte, and at every single cut (size prefixes split included).
        #expect(try Self.frames(of: stream, cutAt: []) == Self.payloads)
        #expect(try Self.frames(of: stream, cutAt: Array(1..<stream.readableBytes)) == Self.payloads)
        for cut in 1..<stream.readableBytes {
            #expect(try Self.frames(of: stream, cutAt: [cut]) == Self.payloads, "one cut at \(cut)")
        }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<200 {
            let cuts = (0..<Int(rng.below(8))).map { _ in 1 + Int(rng.below(UInt64(stream.readableBytes - 1))) }.sorted()
            #expect(try Self.frames(of: stream, cutAt: cuts) == Self.payloads, "cuts \(cuts)")
        }
    }

    @Test func anOversizedOrNegativeSizeIsRefusedAndNothingMoreIsRead() throws {
        for size in [Int32(1025), -4, Int32.max] {
            let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: 1024))
            var first = ByteBuffer()
            first.writeInteger(Int32(2))
            first.writeBytes([5, 6])
            first.writeInteger(size)
            first.writeBytes([1, 2, 3])
            #expect(throws: FrameTooLarge(size: Int(size), limit: 1024)) { try channel.writeInbound(first) }
            // The frame before the refused one was passed on; a valid frame afterwards is not.
            #expect(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == [5, 6])
            var later = ByteBuffer()
            later.writeInteger(Int32(1))
            later.writeBytes([8])
            try channel.writeInbound(later)
            #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
            _ = try? channel.finish()
        }
        // At the node's default socket.request.max.bytes.
        let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: 100_000_000))
        var big = ByteBuffer()
        big.writeInteger(Int32(100_000_001))
        #expect(throws: FrameTooLarge(size: 100_000_001, limit: 100_000_000)) { try channel.writeInbound(big) }
        _ = try? channel.finish()
    }

    @Test func theLimitIsAskedForEachFrame() throws {
        let limit = NIOLockedValueBox(3)
        let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: 1024, currentLimit: { limit.withLockedValue { $0 } }))
        var small = ByteBuffer()
        small.writeInteger(Int32(3))
        small.writeBytes([1, 2, 3])
        try channel.writeInbound(small)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 3)
        // A size prefix split over two reads is checked once whole, against the limit of that moment.
        var big = ByteBuffer()
        big.writeInteger(Int32(10))
        try channel.writeInbound(big.getSlice(at: 0, length: 2)!)
        limit.withLockedValue { $0 = 10 }
        try channel.writeInbound(big.getSlice(at: 2, length: 2)!)
        try channel.writeInbound(ByteBuffer(bytes: Array(repeating: 4, count: 10)))
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 10)
        limit.withLockedValue { $0 = 3 }
        #expect(throws: FrameTooLarge(size: 10, limit: 3)) { try channel.writeInbound(big) }
        _ = try? channel.finish()
    }
}
