import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

@Suite struct RetentionTests {
    /// Six-ish segments whose batches carry timestamps 1000 + 100 * batch index.
    func makeLog(_ directory: TemporaryDirectory, retentionMs: Int64 = -1, retentionBytes: Int64 = -1) throws -> PartitionLog {
        let config = LogConfig(segmentBytes: 1_000, indexIntervalBytes: 100, retentionMs: retentionMs, retentionBytes: retentionBytes)
        let log = try Fixtures.open(directory, config: config)
        for i in 0..<40 {
            try log.append(Fixtures.batch(count: 2, firstValue: log.logEndOffset, timestamp: 1_000 + 100 * Int64(i), valuePadding: 30), leaderEpoch: 0, now: 0)
        }
        #expect(log.segments.count >= 4)
        // Retention and DeleteRecords never pass the high watermark, which the caller advances.
        #expect(try log.enforceRetention(now: Int64.max / 2).deletedSegments.isEmpty, "nothing above the high watermark")
        log.updateHighWatermark(log.logEndOffset)
        return log
    }

    @Test func timeRetentionDeletesOldSegmentsButNotTheActiveOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory, retentionMs: 1_000)
        let second = log.segments[1]
        // Only the first segment's largest timestamp is older than now - 1000.
        let now = second.maxTimestampSoFar + 1_000
        let result = try log.enforceRetention(now: now)
        #expect(result.deletedSegments == [0])
        #expect(log.logStartOffset == second.baseOffset && log.segments.first === second)
        #expect(!FileSystem.exists(Fixtures.segmentPath(directory, base: 0)))
        #expect(!FileSystem.exists(Fixtures.segmentPath(directory, base: 0, suffix: ".index")))
        // Far in the future everything is expired, yet the active segment stays.
        let active = log.activeSegment
        try log.enforceRetention(now: 1_000_000)
        #expect(log.segments.count == 1 && log.segments[0] === active)
        #expect(log.logStartOffset == active.baseOffset)
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: active.baseOffset, to: log.logEndOffset)
        #expect(throws: LogError.self) { try log.read(fetchOffset: 0, maxBytes: 10, minOneBatch: true) }
    }

    @Test func unlimitedRetentionKeepsEverything() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory)
        let count = log.segments.count
        #expect(try log.enforceRetention(now: Int64.max / 2).deletedSegments.isEmpty)
        #expect(log.segments.count == count && log.logStartOffset == 0)
    }

    @Test func sizeRetentionDeletesOldestWhileTheLogStaysLargeEnough() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let limit: Int64 = 2_500
        let log = try makeLog(directory, retentionBytes: limit)
        let sizes = log.segments.map(\.size)
        let total = sizes.reduce(0, +)
        var expectedDeleted = 0
        var excess = total - limit
        for size in sizes.dropLast() where excess - size >= 0 {
            excess -= size
            expectedDeleted += 1
        }
        let result = try log.enforceRetention(now: 0)
        #expect(result.deletedSegments.count == expectedDeleted && expectedDeleted > 0)
        #expect(log.size >= limit)
        #expect(log.size - log.segments[0].size < limit, "deleting one more would go below the limit")
        let other = try TemporaryDirectory()
        defer { other.remove() }
        let zero = try makeLog(other, retentionBytes: 0)
        try zero.enforceRetention(now: 0)
        #expect(zero.segments.count == 1 && zero.activeSegment.size > 0)
    }

    @Test func retentionStopsAtTheHighWatermark() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory, retentionMs: 0)
        let bases = log.segments.map(\.baseOffset)
        log.updateHighWatermark(bases[2])
        let result = try log.enforceRetention(now: 1_000_000)
        #expect(result.deletedSegments == [bases[0], bases[1]])
        #expect(log.logStartOffset == bases[2] && log.segments[0].baseOffset == bases[2])
    }

    @Test func deleteRecordsMovesTheStartOffsetAndDropsWholeSegments() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try makeLog(directory)
        let third = log.segments[2]
        let target = third.baseOffset + 3
        #expect(throws: LogError.self) { try log.deleteRecords(before: log.logEndOffset + 1) }
        #expect(try log.deleteRecords(before: target) == target)
        #expect(log.logStartOffset == target)
        #expect(log.segments.first === third)
        #expect(throws: LogError.offsetOutOfRange(offset: target - 1, validRange: target...log.logEndOffset)) {
            try log.read(fetchOffset: target - 1, maxBytes: 100, minOneBatch: true)
        }
        // Reading at the start offset returns the whole batch holding it (it starts below).
        let data = try log.read(fetchOffset: target, maxBytes: 1, minOneBatch: true)
        let batch = try RecordBatch(bytes: data.readRecords())
        #expect(batch.header.baseOffset <= target && target <= batch.header.lastOffset)
        #expect(try log.offsetForTimestamp(PartitionLog.earliestTimestamp)?.offset == target)
        #expect(try log.deleteRecords(before: 1) == target, "never moves back")
        // The start offset survives a restart (checkpointed), clean or not.
        let end = log.logEndOffset
        let reopened = try Fixtures.open(directory)
        #expect(reopened.logStartOffset == target && reopened.logEndOffset == end)
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: target, to: end)
    }
}
