import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// Legacy (magic 0/1) message sets: read with their CRC-32 checked, unwrapped when compressed,
/// and up-converted to v2 batches holding the same records.
@Suite struct LegacyMessageSetTests {
    static let messages: [LegacyMessageSet.Message] = [
        .init(magic: 1, timestamp: 1_000, key: Array("k1".utf8), value: Array("v1".utf8)),
        .init(magic: 1, timestamp: 1_001, key: nil, value: nil),
        .init(magic: 1, timestamp: 1_002, key: [], value: Array(repeating: 7, count: 300)),
    ]

    @Test(arguments: [CompressionCodec.none, .gzip, .snappy, .lz4])
    func everyCodecReadsBackAndUpConverts(codec: CompressionCodec) throws {
        for magic: Int8 in [0, 1] {
            let input = Self.messages.map { LegacyMessageSet.Message(magic: magic, timestamp: magic == 0 ? -1 : $0.timestamp, key: $0.key, value: $0.value) }
            let set = try LegacyMessageSet.write(input, magic: magic, compression: codec)
            let parsed = try LegacyMessageSet.parse(set, decompressionLimit: 1 << 20)
            #expect(parsed.messages == input)
            #expect(parsed.compression == codec)
            let batch = try LegacyMessageSet.upConvert(parsed)
            try batch.verifyCRC()
            #expect(batch.header.compression == codec)
            let records = try batch.decodeRecords(decompressionLimit: 1 << 20)
            #expect(records.map(\.key) == input.map(\.key))
            #expect(records.map(\.value) == input.map(\.value))
            #expect(records.map { batch.header.baseTimestamp + $0.timestampDelta } == input.map(\.timestamp))
        }
    }

    @Test func aFlippedByteFailsTheCRC() throws {
        let set = try LegacyMessageSet.write(Self.messages, magic: 1)
        // The first message: offset (8 bytes, not checksummed), size (4), crc (4), then the covered bytes.
        let size = Int(set.getInteger(at: 8, as: Int32.self)!)
        for at in 16..<(12 + size) {
            var bad = set
            bad.setInteger(bad.getInteger(at: at, as: UInt8.self)! ^ 0x40, at: at)
            #expect(throws: RecordBatchError.self) { _ = try LegacyMessageSet.parse(bad, decompressionLimit: 1 << 20) }
        }
    }

    @Test func truncatedAndHostileSetsAreRefused() throws {
        let set = try LegacyMessageSet.write(Self.messages, magic: 0, compression: .gzip)
        for cut in [1, 11, 12, 20, set.readableBytes - 1] {
            #expect(throws: RecordBatchError.self) {
                _ = try LegacyMessageSet.parse(set.getSlice(at: 0, length: cut)!, decompressionLimit: 1 << 20)
            }
        }
        #expect(throws: RecordBatchError.self) { _ = try LegacyMessageSet.parse(ByteBuffer(), decompressionLimit: 1 << 20) }
        // A decompression bomb stays bounded.
        let big = [LegacyMessageSet.Message(magic: 1, timestamp: 0, key: nil, value: Array(repeating: 0, count: 4 << 20))]
        let bomb = try LegacyMessageSet.write(big, magic: 1, compression: .gzip)
        #expect(throws: RecordBatchError.self) { _ = try LegacyMessageSet.parse(bomb, decompressionLimit: 1 << 20) }
    }

    /// The limit is for the whole set: wrappers that each fit but together do not are refused, and the
    /// last one stops inflating once the budget is spent.
    @Test func compressedWrappersShareOneDecompressionBudget() throws {
        let inner = [LegacyMessageSet.Message(magic: 1, timestamp: 0, key: nil, value: Array(repeating: 7, count: 300 << 10))]
        let wrapper = try LegacyMessageSet.write(inner, magic: 1, compression: .gzip)
        var one = ByteBuffer()
        one.writeImmutableBuffer(wrapper)
        let parsed = try LegacyMessageSet.parse(one, decompressionLimit: 1 << 20)
        #expect(parsed.messages.count == 1)
        #expect(parsed.inflatedBytes > 300 << 10 && parsed.inflatedBytes < 400 << 10)
        var four = ByteBuffer()
        for _ in 0..<4 { four.writeImmutableBuffer(wrapper) }
        #expect(try LegacyMessageSet.parse(four, decompressionLimit: 4 << 20).inflatedBytes == 4 * parsed.inflatedBytes)
        do {
            _ = try LegacyMessageSet.parse(four, decompressionLimit: 1 << 20)
            Issue.record("four wrappers of about 300 KiB each fit a 1 MiB budget")
        } catch {
            guard case .decompression(let inner) = error.kind, case .limitExceeded = inner.kind else {
                Issue.record("expected limitExceeded, got \(error)")
                return
            }
        }
    }

    @Test func knownCRC32Vector() {
        // CRC-32/IEEE of "123456789" is 0xCBF43926.
        let v = Array("123456789".utf8).withUnsafeBytes { kcCRC32($0) }
        #expect(v == 0xCBF4_3926)
    }
}

import CKafkaCodecs
private func kcCRC32(_ p: UnsafeRawBufferPointer) -> UInt32 { kc_crc32_ieee(0, p.baseAddress, p.count) }
