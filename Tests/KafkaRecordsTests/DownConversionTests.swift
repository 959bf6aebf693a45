import CKafkaCodecs
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// Stored v2 batches served to Fetch v0-3 as magic 0/1 message sets, as Kafka 3.x converts them.
@Suite struct DownConversionTests {
    /// One message as an old consumer sees it: compressed wrappers opened, offsets made absolute.
    struct Seen: Equatable, CustomStringConvertible {
        var offset: Int64
        var magic: Int8
        var attributes: Int8
        var timestamp: Int64
        var key: [UInt8]?
        var value: [UInt8]?
        var description: String { "\(offset)/m\(magic)/a\(attributes)/t\(timestamp)/\(key.map { String(decoding: $0, as: UTF8.self) } ?? "nil")" }
    }

    struct Short: Error {}
    static func need<T>(_ value: T?) throws -> T {
        guard let value else { throw Short() }
        return value
    }

    /// An independent reader of legacy message sets (checking each CRC-32), so the test does not rely
    /// on the code under test. `wrappers` gets the outer messages of compressed sets.
    static func read(_ set: ByteBuffer, wrappers: inout [Seen]) throws -> [Seen] {
        var b = set
        var out: [Seen] = []
        while b.readableBytes > 0 {
            let offset = try need(b.readInteger(as: Int64.self))
            let size = try need(b.readInteger(as: Int32.self))
            var m = try need(b.readSlice(length: Int(size)))
            let crc = try need(m.readInteger(as: UInt32.self))
            #expect(crc == m.withUnsafeReadableBytes { kc_crc32_ieee(0, $0.baseAddress, $0.count) })
            let magic = try need(m.readInteger(as: Int8.self))
            let attributes = try need(m.readInteger(as: Int8.self))
            let timestamp = magic == 1 ? try need(m.readInteger(as: Int64.self)) : -1
            func bytes() throws -> [UInt8]? {
                let n = try need(m.readInteger(as: Int32.self))
                return n < 0 ? nil : try need(m.readBytes(length: Int(n)))
            }
            let key = try bytes(), value = try bytes()
            #expect(m.readableBytes == 0)
            let seen = Seen(offset: offset, magic: magic, attributes: attributes, timestamp: timestamp, key: key, value: value)
            let codec = try #require(CompressionCodec(rawValue: attributes & 0x07))
            guard codec != .none else { out.append(seen); continue }
            wrappers.append(seen)
            let inner = try Compression.decompress(ByteBuffer(bytes: try #require(value)), codec: codec, limit: 1 << 24)
            var ignored: [Seen] = []
            var messages = try read(inner, wrappers: &ignored)
            #expect(ignored.isEmpty)
            if magic == 1 {
                // Inner offsets are relative; the wrapper holds the last one's absolute offset.
                let last = try #require(messages.last).offset
                for i in messages.indices { messages[i].offset += offset - last }
            } else {
                #expect(messages.last?.offset == offset)
            }
            out += messages
        }
        return out
    }

    static func batch(baseOffset: Int64, count: Int, codec: CompressionCodec = .none, logAppendTime: Int64? = nil,
                      transactional: Bool = false) throws -> ByteBuffer {
        var b = RecordBatchBuilder()
        b.compression = codec
        if transactional {
            b.producerId = 7
            b.producerEpoch = 0
            b.baseSequence = 0
            b.isTransactional = true
        }
        for i in 0..<count {
            b.append(timestamp: 1_000 + Int64(i * 10), key: Array("k\(i)".utf8), value: Array("value \(i)".utf8),
                     headers: [RecordHeader(key: "h", value: [1])])
        }
        var batch = try b.build()
        batch.setBaseOffset(baseOffset)
        if let logAppendTime { batch.setLogAppendTime(logAppendTime) }
        return batch.bytes
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .snappy, .lz4])
    func everyCodecConvertsToBothFormats(codec: CompressionCodec) throws {
        var stored = try Self.batch(baseOffset: 100, count: 3, codec: codec)
        var second = try Self.batch(baseOffset: 103, count: 2, codec: codec)
        stored.writeBuffer(&second)
        for magic: Int8 in [0, 1] {
            var wrappers: [Seen] = []
            let seen = try Self.read(try DownConversion.convert(stored, toMagic: magic, firstOffset: 100, decompressionLimit: 1 << 20, sizeLimit: .max),
                                     wrappers: &wrappers)
            #expect(seen.map(\.offset) == [100, 101, 102, 103, 104])
            #expect(seen.map(\.magic) == Array(repeating: magic, count: 5))
            #expect(seen.map(\.key) == ["k0", "k1", "k2", "k0", "k1"].map { Array($0.utf8) })
            #expect(seen.map(\.value) == ["value 0", "value 1", "value 2", "value 0", "value 1"].map { Array($0.utf8) })
            #expect(seen.map(\.timestamp) == (magic == 1 ? [1_000, 1_010, 1_020, 1_000, 1_010] : Array(repeating: -1, count: 5)))
            #expect(seen.allSatisfy { $0.attributes == 0 })
            if codec == .none {
                #expect(wrappers.isEmpty)
            } else {
                // One wrapper per batch, at its last offset, carrying the largest timestamp in magic 1.
                #expect(wrappers.map(\.offset) == [102, 104])
                #expect(wrappers.map(\.attributes) == [codec.rawValue, codec.rawValue])
                #expect(wrappers.map(\.timestamp) == (magic == 1 ? [1_020, 1_010] : [-1, -1]))
                #expect(wrappers.allSatisfy { $0.key == nil })
            }
        }
    }

    /// An uncompressed batch loses the records before the fetch offset; a compressed one keeps them
    /// all (the consumer skips them), as Kafka does.
    @Test func recordsBeforeTheFetchOffset() throws {
        var ignored: [Seen] = []
        let plain = try Self.batch(baseOffset: 10, count: 4)
        let fromPlain = try Self.read(try DownConversion.convert(plain, toMagic: 1, firstOffset: 12, decompressionLimit: 1 << 20, sizeLimit: .max), wrappers: &ignored)
        #expect(fromPlain.map(\.offset) == [12, 13])
        let gzip = try Self.batch(baseOffset: 10, count: 4, codec: .gzip)
        let fromGzip = try Self.read(try DownConversion.convert(gzip, toMagic: 1, firstOffset: 12, decompressionLimit: 1 << 20, sizeLimit: .max), wrappers: &ignored)
        #expect(fromGzip.map(\.offset) == [10, 11, 12, 13])
    }

    @Test func logAppendTimeIsEveryMessagesTimestamp() throws {
        for codec in [CompressionCodec.none, .gzip] {
            let stored = try Self.batch(baseOffset: 0, count: 2, codec: codec, logAppendTime: 5_000)
            var wrappers: [Seen] = []
            let seen = try Self.read(try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: .max), wrappers: &wrappers)
            #expect(seen.map(\.timestamp) == [5_000, 5_000])
            #expect(seen.allSatisfy { $0.attributes == 0x08 })
            #expect(wrappers.map(\.timestamp) == (codec == .none ? [] : [5_000]))
            #expect(wrappers.map(\.attributes) == (codec == .none ? [] : [0x08 | codec.rawValue]))
            // Magic 0 has neither timestamps nor the bit.
            let v0 = try Self.read(try DownConversion.convert(stored, toMagic: 0, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: .max), wrappers: &wrappers)
            #expect(v0.allSatisfy { $0.attributes & 0x08 == 0 && $0.timestamp == -1 })
        }
    }

