import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaRecords

@Suite struct RecordBatchTests {
    static let limit = 64 << 20

    func sampleBuilder(_ codec: CompressionCodec) -> RecordBatchBuilder {
        var builder = RecordBatchBuilder(
            baseOffset: 1000, partitionLeaderEpoch: 7, compression: codec,
            producerId: 4242, producerEpoch: 3, baseSequence: 17
        )
        builder.append(timestamp: 1_700_000_000_000, key: Array("k1".utf8), value: Array("v1".utf8))
        builder.append(timestamp: 1_700_000_000_005, key: nil, value: Array("no key".utf8))
        builder.append(timestamp: 1_699_999_999_990, key: Array("no value".utf8), value: nil)
        builder.append(timestamp: 1_700_000_000_001, key: nil, value: nil)
        builder.append(timestamp: 1_700_000_000_002, key: [], value: [], headers: [
            RecordHeader(key: "trace", value: Array("abc".utf8)),
            RecordHeader(key: "empty", value: []),
            RecordHeader(key: "null", value: nil),
            RecordHeader(keyBytes: [0xFF, 0xFE], value: [1]), // not UTF-8: kept as bytes
        ])
        return builder
    }

    /// A one-record uncompressed batch written out field by field from the format description.
    @Test func layoutMatchesTheSpecByteForByte() throws {
        var builder = RecordBatchBuilder(baseOffset: 5, partitionLeaderEpoch: 2, producerId: 9, producerEpoch: 1, baseSequence: 0)
        builder.append(timestamp: 1000, key: nil, value: Array("v".utf8), headers: [RecordHeader(key: "h", value: nil)])
        let batch = try builder.build()

        // record: attributes 0, tsDelta 0, offsetDelta 0, key -1, value len 1 "v", 1 header: key len 1 "h", value -1
        let recordBody: [UInt8] = [0x00, 0x00, 0x00, 0x01, 0x02, UInt8(ascii: "v"), 0x02, 0x02, UInt8(ascii: "h"), 0x01]
        let record: [UInt8] = [UInt8(recordBody.count * 2)] + recordBody // zigzag varint
        var expected: [UInt8] = []
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { expected += $0 } }
        be(Int64(5)); be(Int32(49 + record.count)); be(Int32(2)); be(Int8(2)); be(UInt32(0))
        be(Int16(0)); be(Int32(0)); be(Int64(1000)); be(Int64(1000)); be(Int64(9)); be(Int16(1)); be(Int32(0)); be(Int32(1))
        expected += record
        let crc = referenceCRC32C(Array(expected[21...]))
        expected[17] = UInt8(crc >> 24); expected[18] = UInt8((crc >> 16) & 0xFF); expected[19] = UInt8((crc >> 8) & 0xFF); expected[20] = UInt8(crc & 0xFF)
        #expect(bytes(batch.bytes) == expected)
        #expect(batch.header.crc == crc)
    }

    @Test(arguments: CompressionCodec.allCases)
    func buildParseRoundTrip(codec: CompressionCodec) throws {
        let builder = sampleBuilder(codec)
        let built = try builder.build()
        let parsed = try RecordBatch(bytes: ByteBuffer(bytes: bytes(built.bytes)))
        try parsed.verifyCRC()
        let h = parsed.header
        #expect(h == built.header)
        #expect(h.baseOffset == 1000)
        #expect(h.partitionLeaderEpoch == 7)
        #expect(h.magic == 2)
        #expect(h.compression == codec)
        #expect(h.timestampType == .createTime)
        #expect(!h.isTransactional && !h.isControl)
        #expect(h.recordCount == 5)
        #expect(h.lastOffsetDelta == 4)
        #expect(h.baseTimestamp == 1_700_000_000_000)
        #expect(h.maxTimestamp == 1_700_000_000_005)
        #expect(h.producerId == 4242 && h.producerEpoch == 3 && h.baseSequence == 17)
        #expect(h.totalSize == parsed.bytes.readableBytes)
        #expect(h.lastOffset == 1004 && h.nextOffset == 1005)
        let records = try parsed.decodeRecords(decompressionLimit: Self.limit)
        #expect(records == builder.records)
        #expect(records.map(\.offsetDelta) == [0, 1, 2, 3, 4])
        #expect(records[2].timestampDelta == -10)
        #expect(records[1].key == nil && records[2].value == nil && records[3].key == nil && records[3].value == nil)
        #expect(records[4].key == [] && records[4].value == [])
        #expect(records[4].headers.map(\.key) == ["trace", "empty", "null", "\u{FFFD}\u{FFFD}"])
        #expect(records[4].headers[3].keyBytes == [0xFF, 0xFE])
        #expect(records[4].headers[2].value == nil)
    }

    @Test(arguments: CompressionCodec.allCases)
    func transactionalAndControlBatches(codec: CompressionCodec) throws {
        var data = RecordBatchBuilder(compression: codec, producerId: 77, producerEpoch: 2, baseSequence: 0, isTransactional: true)
        data.append(timestamp: 10, key: nil, value: [1, 2, 3])
        let dataBatch = try RecordBatch(bytes: data.build().bytes)
        #expect(dataBatch.header.isTransactional && !dataBatch.header.isControl)

        for marker in [ControlRecord.commit(coordinatorEpoch: 12), .abort(coordinatorEpoch: -1)] {
            var control = RecordBatchBuilder(compression: codec, producerId: 77, producerEpoch: 2, isTransactional: true)
            control.append(marker, timestamp: 20)
            let batch = try RecordBatch(bytes: control.build().bytes)
            try batch.verifyCRC()
            #expect(batch.header.isControl && batch.header.isTransactional)
            #expect(batch.header.attributes.rawValue & 0x30 == 0x30)
            let records = try batch.decodeRecords(decompressionLimit: Self.limit)
            #expect(records.count == 1)
            #expect(try ControlRecord(parsing: records[0]) == marker)
        }
    }

    @Test func controlRecordParsing() throws {
        let commit = ControlRecord.commit(coordinatorEpoch: 0x0102_0304)
        #expect(commit.keyBytes == [0, 0, 0, 1])
        #expect(commit.valueBytes == [0, 0, 1, 2, 3, 4])
        // other types keep raw values; unknown types are kept, not rejected
        let leader = Record(key: [0, 0, 0, 2], value: [9, 9, 9])
        #expect(try ControlRecord(parsing: leader) == ControlRecord(type: .leaderChange, value: .raw([9, 9, 9])))
        let unknown = try ControlRecord(parsing: Record(key: [0, 0, 0x7F, 0x00], value: nil))
        #expect(unknown.type.rawValue == 0x7F00 && unknown.value == .raw(nil))
        // higher versions: extra bytes ignored
        let v1 = try ControlRecord(parsing: Record(key: [0, 1, 0, 0, 0xAA], value: [0, 1, 0, 0, 0, 5, 0xBB]))
        #expect(v1.version == 1 && v1.value == .endTransaction(version: 1, coordinatorEpoch: 5))
        let bad: [Record] = [
            Record(key: nil, value: nil),
            Record(key: [0, 0, 0], value: nil),
            Record(key: [0xFF, 0xFF, 0, 1], value: [0, 0, 0, 0, 0, 1]), // negative key version
            Record(key: [0, 0, 0, 1], value: [0, 0, 0, 0, 1]), // short marker
            Record(key: [0, 0, 0, 0], value: nil), // abort without marker
            Record(key: [0, 0, 0, 0], value: [0x80, 0, 0, 0, 0, 1]), // negative marker version
        ]
        for record in bad {
            guard case .invalidControlRecord? = batchErrorKind({ _ = try ControlRecord(parsing: record) }) else {
                Issue.record("accepted \(record)")
                continue
            }
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func anyByteFlipAfterTheCRCFieldIsDetected(codec: CompressionCodec) throws {
        let original = bytes(try sampleBuilder(codec).build().bytes)
        for i in 17..<original.count {
            var corrupted = original
            corrupted[i] ^= 0x01
            // a flipped compression bit may name an unknown codec: also an error, at parse time
            let kind = batchErrorKind {
                let batch = try RecordBatch(bytes: buffer(corrupted))
                try batch.verifyCRC()
            }
            #expect(kind != nil, "flip at \(i) went unnoticed")
        }
    }

    @Test func baseOffsetAndLeaderEpochAreOutsideTheCRC() throws {
        let original = bytes(try sampleBuilder(.lz4).build().bytes)
        for i in Array(0..<8) + Array(12..<16) {
            var edited = original
            edited[i] ^= 0xFF
            let batch = try RecordBatch(bytes: buffer(edited))
            try batch.verifyCRC()
        }
    }

    @Test func settersPatchInPlaceAndKeepTheCRC() throws {
        var batch = try sampleBuilder(.zstd).build()
        batch.setBaseOffset(123_456_789)
        batch.setPartitionLeaderEpoch(99)
        try batch.verifyCRC()
        let reparsed = try RecordBatch(bytes: batch.bytes)
        #expect(reparsed.header.baseOffset == 123_456_789)
        #expect(reparsed.header.partitionLeaderEpoch == 99)
        #expect(reparsed.header == batch.header)

        batch.setLogAppendTime(1_800_000_000_000)
        try batch.verifyCRC()
        let appended = try RecordBatch(bytes: batch.bytes)
        #expect(appended.header.timestampType == .logAppendTime)
        #expect(appended.header.maxTimestamp == 1_800_000_000_000)
        #expect(appended.header.compression == .zstd)
        #expect(try appended.decodeRecords(decompressionLimit: Self.limit).count == 5)
    }

    @Test func assignOffsetsAcrossARecordsBuffer() throws {
        var records = ByteBuffer()
        for (codec, n) in [(CompressionCodec.none, 3), (.gzip, 1), (.snappy, 4)] {
            var builder = RecordBatchBuilder(compression: codec)
            for i in 0..<n { builder.append(timestamp: Int64(i), key: nil, value: [UInt8(i)]) }
            try builder.build(into: &records)
        }
        let next = try records.assignRecordBatchOffsets(firstOffset: 500, partitionLeaderEpoch: 4)
        #expect(next == 508)
        var reader = RecordBatchReader(records)
        let batches = try reader.readAll()
        #expect(batches.map(\.header.baseOffset) == [500, 503, 504])
        #expect(batches.allSatisfy { $0.header.partitionLeaderEpoch == 4 && $0.hasValidCRC })
        #expect(reader.truncatedTailBytes == 0)
        // a partial tail is an error for append input, and nothing is changed
        var partial = records.getSlice(at: 0, length: records.readableBytes - 1)!
        #expect(batchErrorKind { _ = try partial.assignRecordBatchOffsets(firstOffset: 0, partitionLeaderEpoch: 0) } != nil)
    }

    @Test func logAppendTimeBuilderUsesTheAppendTime() throws {
        var builder = RecordBatchBuilder(timestampType: .logAppendTime, logAppendTime: 555)
        builder.append(timestamp: 1, key: nil, value: [1])
        let batch = try builder.build()
        #expect(batch.header.maxTimestamp == 555 && batch.header.timestampType == .logAppendTime)
        #expect(batch.header.attributes.rawValue == 0x08)
    }

    @Test func deleteHorizonSetsBitSixAndBaseTimestamp() throws {
        var builder = RecordBatchBuilder(deleteHorizon: 10_000)
        builder.append(timestamp: 10_050, key: nil, value: [1])
        let batch = try RecordBatch(bytes: builder.build().bytes)
        #expect(batch.header.attributes.hasDeleteHorizon)
        #expect(batch.header.baseTimestamp == 10_000)
        #expect(try batch.decodeRecords(decompressionLimit: 1000)[0].timestampDelta == 50)
    }

    @Test func emptyBuilderIsAnError() {
        #expect(batchErrorKind { _ = try RecordBatchBuilder().build() } == .emptyBatch)
    }

    @Test func readerStopsAtAPartialTrailingBatch() throws {
        var records = ByteBuffer()
        var sizes: [Int] = []
        for codec in [CompressionCodec.none, .zstd, .lz4] {
            let before = records.writerIndex
            try sampleBuilder(codec).build(into: &records)
            sizes.append(records.writerIndex - before)
        }
        let full = bytes(records)
        let lastStart = sizes[0] + sizes[1]
        for cut in lastStart..<full.count {
            var reader = RecordBatchReader(buffer(Array(full[..<cut])))
            let batches = try reader.readAll()
            #expect(batches.count == 2)
            #expect(reader.truncatedTailBytes == cut - lastStart)
            #expect(reader.remainingBytes == cut - lastStart)
        }
        var whole = RecordBatchReader(buffer(full))
        #expect(try whole.readAll().map(\.header.compression) == [.none, .zstd, .lz4])
        #expect(whole.truncatedTailBytes == 0)
    }

    @Test func readerRejectsCorruptFraming() throws {
        let good = bytes(try sampleBuilder(.none).build().bytes)
        var tooShort = good
        setInt32(&tooShort, at: 8, 48)
        var negative = good
        setInt32(&negative, at: 8, -1)
        var badMagic = good
        badMagic[16] = 1
        var badCodec = good
        badCodec[22] |= 0x07
        let cases: [(String, [UInt8], RecordBatchError.Kind)] = [
            ("length 48", tooShort, .invalidBatchLength(48)),
            ("length -1", negative, .invalidBatchLength(-1)),
            ("magic 1", badMagic, .unsupportedMagic(1)),
            ("codec 7", badCodec, .unsupportedCompression(7)),
        ]
        for (name, input, expected) in cases {
            var reader = RecordBatchReader(buffer(good + input))
            #expect(try reader.next() != nil)
            #expect(batchErrorKind { _ = try reader.next() } == expected, "\(name)")
            // it keeps failing rather than skipping
            #expect(batchErrorKind { _ = try reader.next() } == expected, "\(name)")
        }
        var small = RecordBatchReader(buffer(good), maximumBatchSize: good.count - 1)
        #expect(batchErrorKind { _ = try small.next() } == .batchTooLarge(size: good.count, maximum: good.count - 1))
    }

    @Test func recordBatchInitNeedsExactlyOneBatch() throws {
        let good = bytes(try sampleBuilder(.none).build().bytes)
        #expect(batchErrorKind { _ = try RecordBatch(bytes: buffer(good + [0])) } == .invalidBatchLength(Int32(good.count - 12)))
        #expect(batchErrorKind { _ = try RecordBatch(bytes: buffer(Array(good.dropLast()))) } == .truncated(needed: good.count, available: good.count - 1))
        #expect(batchErrorKind { _ = try RecordBatch(bytes: buffer(Array(good[..<60]))) } == .truncated(needed: 61, available: 60))
    }

    @Test func headerParsesWithoutTouchingRecords() throws {
        // Only the first 61 bytes are needed.
        let good = bytes(try sampleBuilder(.gzip).build().bytes)
        let header = try RecordBatchHeader(parsing: buffer(Array(good[..<61])))
        #expect(header.recordCount == 5 && header.compression == .gzip)
        var out = ByteBuffer()
        header.write(to: &out)
        #expect(bytes(out) == Array(good[..<61]))
    }
}
