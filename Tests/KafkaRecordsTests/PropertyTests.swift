import NIOCore
import SeededRandom
import Testing
@testable import KafkaRecords

/// Random batches from a seeded generator: build several into one records buffer, read them back,
/// and compare everything; then corrupt one random byte per batch and expect the CRC to notice.
@Suite struct PropertyTests {
    struct Spec {
        var builder: RecordBatchBuilder
    }

    func randomBuilder(_ rng: inout SplitMix64) -> RecordBatchBuilder {
        var b = RecordBatchBuilder(
            baseOffset: Int64(rng.int(0...1_000_000)),
            partitionLeaderEpoch: Int32(rng.int(-1...100)),
            compression: CompressionCodec.allCases[rng.int(0...4)],
            compressionLevel: nil,
            timestampType: rng.int(0...5) == 0 ? .logAppendTime : .createTime,
            logAppendTime: rng.bool() ? Int64(rng.int(0...Int(Int32.max))) : nil,
            producerId: rng.bool() ? -1 : Int64(rng.int(0...100_000)),
            producerEpoch: Int16(rng.int(-1...50)),
            baseSequence: Int32(rng.int(-1...10_000)),
            isTransactional: rng.bool()
        )
        let base = Int64(rng.int(1_600_000_000_000...1_800_000_000_000))
        if rng.int(0...9) == 0 {
            b.append(rng.bool() ? .commit(coordinatorEpoch: Int32(rng.int(0...1000))) : .abort(coordinatorEpoch: 0), timestamp: base)
            return b
        }
        for _ in 0..<rng.int(1...40) {
            func blob() -> [UInt8]? {
                switch rng.int(0...5) {
                case 0: return nil
                case 1: return []
                case 2: return rng.bytes(rng.int(1...2000))
                default: return rng.repetitiveBytes(rng.int(1...500))
                }
            }
            var headers: [RecordHeader] = []
            for _ in 0..<rng.int(0...3) {
                headers.append(RecordHeader(keyBytes: rng.repetitiveBytes(rng.int(0...12)), value: blob()))
            }
            b.append(timestamp: base + Int64(rng.int(-5000...5000)), key: blob(), value: blob(), headers: headers)
        }
        return b
    }

    @Test func randomBatchesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<60 {
            var builders: [RecordBatchBuilder] = []
            var records = ByteBuffer()
            for _ in 0..<rng.int(1...5) {
                let builder = randomBuilder(&rng)
                builders.append(builder)
                try builder.build(into: &records)
            }
            var reader = RecordBatchReader(records)
            let batches = try reader.readAll()
            #expect(batches.count == builders.count)
            #expect(reader.truncatedTailBytes == 0)
            for (batch, builder) in zip(batches, builders) {
                try batch.verifyCRC()
                let h = batch.header
                #expect(h.baseOffset == builder.baseOffset)
                #expect(h.partitionLeaderEpoch == builder.partitionLeaderEpoch)
                #expect(h.attributes == builder.attributes)
                #expect(h.recordCount == Int32(builder.count))
                #expect(h.lastOffsetDelta == Int32(builder.count - 1))
                #expect(h.producerId == builder.producerId && h.producerEpoch == builder.producerEpoch && h.baseSequence == builder.baseSequence)
                let timestamps = builder.entries.map(\.timestamp)
                #expect(h.baseTimestamp == timestamps[0])
                if builder.timestampType == .logAppendTime, let t = builder.logAppendTime {
                    #expect(h.maxTimestamp == t)
                } else {
                    #expect(h.maxTimestamp == timestamps.max())
                }
                let decoded = try batch.decodeRecords(decompressionLimit: 64 << 20)
                #expect(decoded == builder.records)
                for (record, entry) in zip(decoded, builder.entries) {
                    #expect(h.baseTimestamp + record.timestampDelta == entry.timestamp)
                    #expect(record.key == entry.key && record.value == entry.value && record.headers == entry.headers)
                }
                if h.isControl {
                    #expect(try ControlRecord(parsing: decoded[0]).type.rawValue <= 1)
                }

                // one corrupted byte in the CRC'd range
                var corrupted = bytes(batch.bytes)
                let i = rng.int(21...(corrupted.count - 1))
                corrupted[i] ^= UInt8(1 << rng.int(0...7))
                let kind = batchErrorKind {
                    let bad = try RecordBatch(bytes: buffer(corrupted))
                    try bad.verifyCRC()
                }
                #expect(kind != nil)
            }
        }
    }
}