    @Test func controlBatchesAreLeftOutAndATrailingPartialBatchIsDropped() throws {
        var stored = try Self.batch(baseOffset: 0, count: 2, transactional: true)
        var marker = RecordBatchBuilder()
        marker.producerId = 7
        marker.producerEpoch = 0
        marker.isTransactional = true
        marker.isControl = true
        marker.append(.commit(coordinatorEpoch: 0), timestamp: 2_000)
        var markerBatch = try marker.build()
        markerBatch.setBaseOffset(2)
        var markerBytes = markerBatch.bytes
        stored.writeBuffer(&markerBytes)
        var after = try Self.batch(baseOffset: 3, count: 1)
        stored.writeBuffer(&after)
        var partial = try Self.batch(baseOffset: 4, count: 3)
        stored.writeBuffer(&partial)
        stored.moveWriterIndex(to: stored.writerIndex - 5)
        var ignored: [Seen] = []
        let seen = try Self.read(try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: .max), wrappers: &ignored)
        #expect(seen.map(\.offset) == [0, 1, 3])
    }

    /// A zstd first batch cannot be converted; a later one ends the set after what came before it.
    @Test func zstdCannotBeConverted() throws {
        let stored = try Self.batch(baseOffset: 0, count: 2, codec: .zstd)
        #expect(throws: DownConversion.Failure.zstd) { _ = try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: .max) }
        var mixed = try Self.batch(baseOffset: 0, count: 2, codec: .gzip)
        var zstd = try Self.batch(baseOffset: 2, count: 2, codec: .zstd)
        var after = try Self.batch(baseOffset: 4, count: 2)
        mixed.writeBuffer(&zstd)
        mixed.writeBuffer(&after)
        var ignored: [Seen] = []
        let seen = try Self.read(try DownConversion.convert(mixed, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: .max), wrappers: &ignored)
        #expect(seen.map(\.offset) == [0, 1])
    }

    /// The set is no larger than the stored batches (by default), but for its first batch: small records,
    /// larger in the legacy format, leave later batches for the next fetch, never a gap.
    @Test func theSetIsBoundedByTheStoredSize() throws {
        var stored = ByteBuffer()
        for base in stride(from: Int64(0), to: 30, by: 3) {
            var b = try Self.batch(baseOffset: base, count: 3)
            stored.writeBuffer(&b)
        }
        var ignored: [Seen] = []
        let converted = try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20)
        #expect(converted.readableBytes <= stored.readableBytes)
        let offsets = try Self.read(converted, wrappers: &ignored).map(\.offset)
        #expect(!offsets.isEmpty && offsets.count < 30 && offsets == Array(0..<Int64(offsets.count)))
        // A first batch larger than the bound still goes whole.
        let one = try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: 1)
        #expect(try Self.read(one, wrappers: &ignored).map(\.offset) == [0, 1, 2])
    }

    /// What converted batches inflate to is bounded like everything else read from a log.
    @Test func decompressionIsBounded() throws {
        var b = RecordBatchBuilder()
        b.compression = .gzip
        b.append(timestamp: 0, key: nil, value: Array(repeating: 0, count: 2 << 20), headers: [])
        let stored = try b.build().bytes
        #expect(throws: DownConversion.Failure.self) { _ = try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 1 << 20, sizeLimit: .max) }
        #expect(try DownConversion.convert(stored, toMagic: 1, firstOffset: 0, decompressionLimit: 4 << 20, sizeLimit: .max).readableBytes > 0)
    }

    @Test func fetchVersionsReadTheirFormats() {
        #expect((0...5).map { DownConversion.magic(forFetchVersion: Int16($0)) } == [0, 0, 1, 1, nil, nil])
    }
}
