import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// A flush prepared under the lock, performed without it and completed under it again.
@Suite struct PendingFlushTests {
    @Test func recoveryPointMovesOnlyToTheEndThatWasSynced() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        try Fixtures.fill(log, batches: 3)
        let end = log.logEndOffset
        let pending = try #require(try log.prepareFlush())
        #expect(pending.end == end)
        #expect(log.recoveryPoint == 0)
        // More appends between prepare and complete are not covered by this flush.
        try Fixtures.fill(log, batches: 2)
        try pending.perform()
        #expect(log.recoveryPoint == 0) // nothing changes until the flush is recorded
        log.completeFlush(pending, now: 5_000)
        #expect(log.recoveryPoint == end)
        #expect(log.lastFlushTime == 5_000)
        #expect(log.unflushedMessages == log.logEndOffset - end)
        // An older flush completing late never moves the recovery point back.
        let second = try #require(try log.prepareFlush())
        try second.perform()
        log.completeFlush(second, now: 6_000)
        log.completeFlush(pending, now: 7_000)
        #expect(log.recoveryPoint == log.logEndOffset)
        #expect(log.lastFlushTime == 6_000)
        #expect(try log.prepareFlush() == nil) // already durable
    }

    @Test func aRollMeanwhileIsCoveredAndSealedSegmentsSyncTheirIndexes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var config = LogConfig()
        config.segmentBytes = 4_096
        let log = try Fixtures.open(dir, config: config)
        try Fixtures.fill(log, batches: 4, padding: 500)
        try Fixtures.fill(log, batches: 20, padding: 500) // rolls several segments
        #expect(log.segments.count > 2)
        // The rolls synced nothing: sealed segments' indexes and the last roll's producer snapshot wait
        // for the flush, and the recovery point has not moved.
        #expect(log.recoveryPoint == 0 && log.hasUnflushedSealedSegment)
        #expect(log.segments.dropLast().allSatisfy { $0.indexFiles == .written })
        #expect(log.unsyncedProducerSnapshots.last == log.activeSegment.baseOffset && log.unsyncedProducerSnapshots.count > 1)
        let pending = try #require(try log.prepareFlush())
        // Every segment from the recovery point on: the .log of each, synced by `perform`; the small
        // files of the sealed ones are synced by `prepareFlush`.
        let fromRecoveryPoint = log.segments[log.segmentIndex(for: log.recoveryPoint)...]
        #expect(pending.files.count == fromRecoveryPoint.count)
        #expect(log.segments.dropLast().allSatisfy { $0.indexFiles == .durable && $0.transactionIndexIsDurable })
        #expect(log.unsyncedProducerSnapshots.isEmpty)
        try pending.perform()
        log.completeFlush(pending, now: 9_000)
        #expect(log.recoveryPoint == log.logEndOffset && !log.hasUnflushedSealedSegment)
    }

    /// A flush prepared while the segment was active, then a roll at exactly its end (the next append),
    /// then its completion: the recovery point lands on the new segment, past the sealed one, whose
    /// index files and `.txnindex` (an abort marker's entry) the next flush still syncs, as does close.
    @Test func aRollBetweenPrepareAndCompleteStillSyncsTheSealedSegmentsSmallFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        var builder = RecordBatchBuilder(producerId: 1, producerEpoch: 0, baseSequence: 0, isTransactional: true)
        builder.append(timestamp: 1_000, key: nil, value: [1])
        try log.append(try builder.build().bytes, leaderEpoch: 0, now: 2_000)
        try log.appendMarker(producerId: 1, producerEpoch: 0, coordinatorEpoch: 3, isAbort: true, leaderEpoch: 0, now: 2_100)
        let sealed = log.activeSegment
        #expect(!sealed.transactionIndexIsDurable)
        let pending = try #require(try log.prepareFlush()) // the marker's own flush
        try log.roll(now: 5)
        try pending.perform()
        log.completeFlush(pending, now: 6)
        // The recovery point stops at the sealed segment: a crash now would have it scanned.
        #expect(log.recoveryPoint == sealed.baseOffset && sealed.indexFiles == .written)
        #expect(log.hasUnflushedSealedSegment, "the sealed segment's small files still wait")
        let next = try #require(try log.prepareFlush())
        #expect(sealed.indexFiles == .durable && sealed.transactionIndexIsDurable && log.unsyncedProducerSnapshots.isEmpty)
        try next.perform()
        log.completeFlush(next, now: 7)
        #expect(!log.hasUnflushedSealedSegment && log.recoveryPoint == log.logEndOffset)
        #expect(try log.prepareFlush() == nil)

        // The same through flush(upTo:) and close(): a second roll the same way, then close.
        try Fixtures.fill(log, batches: 1)
        let again = try #require(try log.prepareFlush())
        try log.roll(now: 8)
        let second = log.segments[log.segments.count - 2]
        try again.perform()
        log.completeFlush(again, now: 9)
        #expect(second.indexFiles == .written)
        try log.close()
        #expect(second.indexFiles == .durable)
    }

    /// A flush prepared before a truncation does not move the recovery point when it completes: the
    /// records past the new end may be new ones it never synced.
    @Test func aFlushPreparedBeforeATruncationMovesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        try Fixtures.fill(log, batches: 4)
        let pending = try #require(try log.prepareFlush())
        try log.truncate(to: 2, now: 1)
        try Fixtures.fill(log, batches: 6)
        try pending.perform()
        log.completeFlush(pending, now: 2)
        #expect(log.recoveryPoint == 0)
        let fresh = try #require(try log.prepareFlush())
        try fresh.perform()
        log.completeFlush(fresh, now: 3)
        #expect(log.recoveryPoint == log.logEndOffset)

        // Nor one prepared on the log this one replaced (a reopen for new topic settings), after the
        // new log's own truncation: generations are never reused across logs.
        try Fixtures.fill(log, batches: 2)
        let old = try #require(try log.prepareFlush())
        try log.close()
        let reopened = try Fixtures.open(dir)
        try reopened.truncate(to: 3, now: 4)
        let cut = reopened.recoveryPoint
        #expect(cut <= 3)
        try Fixtures.fill(reopened, batches: 8)
        #expect(old.end > cut && reopened.logEndOffset > old.end)
        try old.perform()
        reopened.completeFlush(old, now: 5)
        #expect(reopened.recoveryPoint == cut)
    }

    @Test func aFailedFlushTakesTheLogOffline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        try Fixtures.fill(log, batches: 1)
        let pending = try #require(try log.prepareFlush())
        log.failFlush(.io(operation: "fsync", path: "x", errno: 5))
        #expect(log.storageFailure != nil)
        #expect(throws: LogError.self) { try log.prepareFlush() }
        #expect(throws: LogError.self) { try Fixtures.fill(log, batches: 1) }
        #expect(log.recoveryPoint == 0)
        _ = pending
    }
}

/// `LogFile.write(_:at:)` with many pieces: more than one `pwritev` call's worth, empty ones among them.
@Suite struct VectoredWriteTests {
    @Test func piecesLandBackToBack() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try LogFile.open(dir.path + "/pieces", create: true)
        var expected: [UInt8] = []
        var pieces: [ByteBuffer] = []
        for i in 0..<150 {
            let bytes = (0..<(i % 7 == 0 ? 0 : i * 13 % 997)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            pieces.append(ByteBuffer(bytes: bytes))
            expected += bytes
        }
        try file.write([0xEE, 0xEE], at: 0)
        try file.write(pieces, at: 2)
        let all = try file.readAll()
        #expect(Array(all.readableBytesView) == [0xEE, 0xEE] + expected)
    }
}
