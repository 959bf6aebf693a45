import KafkaProtocol
import NIOCore
import SeededRandom
import Testing
@testable import KafkaRecords

@Suite struct HostileInputTests {
    /// A batch whose records section is exactly `records` (uncompressed), with a correct CRC, so that only
    /// the record bytes are wrong.
    func batch(records: [UInt8], count: Int32, lastOffsetDelta: Int32? = nil, codec: CompressionCodec = .none) -> [UInt8] {
        var b: [UInt8] = []
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { b += $0 } }
        be(Int64(0)); be(Int32(49 + records.count)); be(Int32(0)); be(Int8(2)); be(UInt32(0))
        be(Int16(codec.rawValue)); be(lastOffsetDelta ?? (count - 1)); be(Int64(0)); be(Int64(0)); be(Int64(-1)); be(Int16(-1)); be(Int32(-1)); be(count)
        return rewritingCRC(b + records) { _ in }
    }

    func decodeError(_ bytes: [UInt8], limit: Int = 1 << 20, offsets: RecordBatch.OffsetValidation = .contiguous) -> RecordBatchError.Kind? {
        batchErrorKind {
            let batch = try RecordBatch(bytes: buffer(bytes))
            try batch.verifyCRC()
            _ = try batch.decodeRecords(decompressionLimit: limit, offsets: offsets)
        }
    }

    func encoded(_ record: Record) -> [UInt8] {
        var b = ByteBuffer()
        record.write(to: &b)
        return bytes(b)
    }

    @Test func wellFormedHandBuiltBatchDecodes() {
        let r = encoded(Record(offsetDelta: 0, key: [1], value: [2]))
        #expect(decodeError(batch(records: r, count: 1)) == nil)
    }

    @Test func recordCountLies() {
        let one = encoded(Record(offsetDelta: 0, key: [1], value: Array(repeating: 2, count: 40)))
        let two = one + encoded(Record(offsetDelta: 1, key: nil, value: nil))
        // more records declared than present: past what the bytes could hold, or just more than there are
        #expect(decodeError(batch(records: one, count: 7, lastOffsetDelta: 6)) == .invalidRecordCount(7))
        #expect(decodeError(batch(records: two, count: 3, lastOffsetDelta: 2)) == .recordCountMismatch(declared: 3, found: 2))
        // fewer declared than present
        #expect(decodeError(batch(records: two, count: 1, lastOffsetDelta: 0)) == .trailingBytes(two.count - one.count))
        // absurd counts allocate nothing
        #expect(decodeError(batch(records: two, count: Int32.max, lastOffsetDelta: Int32.max - 1)) == .invalidRecordCount(Int32.max))
        #expect(decodeError(batch(records: two, count: -1, lastOffsetDelta: 0), offsets: .increasing) == .invalidRecordCount(-1))
        // contiguous batches need lastOffsetDelta == count - 1
        #expect(decodeError(batch(records: two, count: 2, lastOffsetDelta: 5)) == .lastOffsetDeltaMismatch(declared: 5, expected: 1))
        #expect(decodeError(batch(records: [], count: 0, lastOffsetDelta: -1)) == .emptyBatch)
        #expect(decodeError(batch(records: [], count: 0, lastOffsetDelta: 3), offsets: .increasing) == nil)
    }

    @Test func offsetDeltasMustMatchTheMode() {
        let gappy = [0, 2, 5].map { encoded(Record(offsetDelta: Int32($0), key: nil, value: [1])) }.joined()
        let gappyBatch = batch(records: Array(gappy), count: 3, lastOffsetDelta: 5)
        #expect(decodeError(gappyBatch, offsets: .increasing) == nil)
        #expect(decodeError(gappyBatch) == .lastOffsetDeltaMismatch(declared: 5, expected: 2))
        #expect(decodeError(batch(records: Array(gappy), count: 3, lastOffsetDelta: 2)) == .invalidOffsetDelta(index: 1, delta: 2))
        // A compacted batch whose last records were removed keeps its lastOffsetDelta (Kafka's filterTo).
        #expect(decodeError(batch(records: Array(gappy), count: 3, lastOffsetDelta: 6), offsets: .increasing) == nil)
        let backwards = [0, 3, 3].map { encoded(Record(offsetDelta: Int32($0), key: nil, value: nil)) }.joined()
        #expect(decodeError(batch(records: Array(backwards), count: 3, lastOffsetDelta: 3), offsets: .increasing) == .invalidOffsetDelta(index: 2, delta: 3))
        let negative = encoded(Record(offsetDelta: -1, key: nil, value: nil))
        #expect(decodeError(batch(records: negative, count: 1, lastOffsetDelta: 0), offsets: .increasing) == .invalidOffsetDelta(index: 0, delta: -1))
        let pastLast = encoded(Record(offsetDelta: 9, key: nil, value: nil))
        #expect(decodeError(batch(records: pastLast, count: 1, lastOffsetDelta: 4), offsets: .increasing) == .invalidOffsetDelta(index: 0, delta: 9))
    }

    /// Hand-written record bodies with bad lengths. Each is [length varint] + body.
    @Test func malformedRecordsAreTypedErrors() {
        func rec(_ body: [UInt8]) -> [UInt8] { [UInt8(body.count * 2)] + body }
        let cases: [(String, [UInt8], ProtocolError.Kind)] = [
            ("negative key length", rec([0, 0, 0, 0x09, 0x01, 0x00]), .negativeLength(-5)),
            ("key past the record", rec([0, 0, 0, 0x10, 0x01, 0x00]), .lengthExceedsRemaining(8)),
            ("negative value length", rec([0, 0, 0, 0x01, 0x05, 0x00]), .negativeLength(-3)),
            ("negative header count", rec([0, 0, 0, 0x01, 0x01, 0x03]), .negativeLength(-2)),
            ("header count lie", rec([0, 0, 0, 0x01, 0x01, 0xFE, 0x01]), .lengthExceedsRemaining(127)),
            ("null header key", rec([0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x01]), .nullNotAllowed),
            ("negative header key", rec([0, 0, 0, 0x01, 0x01, 0x02, 0x03, 0x01]), .negativeLength(-2)),
            ("bytes left in record", rec([0, 0, 0, 0x01, 0x01, 0x00, 0x00]), .sizeMismatch(1)),
            ("record shorter than fields", rec([0, 0, 0, 0x01]) + [0, 0], .truncated),
            ("negative record length", [0x03] + [0, 0, 0, 0x01, 0x01, 0x00, 0, 0], .negativeLength(-2)),
            ("record length past the batch", [0x40] + [0, 0, 0, 0x01, 0x01, 0x00, 0], .lengthExceedsRemaining(32)),
            ("overlong varint", rec([0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 1, 1, 0]), .malformedVarint),
        ]
        for (name, records, expected) in cases {
            let kind = decodeError(batch(records: records, count: 1))
            guard case let .malformedRecord(index, error)? = kind else {
                Issue.record("\(name): \(String(describing: kind))")
                continue
            }
            #expect(index == 0)
            #expect(error.kind == expected, "\(name): \(error)")
        }
    }

    @Test func decompressionBombInsideABatch() throws {
        var builder = RecordBatchBuilder(compression: .zstd)
        for _ in 0..<10 { builder.append(timestamp: 0, key: nil, value: [UInt8](repeating: 0, count: 1 << 20)) }
        let bomb = try builder.build()
        #expect(bomb.bytes.readableBytes < 10_000)
        guard case let .decompression(error)? = batchErrorKind({ _ = try bomb.decodeRecords(decompressionLimit: 1 << 20) }),
              case .limitExceeded(limit: 1 << 20, declared: _) = error.kind else {
            Issue.record("bomb not rejected")
            return
        }
        #expect(error.codec == .zstd)
        #expect(try bomb.decodeRecords(decompressionLimit: 11 << 20).count == 10)
    }

    @Test func corruptCompressedSectionIsAnError() {
        for codec in compressedCodecs {
            let kind = decodeError(batch(records: [1, 2, 3, 4, 5, 6, 7, 8, 9], count: 1, codec: codec))
            guard case let .decompression(error)? = kind else {
                Issue.record("\(codec): \(String(describing: kind))")
                continue
            }
            #expect(error.codec == codec)
        }
    }

    /// Every prefix of every batch: RecordBatch and the reader give errors or nil, never a crash.
    @Test(arguments: CompressionCodec.allCases)
    func everyCutPoint(codec: CompressionCodec) throws {
        var builder = RecordBatchBuilder(compression: codec)
        var rng = SplitMix64(seed: 77)
        for i in 0..<6 {
            builder.append(timestamp: Int64(i), key: rng.bool() ? nil : rng.bytes(5), value: rng.repetitiveBytes(40), headers: [RecordHeader(key: "h", value: [1])])
        }
        let full = bytes(try builder.build().bytes)
        for cut in 0..<full.count {
            let prefix = Array(full[..<cut])
            #expect(batchErrorKind { _ = try RecordBatch(bytes: buffer(prefix)) } != nil)
            var reader = RecordBatchReader(buffer(prefix))
            #expect(try reader.next() == nil)
            #expect(reader.truncatedTailBytes == cut)
        }
    }

    /// The records section cut short with the header lengths and CRC made consistent: only the records lie.
    @Test(arguments: CompressionCodec.allCases)
    func truncatedRecordsSectionWithValidFraming(codec: CompressionCodec) throws {
        var builder = RecordBatchBuilder(compression: codec)
        for i in 0..<5 { builder.append(timestamp: 0, key: [UInt8(i)], value: Array(repeating: UInt8(i), count: 30)) }
        let full = bytes(try builder.build().bytes)
        for cut in 61..<full.count {
            let edited = rewritingCRC(Array(full[..<cut])) { setInt32(&$0, at: 8, Int32($0.count - 12)) }
            let kind = decodeError(edited)
            #expect(kind != nil, "\(codec) cut \(cut) decoded")
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 2024)
        for round in 0..<2000 {
            var garbage = rng.bytes(rng.int(0...400))
            if round % 2 == 0, garbage.count >= 61 {
                // plausible framing so the deeper layers are reached
                setInt32(&garbage, at: 8, Int32(garbage.count - 12))
                garbage[16] = 2
                garbage[22] = UInt8(rng.int(0...4))
                setInt32(&garbage, at: 57, Int32(rng.int(-2...20)))
                setInt32(&garbage, at: 23, Int32(rng.int(-2...20)))
                garbage = rewritingCRC(garbage) { _ in }
            }
            var reader = RecordBatchReader(buffer(garbage))
            while true {
                do {
                    guard let batch = try reader.next() else { break }
                    if let records = try? batch.decodeRecords(decompressionLimit: 1 << 16, offsets: .increasing) {
                        #expect(records.count == Int(batch.header.recordCount))
                    }
                } catch {
                    break
                }
            }
        }
    }
}
