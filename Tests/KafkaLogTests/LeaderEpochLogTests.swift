import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// The partition log's leader epoch cache: filled by appends, trimmed by truncation and by a rising log
/// start offset, kept in `leader-epoch-checkpoint`, rebuilt from the batches when that file is lost.
@Suite struct LeaderEpochLogTests {
    let smallSegments = LogConfig(segmentBytes: 600, indexIntervalBytes: 100)

    static func checkpointText(_ directory: TemporaryDirectory) throws -> String? {
        let path = Fixtures.partitionDirectory(directory) + "/" + LogFileNames.leaderEpochCheckpoint
        guard FileSystem.exists(path) else { return nil }
        return String(decoding: try Fixtures.readFile(path), as: UTF8.self)
    }

    /// Appends `batches` batches of two records as the leader in `epoch`.
    static func append(_ log: PartitionLog, epoch: Int32, batches: Int = 1) throws {
        for _ in 0..<batches {
            try log.append(Fixtures.batch(count: 2, firstValue: log.logEndOffset, valuePadding: 20), leaderEpoch: epoch, now: 2_000)
        }
    }

    static func pairs(_ log: PartitionLog) -> [[Int64]] {
        log.leaderEpochCache.entries.map { [Int64($0.epoch), $0.startOffset] }
    }

    /// Epoch 1 at 0..<10, epoch 2 at 10..<20, epoch 3 at 20..<30, over several segments.
    func threeEpochs(_ directory: TemporaryDirectory, config: LogConfig? = nil) throws -> PartitionLog {
        let log = try Fixtures.open(directory, config: config ?? smallSegments)
        try Self.append(log, epoch: 1, batches: 5)
        try Self.append(log, epoch: 2, batches: 5)
        try Self.append(log, epoch: 3, batches: 5)
        #expect(Self.pairs(log) == [[1, 0], [2, 10], [3, 20]])
        return log
    }

