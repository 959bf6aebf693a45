import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// `appendAsFollower`: a follower's log holds the leader's batches byte for byte at the leader's
/// offsets, with the leader's epochs and producer state.
@Suite struct FollowerAppendTests {
    let config = LogConfig(segmentBytes: 700, indexIntervalBytes: 100)

    /// `records` as a batch at `offset` in leader epoch `epoch` (CRC unaffected).
    static func batch(at offset: Int64, epoch: Int32, count: Int = 2, producerId: Int64 = -1, producerEpoch: Int16 = -1,
                      sequence: Int32 = -1) throws -> ByteBuffer {
        var bytes = Fixtures.batch(count: count, firstValue: offset, producerId: producerId, producerEpoch: producerEpoch, baseSequence: sequence)
        _ = try bytes.assignRecordBatchOffsets(firstOffset: offset, partitionLeaderEpoch: epoch)
        return bytes
    }

    static func concatenated(_ buffers: [ByteBuffer]) -> ByteBuffer {
        var all = ByteBuffer()
        for var buffer in buffers { all.writeBuffer(&buffer) }
        return all
    }

    /// Every segment file's bytes, in order.
    static func allBytes(_ log: PartitionLog) throws -> [UInt8] {
        try log.segments.flatMap { try Fixtures.readFile($0.logPath) }
    }

    /// A leader log over several segments: three leader epochs, four codecs, an idempotent producer and
    /// a control batch.
    func makeLeader(_ directory: TemporaryDirectory) throws -> PartitionLog {
        let leader = try Fixtures.open(directory, config: config)
        var sequence: Int32 = 0
        for (index, epoch) in [1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4].enumerated() {
            let codec: CompressionCodec = [.none, .lz4, .gzip, .zstd][index % 4]
            let idempotent = index % 3 == 0
            let bytes = Fixtures.batch(count: index % 4 + 1, firstValue: leader.logEndOffset, timestamp: 1_000 + Int64(index), compression: codec,
                                       producerId: idempotent ? 7 : -1, producerEpoch: idempotent ? 0 : -1, baseSequence: idempotent ? sequence : -1,
                                       valuePadding: 40)
            if idempotent { sequence += Int32(index % 4 + 1) }
            try leader.append(bytes, leaderEpoch: Int32(epoch), now: 2_000)
            if index == 5 {
                var control = RecordBatchBuilder()
                control.append(.commit(coordinatorEpoch: 1), timestamp: 1_005)
                try leader.append(try control.build().bytes, leaderEpoch: 2, now: 2_000, allowControlBatches: true)
            }
        }
        #expect(leader.segments.count > 2)
        return leader
    }