/// The allocation-free walk used on the produce path agrees with the full decode on every batch,
/// and refuses what the decode refuses.
@Suite struct RecordWalkTests {
    @Test func walkAgreesWithDecodeOnRandomBatches() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<200 {
            var b = RecordBatchBuilder()
            b.compression = CompressionCodec.allCases[Int(rng.next() % 5)]
            let n = 1 + Int(rng.next() % 20)
            for i in 0..<n {
                b.append(timestamp: 1_000 + Int64(rng.next() % 5000), key: i % 3 == 0 ? nil : [UInt8](repeating: 1, count: i),
                         value: [UInt8](repeating: 2, count: Int(rng.next() % 100)), headers: i % 2 == 0 ? [RecordHeader(key: "h", value: nil)] : [])
            }
            let batch = try b.build()
            let decoded = try batch.decodeRecords(decompressionLimit: 1 << 20)
            let walked = try batch.walkRecords(decompressionLimit: 1 << 20)
            #expect(walked.recordCount == decoded.count)
            #expect(walked.minTimestamp == decoded.map { batch.header.baseTimestamp + $0.timestampDelta }.min())
            #expect(walked.maxTimestamp == decoded.map { batch.header.baseTimestamp + $0.timestampDelta }.max())
        }
    }

    @Test func walkRefusesCorruptRecordsLikeDecode() throws {
        var b = RecordBatchBuilder()
        for i in 0..<4 { b.append(timestamp: 1, key: nil, value: [UInt8(i)], headers: []) }
        let good = try b.build().bytes
        var rng = SplitMix64(seed: 5)
        var refusedBoth = 0
        for _ in 0..<300 {
            var bytes = good
            let at = RecordBatchHeader.size + Int(rng.next() % UInt64(good.readableBytes - RecordBatchHeader.size))
            bytes.setInteger(UInt8(truncatingIfNeeded: rng.next()), at: at)
            guard let batch = try? RecordBatch(bytes: bytes) else { continue }
            let decodeFails = (try? batch.decodeRecords(decompressionLimit: 1 << 20)) == nil
            let walkFails = (try? batch.walkRecords(decompressionLimit: 1 << 20)) == nil
            #expect(decodeFails == walkFails)
            if walkFails { refusedBoth += 1 }
        }
        #expect(refusedBoth > 0)
    }
}

/// `fastWalk` (raw bytes, the produce path's loop) against `walk` (ByteBuffer reads, which names the
/// fault): on valid records and on seeded corruptions of them (a changed byte, a cut, an inserted
/// byte, a wrong count) both accept exactly the same payloads, with the same summary.
@Suite struct FastWalkTests {
    static func payload(_ rng: inout SplitMix64) throws -> (ByteBuffer, Int32) {
        var b = RecordBatchBuilder()
        let n = 1 + Int(rng.next() % 12)
        for i in 0..<n {
            let key: [UInt8]? = rng.next() % 3 == 0 ? nil : [UInt8](repeating: 7, count: Int(rng.next() % 200))
            let headers = (0..<Int(rng.next() % 3)).map { h in
                RecordHeader(key: "h\(h)", value: rng.next() % 2 == 0 ? nil : [UInt8](repeating: 1, count: Int(rng.next() % 20)))
            }
            // Large deltas too: their varlongs take up to 10 bytes.
            let timestamp = rng.next() % 4 == 0 ? Int64(bitPattern: rng.next() >> 2) : 1_700_000_000_000 + Int64(i)
            b.append(timestamp: timestamp, key: key, value: rng.next() % 5 == 0 ? nil : [UInt8](repeating: 2, count: Int(rng.next() % 300)), headers: headers)
        }
        let batch = try b.build()
        var bytes = batch.bytes
        bytes.moveReaderIndex(forwardBy: RecordBatchHeader.size)
        return (bytes, batch.header.recordCount)
    }

