import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// Kafka's per-log-directory checkpoint files and a log opened from them: the high watermark survives
/// a restart, the partition's own files remain the upgrade path, and a stale recovery point only
/// changes how much open re-verifies.
@Suite struct LogDirectoryCheckpointTests {
    typealias Kind = LogDirectoryCheckpoints.Kind
    let config = LogConfig(segmentBytes: 1_500, indexIntervalBytes: 120)

    /// Opens the fixture partition with what `directory`'s checkpoint files hold for it.
    func open(_ directory: TemporaryDirectory) throws -> PartitionLog {
        let files = try LogDirectoryCheckpoints.read(logDirectory: directory.path)
        return try PartitionLog.open(logDirectory: directory.path, topic: Fixtures.topic, partition: 0, config: config, now: 1_000,
                                     checkpointed: files.offsets(topic: Fixtures.topic, partition: 0))
    }

    /// Writes all three files of `directory` from `logs`, as the broker does.
    func checkpoint(_ logs: [PartitionLog], in directory: TemporaryDirectory) throws {
        for kind in Kind.allCases {
            try LogDirectoryCheckpoints.write(kind, entries: logs.compactMap { $0.checkpointEntry(kind) }, logDirectory: directory.path)
        }
    }

    func text(_ kind: Kind, in directory: TemporaryDirectory) throws -> String {
        String(decoding: try Fixtures.readFile(LogDirectoryCheckpoints.path(of: kind, in: directory.path)), as: UTF8.self)
    }

    @Test func filesAreKafkasFormatByteForByte() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let entries = [OffsetCheckpoint.Entry(topic: "events", partition: 0, offset: 5), .init(topic: "other-topic", partition: 12, offset: 4_000_000_000)]
        try LogDirectoryCheckpoints.write(.highWatermark, entries: entries, logDirectory: directory.path)
        try LogDirectoryCheckpoints.write(.recoveryPoint, entries: [], logDirectory: directory.path)
        #expect(try text(.highWatermark, in: directory) == "0\n2\nevents 0 5\nother-topic 12 4000000000\n")
        #expect(try text(.recoveryPoint, in: directory) == "0\n0\n")
        #expect(try FileSystem.list(directory.path).sorted() == ["recovery-point-offset-checkpoint", "replication-offset-checkpoint"])

        // As Kafka writes them (in its map's order), read back by partition; a missing file lists nothing.
        try Fixtures.writeFile(LogDirectoryCheckpoints.path(of: .recoveryPoint, in: directory.path),
                               Array("0\n3\n__consumer_offsets 7 120\nevents 1 33\nevents 0 90\n".utf8))
        let files = try LogDirectoryCheckpoints.read(logDirectory: directory.path)
        #expect(files.offsets(topic: "events", partition: 0) == CheckpointedOffsets(recoveryPoint: 90, highWatermark: 5))
        #expect(files.offsets(topic: "events", partition: 1) == CheckpointedOffsets(recoveryPoint: 33))
        #expect(files.offsets(topic: "__consumer_offsets", partition: 7).recoveryPoint == 120)
        #expect(files.offsets(topic: "events", partition: 2) == CheckpointedOffsets())
        #expect(files.unreadable.isEmpty)