    @Test func replicatesByteForByteAtTheLeadersOffsets() throws {
        let leaderDirectory = try TemporaryDirectory(), followerDirectory = try TemporaryDirectory()
        defer { leaderDirectory.remove(); followerDirectory.remove() }
        let leader = try makeLeader(leaderDirectory)
        let follower = try Fixtures.open(followerDirectory, config: config)
        while follower.logEndOffset < leader.logEndOffset {
            let fetchOffset = follower.logEndOffset
            let records = try leader.read(fetchOffset: fetchOffset, maxBytes: 300, minOneBatch: true).readRecords()
            let info = try follower.appendAsFollower(records, now: 5_000)
            #expect(info.firstOffset == fetchOffset && info.lastOffset == follower.logEndOffset - 1)
            #expect(info.validBytes == records.readableBytes && !info.isDuplicate && info.logAppendTime == -1)
        }
        #expect(try Self.allBytes(follower) == (try Self.allBytes(leader)), "the same bytes")
        #expect(follower.logEndOffset == leader.logEndOffset)
        #expect(follower.leaderEpochCache == leader.leaderEpochCache && follower.latestEpoch == 4)
        #expect(follower.producerState == leader.producerState && follower.producerState.entry(for: 7) != nil)
        #expect(follower.highWatermark == 0, "a follower learns its high watermark from the leader")
        for offset in stride(from: Int64(0), to: follower.logEndOffset, by: 3) {
            let mine = try follower.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true).readRecords()
            let theirs = try leader.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true).readRecords()
            #expect(mine == theirs, "the batch holding \(offset)")
        }
    }

    @Test func oneAppendRollsSegmentsAsNeededAndSurvivesACrash() throws {
        let leaderDirectory = try TemporaryDirectory(), followerDirectory = try TemporaryDirectory()
        defer { leaderDirectory.remove(); followerDirectory.remove() }
        let leader = try makeLeader(leaderDirectory)
        let everything = ByteBuffer(bytes: try Self.allBytes(leader))
        let follower = try Fixtures.open(followerDirectory, config: config)
        let info = try follower.appendAsFollower(everything, now: 5_000)
        #expect(info.firstOffset == 0 && info.lastOffset == leader.logEndOffset - 1 && info.validBytes == everything.readableBytes)
        #expect(follower.segments.count > 1)
        for segment in follower.segments { #expect(segment.size <= Int64(config.segmentBytes)) }
        #expect(try Self.allBytes(follower) == everything.getBytes(at: 0, length: everything.readableBytes))
        // Flushed after the rolls (the broker's maintenance pass), then more, not closed: reopening
        // recovers the same log.
        try follower.flush(now: 5_001)
        let reopened = try Fixtures.open(followerDirectory, config: config)
        #expect(reopened.logEndOffset == leader.logEndOffset)
        #expect(reopened.leaderEpochCache == leader.leaderEpochCache)
        #expect(Fixtures.lastBatches(reopened.producerState) == Fixtures.lastBatches(leader.producerState))
        #expect(reopened.openReport.producerStateReplayedFrom == reopened.activeSegment.baseOffset, "from the last roll's snapshot")
        #expect(try Self.allBytes(reopened) == (try Self.allBytes(leader)))
    }

    @Test func refusesBatchesThatOverlapTheLogOrEachOther() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = try Fixtures.open(directory, config: config)
        try follower.appendAsFollower(Self.concatenated([try Self.batch(at: 0, epoch: 1, count: 5), try Self.batch(at: 5, epoch: 1, count: 5)]), now: 0)
        #expect(follower.logEndOffset == 10)
        let size = follower.size
        #expect(throws: LogError.unexpectedAppendOffset(offset: 8, expectedAtLeast: 10)) {
            try follower.appendAsFollower(try Self.batch(at: 8, epoch: 1, count: 5), now: 0)
        }
        #expect(throws: LogError.unexpectedAppendOffset(offset: 11, expectedAtLeast: 12)) {
            try follower.appendAsFollower(Self.concatenated([try Self.batch(at: 10, epoch: 1), try Self.batch(at: 11, epoch: 1)]), now: 0)
        }
        #expect(throws: LogError.unexpectedAppendOffset(offset: 10, expectedAtLeast: 14)) {
            try follower.appendAsFollower(Self.concatenated([try Self.batch(at: 12, epoch: 1), try Self.batch(at: 10, epoch: 1)]), now: 0)
        }
        #expect(follower.logEndOffset == 10 && follower.size == size, "nothing written")
        #expect(LogError.unexpectedAppendOffset(offset: 8, expectedAtLeast: 10).errorCode == .unknownServerError)
    }

    @Test func acceptsTheGapsACompactedLeaderLeaves() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = try Fixtures.open(directory, config: config)
        try follower.appendAsFollower(try Self.batch(at: 0, epoch: 1), now: 0)
        try follower.appendAsFollower(Self.concatenated([try Self.batch(at: 5, epoch: 1), try Self.batch(at: 9, epoch: 2)]), now: 0)
        #expect(follower.logEndOffset == 11)
        #expect(follower.endOffset(forLeaderEpoch: 1) == (1, 9))
        let atGap = try RecordBatch(bytes: follower.read(fetchOffset: 3, maxBytes: 1, minOneBatch: true).readRecords())
        #expect(atGap.header.baseOffset == 5, "a fetch in a gap gets the next batch")
        // A gap past what the active segment's 32-bit relative offsets reach starts a new segment there.
        let far = Int64(Int32.max) + 100
        try follower.appendAsFollower(try Self.batch(at: far, epoch: 2), now: 0)
        #expect(follower.activeSegment.baseOffset == far && follower.logEndOffset == far + 2)
        let reopened = try Fixtures.open(directory, config: config)
        #expect(reopened.logEndOffset == far + 2 && reopened.segments.map(\.baseOffset) == [0, far])
    }

    @Test func refusesCorruptBatchesAndIgnoresAPartialTail() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = try Fixtures.open(directory, config: config)
        var corrupt = try Self.batch(at: 0, epoch: 1)
        let index = corrupt.readerIndex + RecordBatchHeader.size + 3
        corrupt.setInteger(corrupt.getInteger(at: index, as: UInt8.self)! ^ 0x01, at: index)
        let error = #expect(throws: LogError.self) { try follower.appendAsFollower(corrupt, now: 0) }
        #expect(error?.errorCode == .corruptMessage)
        #expect(follower.logEndOffset == 0 && follower.size == 0)

        let whole = try Self.batch(at: 0, epoch: 1)
        let next = try Self.batch(at: 2, epoch: 1)
        let torn = Self.concatenated([whole, next.getSlice(at: next.readerIndex, length: next.readableBytes - 7)!])
        let info = try follower.appendAsFollower(torn, now: 0)
        #expect(info.lastOffset == 1 && info.validBytes == whole.readableBytes && follower.logEndOffset == 2)
        let nothing = try follower.appendAsFollower(next.getSlice(at: next.readerIndex, length: 30)!, now: 0)
        #expect(nothing.validBytes == 0 && nothing.recordCount == 0 && nothing.firstOffset == -1 && follower.logEndOffset == 2)
    }

    @Test func acceptsControlBatchesThatAProducerCouldNotWrite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = try Fixtures.open(directory, config: config)
        var builder = RecordBatchBuilder(partitionLeaderEpoch: 3, producerId: 7, producerEpoch: 0, isTransactional: true)
        builder.append(.abort(coordinatorEpoch: 2), timestamp: 1_000)
        let marker = try builder.build().bytes
        #expect(throws: LogError.self) { try follower.append(marker, leaderEpoch: 3, now: 0) }
        try follower.appendAsFollower(marker, now: 0)
        #expect(follower.logEndOffset == 1 && follower.latestEpoch == 3)
        let entry = try #require(follower.producerState.entry(for: 7))
        #expect(entry.batches.isEmpty, "a marker continues no sequence")
        #expect(entry.coordinatorEpoch == 2 && entry.currentTransactionFirstOffset == nil, "it records the coordinator's epoch")
    }

    @Test func producerStateIsRecordedUncheckedAndRebuiltOnTruncation() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = try Fixtures.open(directory, config: config)
        try follower.appendAsFollower(try Self.batch(at: 0, epoch: 1, producerId: 9, producerEpoch: 0, sequence: 0), now: 0)
        // Sequence 5 after 0-1: the leader path would refuse it as out of order; a follower records it.
        #expect(follower.producerState.check(ProducerBatch(producerId: 9, producerEpoch: 0, firstSequence: 5, lastSequence: 6,
                                                           firstOffset: 2, lastOffset: 3, timestamp: 0)) != .append)
        try follower.appendAsFollower(try Self.batch(at: 2, epoch: 1, producerId: 9, producerEpoch: 0, sequence: 5), now: 0)
        let beforeBump = follower.producerState
        #expect(beforeBump.entry(for: 9)?.lastSequence == 6 && beforeBump.entry(for: 9)?.lastOffset == 3)
        // A new producer epoch starting at sequence 3 (the leader would want 0).
        try follower.appendAsFollower(try Self.batch(at: 4, epoch: 2, producerId: 9, producerEpoch: 1, sequence: 3), now: 0)
        #expect(follower.producerState.entry(for: 9)?.producerEpoch == 1 && follower.producerState.entry(for: 9)?.lastSequence == 4)

        try follower.truncate(to: 4, now: 0)
        #expect(follower.producerState == beforeBump, "rebuilt from the batches that remain")
        #expect(follower.latestEpoch == 1)
        let reopened = try Fixtures.open(directory, config: config)
        #expect(reopened.producerState == beforeBump)
    }
}