    @Test func leaderAppendsStartNewerEpochsAndCheckpointThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        #expect(log.latestEpoch == nil && log.endOffset(forLeaderEpoch: 0) == (-1, -1))
        #expect(try Self.checkpointText(directory) == nil, "nothing to say yet")
        try Self.append(log, epoch: 3, batches: 2)
        #expect(try Self.checkpointText(directory) == "0\n1\n3 0\n")
        try Self.append(log, epoch: 5)
        try Self.append(log, epoch: 4)
        #expect(Self.pairs(log) == [[3, 0], [5, 4]], "an older epoch on a leader append adds nothing")
        #expect(try Self.checkpointText(directory) == "0\n2\n3 0\n5 4\n")
        #expect(log.latestEpoch == 5)
        #expect(log.endOffset(forLeaderEpoch: 3) == (3, 4))
        #expect(log.endOffset(forLeaderEpoch: 4) == (3, 4))
        #expect(log.endOffset(forLeaderEpoch: 5) == (5, 8))
        #expect(log.endOffset(forLeaderEpoch: 6) == (-1, -1))
        #expect(log.endOffset(forLeaderEpoch: 2) == (2, 0))
        try log.close()
        let reopened = try Fixtures.open(directory)
        #expect(reopened.leaderEpochCache == log.leaderEpochCache)
    }

    @Test func aNewLeaderStartsItsEpochAtTheLogEndOffset() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Self.append(log, epoch: 1, batches: 3)
        try log.assignEpochStartOffset(epoch: 4, startOffset: log.logEndOffset)
        #expect(Self.pairs(log) == [[1, 0], [4, 6]])
        // The file follows before the epoch's first records, not at once (no fsync per new leadership).
        #expect(try Self.checkpointText(directory) == "0\n1\n1 0\n")
        #expect(log.endOffset(forLeaderEpoch: 1) == (1, 6))
        #expect(log.endOffset(forLeaderEpoch: 4) == (4, 6))
        try Self.append(log, epoch: 4, batches: 2)
        #expect(try Self.checkpointText(directory) == "0\n2\n1 0\n4 6\n")
        #expect(Self.pairs(log) == [[1, 0], [4, 6]])
        #expect(log.endOffset(forLeaderEpoch: 4) == (4, 10))
        try log.close()
        #expect(throws: LogError.closed) { try log.assignEpochStartOffset(epoch: 5, startOffset: 10) }
    }

    @Test func rebuiltFromTheBatchesWhenTheCheckpointIsMissingOrUnreadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let expected = try threeEpochs(directory).leaderEpochCache
        let path = Fixtures.partitionDirectory(directory) + "/" + LogFileNames.leaderEpochCheckpoint
        for damage in ["missing", "unreadable"] {
            if damage == "missing" { try FileSystem.remove(path) } else { try Fixtures.writeFile(path, Array("0\n2\n1 0\n".utf8)) }
            let log = try Fixtures.open(directory, config: smallSegments)
            #expect(log.leaderEpochCache == expected, "\(damage)")
            // Written again before any record is.
            try Self.append(log, epoch: 3)
            #expect(try Self.checkpointText(directory) == "0\n3\n1 0\n2 10\n3 20\n", "\(damage)")
        }
    }

    @Test func readsACheckpointKafkaWrote() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try threeEpochs(directory)
        try log.close()
        // Kafka's file after DeleteRecords moved epoch 1's start to 4 (the log start offset checkpoint
        // was lost): read as it is, not rebuilt from the batches (which would say epoch 1 starts at 0).
        try Fixtures.writeFile(Fixtures.partitionDirectory(directory) + "/" + LogFileNames.leaderEpochCheckpoint, Array("0\n3\n1 4\n2 10\n3 20\n".utf8))
        let reopened = try Fixtures.open(directory, config: smallSegments)
        #expect(Self.pairs(reopened) == [[1, 4], [2, 10], [3, 20]])
    }

    @Test func truncationDropsTheEpochsItRemovesAndCheckpointsThat() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try threeEpochs(directory)
        try log.truncate(to: 24, now: 0)
        #expect(Self.pairs(log) == [[1, 0], [2, 10], [3, 20]])
        try log.truncate(to: 14, now: 0)
        #expect(Self.pairs(log) == [[1, 0], [2, 10]])
        #expect(try Self.checkpointText(directory) == "0\n2\n1 0\n2 10\n")
        try log.truncate(to: 10, now: 0)
        #expect(Self.pairs(log) == [[1, 0]])
        // The same offsets are rewritten in epoch 1; a crash afterwards must not bring epoch 2 back.
        try Self.append(log, epoch: 1, batches: 3)
        let crashed = try Fixtures.open(directory, config: smallSegments)
        #expect(Self.pairs(crashed) == [[1, 0]])
        #expect(crashed.endOffset(forLeaderEpoch: 1) == (1, 16))
    }

    @Test func truncatingAtTheEndDropsAnEpochThatWroteNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Self.append(log, epoch: 1, batches: 2)
        try log.assignEpochStartOffset(epoch: 2, startOffset: log.logEndOffset)
        try log.truncate(to: log.logEndOffset, now: 0)
        #expect(Self.pairs(log) == [[1, 0]])
        #expect(try Self.checkpointText(directory) == "0\n1\n1 0\n")
    }

    @Test func truncatingBelowTheLogStartOffsetLowersItOrRestartsTheLog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try threeEpochs(directory)
        log.updateHighWatermark(log.logEndOffset)
        try log.deleteRecords(before: 14)
        let firstBase = log.segments[0].baseOffset
        #expect(firstBase > 0 && firstBase < 12)
        try log.truncate(to: 12, now: 0)
        #expect(log.logEndOffset == 12 && log.logStartOffset == 12 && log.highWatermark == 12)
        #expect(log.leaderEpochCache.isEmpty, "epoch 2 started at the old log start offset, 14: past the new end")
        try Self.append(log, epoch: 4)
        #expect(Self.pairs(log) == [[4, 12]])
        try log.close()
        let reopened = try Fixtures.open(directory, config: smallSegments)
        #expect(reopened.logStartOffset == 12, "the lowered start offset was checkpointed")
        Fixtures.expectContiguous(try Fixtures.readAll(reopened), from: 12, to: 14)
        try reopened.truncate(to: firstBase - 1, now: 0)
        #expect(reopened.segments.count == 1 && reopened.logStartOffset == firstBase - 1 && reopened.logEndOffset == firstBase - 1)
        #expect(reopened.leaderEpochCache.isEmpty)
    }

    @Test func deleteRecordsAndRetentionMoveTheEarliestEpochUp() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try threeEpochs(directory, config: LogConfig(segmentBytes: 600, indexIntervalBytes: 100, retentionMs: 1_000))
        log.updateHighWatermark(log.logEndOffset)
        try log.deleteRecords(before: 5)
        #expect(Self.pairs(log) == [[1, 5], [2, 10], [3, 20]])
        try log.deleteRecords(before: 12)
        #expect(Self.pairs(log) == [[2, 12], [3, 20]])
        #expect(try Self.checkpointText(directory) == "0\n2\n2 12\n3 20\n")
        // Retention deletes whole segments up to the active one; the log starts at its base.
        try log.enforceRetention(now: 1_000_000)
        let start = log.logStartOffset
        #expect(start == log.activeSegment.baseOffset && start > 20)
        #expect(Self.pairs(log) == [[3, start]])
        #expect(try Self.checkpointText(directory) == "0\n1\n3 \(start)\n")
        #expect(log.endOffset(forLeaderEpoch: 2) == (2, start), "older epochs end where the log now starts")
    }

    @Test func restartingTheLogAtAnOffsetEmptiesTheCache() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try threeEpochs(directory)
        try log.truncateFullyAndStart(at: 100, now: 0)
        #expect(log.leaderEpochCache.isEmpty && log.latestEpoch == nil)
        #expect(try Self.checkpointText(directory) == "0\n0\n")
        try Self.append(log, epoch: 6)
        #expect(Self.pairs(log) == [[6, 100]])
    }

    @Test func openDropsEpochsPastARecoveredEndAndRewritesTheFileBeforeTheNextRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try Self.append(log, epoch: 1, batches: 3)
        try Self.append(log, epoch: 2)
        // A crash tears the epoch-2 batch off; the checkpoint still lists epoch 2.
        let path = log.activeSegment.logPath
        let batches = try Fixtures.batches(inFile: path)
        let cut = batches[batches.count - 1].position
        try Fixtures.writeFile(path, Array(try Fixtures.readFile(path)[..<(cut + 10)]))
        let recovered = try Fixtures.open(directory)
        #expect(recovered.logEndOffset == 6)
        #expect(Self.pairs(recovered) == [[1, 0]])
        // Epoch 1 goes on over the offsets epoch 2 had; the file must not keep saying epoch 2 starts at 6.
        try Self.append(recovered, epoch: 1, batches: 2)
        #expect(try Self.checkpointText(directory) == "0\n1\n1 0\n")
        let again = try Fixtures.open(directory)
        #expect(Self.pairs(again) == [[1, 0]])
    }
}