    static func agree(_ payload: ByteBuffer, count: Int32, _ note: String) {
        let fast = RecordBatch.fastWalk(payload, count: count, baseTimestamp: 1_000)
        var copy = payload
        let slow = try? RecordBatch.walk(&copy, count: count, baseOffset: 0, baseTimestamp: 1_000)
        #expect(fast == slow, "\(note): fast \(String(describing: fast)), slow \(String(describing: slow))")
    }

    @Test func fastAndSlowWalksAcceptTheSamePayloads() throws {
        var rng = SplitMix64(seed: 2026_12_07)
        var accepted = 0, refused = 0
        for round in 0..<400 {
            let (good, count) = try Self.payload(&rng)
            Self.agree(good, count: count, "round \(round), intact")
            Self.agree(good, count: count + 1, "round \(round), one record more declared")
            Self.agree(good, count: count - 1, "round \(round), one record fewer declared")
            for _ in 0..<8 {
                var bad = good
                let at = bad.readerIndex + Int(rng.next() % UInt64(bad.readableBytes))
                switch rng.next() % 3 {
                case 0:
                    // One byte, often a varint's: continuation bits, signs and lengths all change.
                    bad.setInteger(UInt8(truncatingIfNeeded: rng.next()), at: at)
                case 1:
                    bad.moveWriterIndex(to: at)
                default:
                    var grown = ByteBuffer()
                    grown.writeBytes(bad.readableBytesView.prefix(at - bad.readerIndex))
                    grown.writeInteger(UInt8(truncatingIfNeeded: rng.next()))
                    grown.writeBytes(bad.readableBytesView.dropFirst(at - bad.readerIndex))
                    bad = grown
                }
                Self.agree(bad, count: count, "round \(round), corrupted at \(at)")
                var copy = bad
                if (try? RecordBatch.walk(&copy, count: count, baseOffset: 0, baseTimestamp: 1_000)) == nil { refused += 1 } else { accepted += 1 }
            }
        }
        // Both kinds occurred: the comparison was not only ever of refusals.
        #expect(accepted > 100 && refused > 1_000, "accepted \(accepted), refused \(refused)")
    }

    @Test func edgeCasesAreDecidedAlike() {
        // A record whose length varint runs to a sixth byte, and one whose timestamp delta's tenth byte
        // carries more than the one bit left.
        var tooLong = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
        Self.agree(tooLong, count: 1, "six-byte varint")
        // Length 15 (zigzag 0x1E): attributes, a ten-byte timestamp delta, offset delta 0, null key and
        // value, no headers.
        tooLong = ByteBuffer(bytes: [0x1E, 0x00] + [UInt8](repeating: 0xFF, count: 9) + [0x02, 0x00, 0x01, 0x01, 0x00])
        Self.agree(tooLong, count: 1, "ten-byte varlong with two bits in its last byte")
        #expect(RecordBatch.fastWalk(tooLong, count: 1, baseTimestamp: 0) == nil)
        let fits = ByteBuffer(bytes: [0x1E, 0x00] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x00, 0x01, 0x01, 0x00])
        Self.agree(fits, count: 1, "ten-byte varlong with one bit in its last byte")
        #expect(RecordBatch.fastWalk(fits, count: 1, baseTimestamp: 0)?.keylessRecords == 1)

        // Record 0 (length 22) carries a whole record 1 in its trailing bytes: read on from where record
        // 0's fields end, the payload would look like two good records.
        let inner: [UInt8] = [0x1E, 0x00] + [UInt8](repeating: 0xFF, count: 9) + [0x01, 0x02, 0x01, 0x01, 0x00]
        let nested = ByteBuffer(bytes: [0x2C, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00] + inner)
        Self.agree(nested, count: 2, "a record inside another's trailing bytes")
        #expect(RecordBatch.fastWalk(nested, count: 2, baseTimestamp: 0) == nil)
    }
}
