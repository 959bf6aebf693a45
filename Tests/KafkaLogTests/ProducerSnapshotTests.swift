import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// Producer state snapshots and `.txnindex` files: Kafka's file formats, written at roll and close, and
/// what opening and truncating restore from them: the same producer state (as a snapshot keeps it) and
/// the same aborted transactions as a replay of the whole log, while replaying only what follows the
/// snapshot.
@Suite struct ProducerSnapshotTests {
    static let config = LogConfig(segmentBytes: 700)

    func txnBatch(_ producerId: Int64, sequence: Int32, count: Int = 2) -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 0, baseSequence: sequence, isTransactional: true)
        for i in 0..<count { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: Array("p\(producerId)-\(sequence + Int32(i))".utf8)) }
        return try! builder.build().bytes
    }

    /// Transactions of producers 1-3 over several segments: 1 aborts, 2 commits, 1 aborts again, 3
    /// stays open; idempotent producer 9 writes between them.
    func writeTransactions(_ log: PartitionLog) throws {
        var sequence: [Int64: Int32] = [:]
        func txn(_ id: Int64) throws {
            try log.append(txnBatch(id, sequence: sequence[id, default: 0]), leaderEpoch: 0, now: 2_000)
            sequence[id, default: 0] += 2
        }
        func plain() throws {
            try log.append(Fixtures.batch(count: 3, firstValue: log.logEndOffset, producerId: 9, producerEpoch: 0,
                                          baseSequence: sequence[9, default: 0]), leaderEpoch: 0, now: 2_000)
            sequence[9, default: 0] += 3
        }
        try txn(1); try txn(2); try plain(); try txn(1)
        try log.appendMarker(producerId: 1, producerEpoch: 0, coordinatorEpoch: 1, isAbort: true, leaderEpoch: 0, now: 2_100)
        try plain(); try txn(2); try plain()
        try log.appendMarker(producerId: 2, producerEpoch: 0, coordinatorEpoch: 1, isAbort: false, leaderEpoch: 0, now: 2_200)
        for _ in 0..<3 { try plain() }
        try txn(1); try plain(); try txn(3)
        try log.appendMarker(producerId: 1, producerEpoch: 0, coordinatorEpoch: 1, isAbort: true, leaderEpoch: 0, now: 2_300)
        try plain()
        log.updateHighWatermark(log.logEndOffset)
    }

    @Test func snapshotAndTransactionIndexBytesAreKafkasFormats() throws {
        var state = ProducerStateManager()
        state.update(ProducerBatch(producerId: 5, producerEpoch: 3, firstSequence: 10, lastSequence: 12, firstOffset: 40, lastOffset: 42,
                                   timestamp: 77, isTransactional: true))
        let bytes = ProducerStateSnapshot.encode(state)
        var expectedBody: [UInt8] = [0, 0, 0, 1]                              // one entry
        expectedBody += [0, 0, 0, 0, 0, 0, 0, 5]                              // producer id
        expectedBody += [0, 3]                                                // epoch
        expectedBody += [0, 0, 0, 12]                                         // last sequence
        expectedBody += [0, 0, 0, 0, 0, 0, 0, 42]                             // last offset
        expectedBody += [0, 0, 0, 2]                                          // offset delta
        expectedBody += [0, 0, 0, 0, 0, 0, 0, 77]                             // timestamp
        expectedBody += [0xFF, 0xFF, 0xFF, 0xFF]                              // coordinator epoch -1
        expectedBody += [0, 0, 0, 0, 0, 0, 0, 40]                             // open transaction from 40
        let crc = CRC32C.checksum(expectedBody)
        let expected: [UInt8] = [0, 1, UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)] + expectedBody
        #expect(bytes == expected)
        let parsed = try #require(ProducerStateSnapshot.parse(bytes))
        #expect(Fixtures.lastBatches(ProducerStateManager(restoring: parsed, unknownProducerPolicy: .acceptAnySequence)) == Fixtures.lastBatches(state))
        var flipped = bytes
        flipped[bytes.count - 1] ^= 1
        #expect(ProducerStateSnapshot.parse(flipped) == nil, "the CRC covers the entries")
        #expect(ProducerStateSnapshot.parse(Array(bytes.dropLast())) == nil)

        let aborted = AbortedTransaction(producerId: 5, firstOffset: 40, lastOffset: 50, lastStableOffset: 45)
        let index = TransactionIndex.encode([aborted])
        #expect(index == [0, 0] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0, 0, 0, 0, 0, 0, 40] + [0, 0, 0, 0, 0, 0, 0, 50] + [0, 0, 0, 0, 0, 0, 0, 45])
        #expect(TransactionIndex.parse(index + index.prefix(20)) == [aborted], "a torn last entry is ignored")
        #expect(TransactionIndex.parse([0, 1] + index.dropFirst(2)) == nil, "another version is not an index")
    }

    @Test func openRestoresFromTheSnapshotCloseWroteWithTheAbortedTransactionsFromTheIndexes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        #expect(log.segments.count > 2 && log.abortedTransactions.count == 2)
        let end = log.logEndOffset
        try log.close()
        let dir = Fixtures.partitionDirectory(directory)
        #expect(FileSystem.exists(dir + "/" + LogFileNames.segmentFileName(baseOffset: end, suffix: ".snapshot")))
        // Each aborted transaction is in the `.txnindex` of the segment holding its marker.
        for aborted in log.abortedTransactions {
            let segment = log.segments.last { $0.baseOffset <= aborted.lastOffset }!
            #expect(try segment.readTransactionIndex()?.contains(aborted) == true)
        }
        let reopened = try Fixtures.open(directory, config: Self.config)
        #expect(reopened.openReport.producerStateReplayedFrom == end, "nothing replayed")
        #expect(reopened.abortedTransactions == log.abortedTransactions)
        #expect(Fixtures.lastBatches(reopened.producerState) == Fixtures.lastBatches(log.producerState))
        #expect(reopened.producerState.ongoingTransactions == log.producerState.ongoingTransactions && reopened.lastStableOffset == log.lastStableOffset)
    }

    /// Rolls write `.txnindex` entries and snapshots without fsync: a crash can keep a roll's snapshot
    /// and lose the entries of the segment it sealed. An open after a crash replays from a snapshot at
    /// or below the recovery point only, so those segments' indexes are rewritten from their markers.
    @Test func aCrashRebuildsTheTransactionIndexesAboveTheRecoveryPoint() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        #expect(!log.abortedTransactions.isEmpty && log.segments.count > 2 && log.recoveryPoint == 0)
        let dir = Fixtures.partitionDirectory(directory)
        for name in try FileSystem.list(dir) where name.hasSuffix(".txnindex") { try FileSystem.remove(dir + "/" + name) }
        #expect(try FileSystem.list(dir).contains { $0.hasSuffix(".snapshot") }, "the rolls' snapshots survived")
        let crashed = try Fixtures.open(directory, config: Self.config)
        #expect(crashed.openReport.producerStateReplayedFrom == 0)
        #expect(crashed.abortedTransactions == log.abortedTransactions)
        for aborted in log.abortedTransactions {
            let segment = crashed.segments.last { $0.baseOffset <= aborted.lastOffset }!
            #expect(try segment.readTransactionIndex()?.contains(aborted) == true, "entry for \(aborted) rewritten")
        }
    }

    @Test func aCrashReplaysFromTheLastRollsSnapshotAndEndsWhereAFullReplayDoes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        // No close: the last snapshot is the last roll's (at or below the recovery point once the
        // broker's maintenance pass flushed after the rolls).
        try log.flush(now: 0)
        let crashed = try Fixtures.open(directory, config: Self.config)
        #expect(crashed.openReport.producerStateReplayedFrom == log.activeSegment.baseOffset)
        #expect(crashed.abortedTransactions == log.abortedTransactions)
        #expect(Fixtures.lastBatches(crashed.producerState) == Fixtures.lastBatches(log.producerState))
        // Without snapshots (an older Strom's log) the whole log is replayed to the same state, and
        // the indexes are rewritten.
        let dir = Fixtures.partitionDirectory(directory)
        for name in try FileSystem.list(dir) where name.hasSuffix(".snapshot") || name.hasSuffix(".txnindex") {
            try FileSystem.remove(dir + "/" + name)
        }
        let replayed = try Fixtures.open(directory, config: Self.config)
        #expect(replayed.openReport.producerStateReplayedFrom == 0)
        #expect(replayed.abortedTransactions == log.abortedTransactions)
        #expect(Fixtures.lastBatches(replayed.producerState) == Fixtures.lastBatches(log.producerState))
        for aborted in log.abortedTransactions {
            let segment = replayed.segments.last { $0.baseOffset <= aborted.lastOffset }!
            #expect(try segment.readTransactionIndex() == [aborted])
        }
    }

    @Test func unreadableSnapshotsAndIndexesFallBackToAnOlderSnapshotOrAFullReplay() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        try log.close()
        let dir = Fixtures.partitionDirectory(directory)
        let snapshots = try PartitionLog.producerSnapshotOffsets(in: dir)
        #expect(snapshots.count >= 2)
        let newest = dir + "/" + LogFileNames.segmentFileName(baseOffset: snapshots.last!, suffix: ".snapshot")
        var bytes = try Fixtures.readFile(newest)
        bytes[bytes.count - 3] ^= 0x40
        try Fixtures.writeFile(newest, bytes)
        let older = try Fixtures.open(directory, config: Self.config)
        #expect(older.openReport.producerStateReplayedFrom == snapshots[snapshots.count - 2])
        #expect(!FileSystem.exists(newest), "removed")
        #expect(older.abortedTransactions == log.abortedTransactions)
        #expect(Fixtures.lastBatches(older.producerState) == Fixtures.lastBatches(log.producerState))
        try older.close()
        // A damaged transaction index below the snapshot: replay everything.
        let marker = log.abortedTransactions[0].lastOffset
        let holder = log.segments.last { $0.baseOffset <= marker }!
        try Fixtures.writeFile(holder.transactionIndexPath, [0, 7] + [UInt8](repeating: 1, count: 32))
        let replayed = try Fixtures.open(directory, config: Self.config)
        #expect(replayed.openReport.producerStateReplayedFrom == 0)
        #expect(replayed.abortedTransactions == log.abortedTransactions)
        #expect(try replayed.segments.last { $0.baseOffset <= marker }!.readTransactionIndex() == [log.abortedTransactions[0]], "rewritten")
        try replayed.close()
        // The segment holding the snapshot's offset may have been appended to after it: zeros a crash
        // left there, or an entry naming no ABORT marker, are not trusted either.
        let active = replayed.activeSegment
        let forged = AbortedTransaction(producerId: 9, firstOffset: active.baseOffset, lastOffset: active.baseOffset + 1, lastStableOffset: 0)
        for bytes in [[UInt8](repeating: 0, count: TransactionIndex.entrySize), TransactionIndex.encode([forged])] {
            try Fixtures.writeFile(active.transactionIndexPath, bytes)
            try Fixtures.writeFile(dir + "/" + LogFileNames.cleanShutdownMarker, [])
            let again = try Fixtures.open(directory, config: Self.config)
            #expect(again.openReport.producerStateReplayedFrom == 0)
            #expect(again.abortedTransactions == log.abortedTransactions)
            try again.close()
        }
    }

    @Test func snapshotsBelowTheLogStartOffsetAreRemovedAndNeverUsed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        let dir = Fixtures.partitionDirectory(directory)
        let snapshots = try PartitionLog.producerSnapshotOffsets(in: dir)
        let start = snapshots[1] + 1
        try log.deleteRecords(before: start)
        #expect(try PartitionLog.producerSnapshotOffsets(in: dir) == snapshots.filter { $0 >= start })
        let crashed = try Fixtures.open(directory, config: Self.config)
        #expect(crashed.logStartOffset == start && crashed.openReport.producerStateReplayedFrom >= start)
    }

    @Test func aSnapshotAboveTheCheckpointedHighWatermarkIsNotUsed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        try log.close()
        let reopened = try PartitionLog.open(logDirectory: directory.path, topic: Fixtures.topic, partition: 0, config: Self.config, now: 1_000,
                                             checkpointed: CheckpointedOffsets(recoveryPoint: log.logEndOffset, highWatermark: log.logEndOffset - 1))
        #expect(reopened.openReport.producerStateReplayedFrom < log.logEndOffset - 1)
        #expect(reopened.abortedTransactions == log.abortedTransactions)
    }

    @Test func truncationRemovesLaterSnapshotsAndRestoresWhatAReplayOfTheRestWouldGive() throws {
        let directory = try TemporaryDirectory(), reference = try TemporaryDirectory()
        defer { directory.remove(); reference.remove() }
        let log = try Fixtures.open(directory, config: Self.config)
        try writeTransactions(log)
        try log.close()
        let follower = try Fixtures.open(directory, config: Self.config)
        try #require(follower.abortedTransactions.count == 2)
        let secondAbort = follower.abortedTransactions[1].lastOffset
        let cut = secondAbort
        let snapshotsBefore = try PartitionLog.producerSnapshotOffsets(in: Fixtures.partitionDirectory(directory))
        try follower.truncate(to: cut, now: 3_000)
        let snapshotsAfter = try PartitionLog.producerSnapshotOffsets(in: Fixtures.partitionDirectory(directory))
        #expect(snapshotsAfter == snapshotsBefore.filter { $0 <= cut } && snapshotsAfter.count < snapshotsBefore.count)
        #expect(follower.abortedTransactions == [log.abortedTransactions[0]])
        #expect(follower.producerState.ongoingTransactions.keys.sorted() == [1, 3], "1's second transaction is open again")
        // The same as a log holding only the batches below the cut, replayed from its start.
        let copy = try Fixtures.open(reference, config: LogConfig(segmentBytes: 1 << 20))
        var offset: Int64 = 0
        while offset < cut {
            let records = try follower.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true).readRecords()
            try #require(records.readableBytes > 0)
            try copy.appendAsFollower(records, now: 3_000)
            offset = copy.logEndOffset
        }
        #expect(copy.logEndOffset == cut)
        #expect(Fixtures.lastBatches(follower.producerState) == Fixtures.lastBatches(copy.producerState))
        #expect(follower.abortedTransactions == copy.abortedTransactions)
        let holder = follower.segments.last { $0.baseOffset <= secondAbort }!
        #expect(try holder.readTransactionIndex()?.contains { $0.lastOffset >= cut } == false, "the truncated segment's index lost the entry")
    }
}
