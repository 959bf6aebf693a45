import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// `truncateFullyAndStart(at:)`: a replica that installed a snapshot restarts its log at the snapshot's end.
@Suite struct TruncateFullyTests {
    @Test(arguments: [Int64(7), 30, 500]) func theLogRestartsEmptyAtTheOffsetAndStaysThereAfterReopening(offset: Int64) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = LogConfig(segmentBytes: 1_000, indexIntervalBytes: 100)
        let log = try Fixtures.open(directory, config: config)
        for _ in 0..<20 {
            try log.append(Fixtures.batch(count: 2, firstValue: log.logEndOffset, valuePadding: 30), leaderEpoch: 1, now: 0)
        }
        #expect(log.segments.count >= 2 && log.logEndOffset == 40)
        try log.truncateFullyAndStart(at: offset, now: 10)
        #expect(log.logStartOffset == offset && log.logEndOffset == offset && log.highWatermark == offset)
        #expect(log.segments.count == 1 && log.segments[0].baseOffset == offset)
        // Appends continue at the offset.
        let info = try log.append(Fixtures.batch(count: 3, firstValue: offset), leaderEpoch: 2, now: 20)
        #expect(info.firstOffset == offset && log.logEndOffset == offset + 3)
        try log.flush(now: 30)
        try log.close()
        // Only the new segment is left on disk, and a reopened log starts where the truncation put it.
        let reopened = try Fixtures.open(directory, config: config)
        #expect(reopened.logStartOffset == offset && reopened.logEndOffset == offset + 3)
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: offset, to: offset + 3)
        #expect(!FileSystem.exists(Fixtures.segmentPath(directory, base: 0)) || offset == 0)
    }
}