        // An unreadable file lists nothing too (Kafka resets to defaults), and is reported.
        try Fixtures.writeFile(LogDirectoryCheckpoints.path(of: .logStartOffset, in: directory.path), Array("0\n2\nevents 0 5\n".utf8))
        let damaged = try LogDirectoryCheckpoints.read(logDirectory: directory.path)
        #expect(damaged.unreadable == [.logStartOffset])
        #expect(damaged.offsets(topic: "events", partition: 0) == CheckpointedOffsets(recoveryPoint: 90, highWatermark: 5))
    }

    @Test func theHighWatermarkSurvivesCloseAndOpen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try open(directory)
        #expect(log.highWatermark == 0)
        try Fixtures.fill(log, batches: 20)
        let end = log.logEndOffset
        log.updateHighWatermark(end - 7)
        try log.close()
        try checkpoint([log], in: directory)
        #expect(try text(.highWatermark, in: directory) == "0\n1\nevents 0 \(end - 7)\n")
        #expect(try text(.recoveryPoint, in: directory) == "0\n1\nevents 0 \(end)\n")
        #expect(try text(.logStartOffset, in: directory) == "0\n0\n", "only logs whose start moved past their first segment")

        let reopened = try open(directory)
        #expect(reopened.logEndOffset == end && reopened.highWatermark == end - 7, "not the log end offset")
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: 0, to: end)
        #expect(try reopened.read(fetchOffset: end - 7, maxBytes: 1 << 20, minOneBatch: true, upperBound: reopened.highWatermark).records == nil)
    }

    @Test func aCheckpointedHighWatermarkIsClampedToTheLog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try open(directory)
        try Fixtures.fill(log, batches: 10)
        let end = log.logEndOffset
        log.updateHighWatermark(end)
        try log.deleteRecords(before: 4)
        try log.close()
        for (checkpointed, expected) in [(end + 50, end), (2, 4), (6, 6)] {
            try LogDirectoryCheckpoints.write(.highWatermark, entries: [.init(topic: Fixtures.topic, partition: 0, offset: checkpointed)],
                                              logDirectory: directory.path)
            let reopened = try open(directory)
            #expect(reopened.highWatermark == expected, "checkpointed \(checkpointed)")
            try reopened.close()
        }
    }

    @Test func thePartitionsOwnFilesAreTheUpgradePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Written by a version that kept checkpoints per partition.
        let old = try Fixtures.open(directory, config: config)
        try Fixtures.fill(old, batches: 30, padding: 10)
        old.updateHighWatermark(old.logEndOffset)
        try old.deleteRecords(before: 9)
        try old.close()
        let end = old.logEndOffset
        let ownRecoveryPoint = Fixtures.partitionDirectory(directory) + "/" + LogFileNames.recoveryPointCheckpoint
        #expect(OffsetCheckpoint(parsing: try Fixtures.readFile(ownRecoveryPoint))?.offset(topic: Fixtures.topic, partition: 0) == end)

        // The directory's files do not list the partition yet.
        let upgraded = try open(directory)
        #expect(upgraded.openReport.recoveryPointCheckpoint == end)
        #expect(upgraded.logStartOffset == 9)
        #expect(upgraded.highWatermark == end, "before the file existed every record was exposed")

        // From now on the directory's files hold the recovery point; the partition's own file is left alone.
        let before = try Fixtures.readFile(ownRecoveryPoint)
        try Fixtures.fill(upgraded, batches: 30, padding: 10)
        try upgraded.roll(now: 3_000)
        try upgraded.close()
        #expect(try Fixtures.readFile(ownRecoveryPoint) == before)
        try checkpoint([upgraded], in: directory)
        let next = try open(directory)
        #expect(next.openReport.recoveryPointCheckpoint == upgraded.logEndOffset)
        #expect(next.logStartOffset == 9)
        // Once the directory's file lists the partition, its own file is superseded (and would only go
        // stale, never being written again): the open removes it, so a later open whose directory file
        // lacks the partition (offline when the file was written) recovers everything instead of
        // trusting an old, possibly too high, recovery point.
        #expect(!FileSystem.exists(ownRecoveryPoint))
        try next.truncate(to: 10, now: 4_000)
        try next.close()
        try LogDirectoryCheckpoints.write(.recoveryPoint, entries: [], logDirectory: directory.path)
        let afterTruncation = try open(directory)
        #expect(afterTruncation.openReport.recoveryPointCheckpoint == nil)
        #expect(afterTruncation.logEndOffset == 10 && afterTruncation.logStartOffset == 9)
        try afterTruncation.close()
    }

    @Test func theLogStartOffsetIsTheLargerOfTheTwoCheckpoints() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try open(directory)
        try Fixtures.fill(log, batches: 10)
        log.updateHighWatermark(log.logEndOffset)
        // DeleteRecords writes the partition's own file at once; the directory's file comes later.
        try log.deleteRecords(before: 7)
        try log.close()
        for (checkpointed, expected) in [(Int64(3), Int64(7)), (9, 9)] {
            try LogDirectoryCheckpoints.write(.logStartOffset, entries: [.init(topic: Fixtures.topic, partition: 0, offset: checkpointed)],
                                              logDirectory: directory.path)
            let reopened = try open(directory)
            #expect(reopened.logStartOffset == expected, "directory says \(checkpointed)")
            try reopened.close()
        }
    }

    /// A log of many segments in the directory's care, its files checkpointed after `checkpointAfter`
    /// batches, then more appended and the active segment's last batch torn as a crash leaves it.
    func crashedLog(_ directory: TemporaryDirectory, recoveryPoint: (PartitionLog) -> Int64) throws -> (end: Int64, segments: [Int64]) {
        let log = try open(directory)
        try Fixtures.fill(log, batches: 20, padding: 10)
        try log.flush(now: 0)  // the flush that follows rolls (the broker's maintenance pass)
        try LogDirectoryCheckpoints.write(.recoveryPoint, entries: [.init(topic: Fixtures.topic, partition: 0, offset: recoveryPoint(log))],
                                          logDirectory: directory.path)
        try Fixtures.fill(log, batches: 40, padding: 10)
        while try Fixtures.batches(inFile: log.activeSegment.logPath).count < 2 { try Fixtures.fill(log, batches: 1, padding: 10) }
        let path = log.activeSegment.logPath
        let last = try #require(try Fixtures.batches(inFile: path).last)
        try Fixtures.writeFile(path, Array(try Fixtures.readFile(path)[..<(last.position + last.header.totalSize - 3)]))
        return (last.header.baseOffset, log.segments.map(\.baseOffset))
    }

    /// A truncation lowers the recovery point, not the checkpoint file (it may still hold the old,
    /// higher one, which an open would trust). The first roll below that point syncs the sealed segment
    /// at once; its flush rewrites this log's own checkpoint lower, so later rolls sync nothing again.
    @Test func aRollBelowACheckpointATruncationLeftHighSyncsAtOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: LogConfig(segmentBytes: 1_500, indexIntervalBytes: 120))
        try Fixtures.fill(log, batches: 40, padding: 10)
        try log.flush(now: 1)
        let high = log.recoveryPoint
        #expect(log.segments.count > 3)
        try log.truncate(to: log.segments[1].baseOffset + 1, now: 2)
        #expect(log.recoveryPoint < high && log.highestRecoveryPoint == high)
        let count = log.segments.count
        while log.segments.count == count { try Fixtures.fill(log, batches: 1, padding: 10) }
        let sealed = log.segments[log.segments.count - 2]
        #expect(sealed.nextOffset < high)
        #expect(log.recoveryPoint >= sealed.nextOffset && sealed.indexFiles == .durable && !log.hasUnflushedSealedSegment)
        let checkpoint = try Fixtures.readFile(Fixtures.partitionDirectory(directory) + "/" + LogFileNames.recoveryPointCheckpoint)
        #expect(String(decoding: checkpoint, as: UTF8.self).hasSuffix(" \(log.recoveryPoint)\n"), "rewritten lower")
        #expect(log.highestRecoveryPoint == log.recoveryPoint)
        while log.segments.count == count + 1 { try Fixtures.fill(log, batches: 1, padding: 10) }
        #expect(log.hasUnflushedSealedSegment, "the next roll syncs nothing")
    }

    @Test func crashRecoveryWithARecoveryPointTooLow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var stale: Int64 = 0
        let crashed = try crashedLog(directory) { log in
            stale = log.recoveryPoint
            return stale
        }
        #expect(stale > 0)
        let log = try open(directory)
        #expect(!log.openReport.cleanShutdown && log.openReport.recoveryPointCheckpoint == stale)
        #expect(log.logEndOffset == crashed.end && log.recoveryPoint == crashed.end)
        let scanned = crashed.segments.enumerated().filter { i, _ in i == crashed.segments.count - 1 || crashed.segments[i + 1] > stale }.map(\.1)
        #expect(Set(log.openReport.recoveredSegments.keys) == Set(scanned), "every segment from the stale recovery point on")
        #expect(scanned.count > 2)
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: crashed.end)
    }

    @Test func crashRecoveryWithARecoveryPointTooHigh() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Higher than the log ever got (as a checkpoint written before a truncation would be).
        let crashed = try crashedLog(directory) { _ in 1_000_000 }
        let log = try open(directory)
        #expect(Array(log.openReport.recoveredSegments.keys) == [crashed.segments.last!], "the active segment is always scanned")
        #expect(log.openReport.truncatedBytes > 0 && log.logEndOffset == crashed.end)
        Fixtures.expectContiguous(try Fixtures.readAll(log), from: 0, to: crashed.end)
        let info = try log.append(Fixtures.batch(count: 2, firstValue: crashed.end), leaderEpoch: 1, now: 0)
        #expect(info.firstOffset == crashed.end)
    }
}
