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
