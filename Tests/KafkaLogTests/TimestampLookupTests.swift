import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

@Suite struct TimestampLookupTests {
    /// Batches across several segments, with out-of-order record timestamps inside compressed batches.
    func makeLog(_ directory: TemporaryDirectory) throws -> PartitionLog {
        let log = try Fixtures.open(directory, config: LogConfig(segmentBytes: 600, indexIntervalBytes: 100))
        let stamps: [[Int64]] = [
            [100, 105, 103], [110], [120, 90, 125], [130, 131], [135, 140, 150], [160], [170, 171, 172, 173],
            [180], [190, 191], [200], [210], [205, 999, 220], [230], [240, 241],
        ]
        for (i, batch) in stamps.enumerated() {
            let bytes = Fixtures.batch(count: batch.count, firstValue: log.logEndOffset, timestamps: batch, compression: i % 2 == 0 ? .zstd : .none)
            try log.append(bytes, leaderEpoch: Int32(i / 5), now: 0)
        }
        #expect(log.segments.count > 2)
        return log
    }

    /// Base offsets of the batches above: 0:[100,105,103] 3:[110] 4:[120,90,125] 7:[130,131]
    /// 9:[135,140,150] 12:[160] 13:[170..173] 17:[180] 18:[190,191] 20:[200] 21:[210] 22:[205,999,220]
    /// 25:[230] 26:[240,241]. Kafka's answer is the first record, in offset order, at or after the target.
    @Test func firstRecordAtOrAfterTheTimestamp() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory)
        let cases: [(Int64, Int64?, Int64?)] = [
            (0, 0, 100), (100, 0, 100), (101, 1, 105), (104, 1, 105), (106, 3, 110), (121, 6, 125),
            (126, 7, 130), (136, 10, 140), (141, 11, 150), (155, 12, 160), (172, 15, 172), (206, 21, 210),
            (215, 23, 999), (999, 23, 999), (1_000, nil, nil),
        ]
        for (target, offset, timestamp) in cases {
            let found = try log.offsetForTimestamp(target)
            #expect(found?.offset == offset, "timestamp \(target)")
            #expect(found?.timestamp == timestamp, "timestamp \(target)")
        }
        #expect(try log.offsetForTimestamp(136)?.leaderEpoch == 0)
        #expect(try log.offsetForTimestamp(155)?.leaderEpoch == 1)
    }

    @Test func specialTimestamps() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory)
        #expect(try log.offsetForTimestamp(PartitionLog.earliestTimestamp) == TimestampAndOffset(timestamp: -1, offset: 0))
        #expect(try log.offsetForTimestamp(PartitionLog.latestTimestamp) == TimestampAndOffset(timestamp: -1, offset: 28))
        #expect(try log.offsetForTimestamp(PartitionLog.maxTimestamp) == TimestampAndOffset(timestamp: 999, offset: 23, leaderEpoch: 2))
        #expect(throws: LogError.self) { try log.offsetForTimestamp(-7) }
    }

    @Test func searchStartsAtTheLogStartOffset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory)
        log.updateHighWatermark(log.logEndOffset)
        try log.deleteRecords(before: 10)
        #expect(try log.offsetForTimestamp(0)?.offset == 10)
        #expect(try log.offsetForTimestamp(145)?.offset == 11)
        #expect(try log.offsetForTimestamp(PartitionLog.maxTimestamp)?.offset == 23)
    }

    @Test func maxTimestampIsFoundAfterReopenFromTheTimeIndex() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory)
        try log.close()
        let reopened = try Fixtures.open(directory)
        #expect(try reopened.offsetForTimestamp(PartitionLog.maxTimestamp)?.offset == 23)
        #expect(try reopened.offsetForTimestamp(206)?.offset == 21)
        let empty = try TemporaryDirectory()
        defer { empty.remove() }
        #expect(try Fixtures.open(empty).offsetForTimestamp(PartitionLog.maxTimestamp) == nil)
    }
}
