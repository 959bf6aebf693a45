import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// Transactions in a partition log: open transactions hold the last stable offset back, markers end
/// them, aborted ones are remembered for read_committed fetches, and all of it comes back the same
/// after a reopen, on a follower, and after truncation.
@Suite struct TransactionalLogTests {
    func txnBatch(_ producerId: Int64, epoch: Int16 = 0, sequence: Int32, count: Int = 2, transactional: Bool = true) -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: epoch, baseSequence: sequence, isTransactional: transactional)
        for i in 0..<count { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: Array("p\(producerId)-\(sequence + Int32(i))".utf8)) }
        return try! builder.build().bytes
    }

    /// Producer 1 writes offsets 0-1 and 4-5 in one transaction, producer 2 writes 2-3 in another;
    /// producer 1 aborts at 6, producer 2 commits at 7.
    func interleaved(_ log: PartitionLog) throws {
        try log.append(txnBatch(1, sequence: 0), leaderEpoch: 0, now: 2_000)
        try log.append(txnBatch(2, sequence: 0), leaderEpoch: 0, now: 2_000)
        try log.append(txnBatch(1, sequence: 2), leaderEpoch: 0, now: 2_000)
        try log.appendMarker(producerId: 1, producerEpoch: 0, coordinatorEpoch: 3, isAbort: true, leaderEpoch: 0, now: 2_100)
        try log.appendMarker(producerId: 2, producerEpoch: 0, coordinatorEpoch: 3, isAbort: false, leaderEpoch: 0, now: 2_200)
    }

    @Test func anOpenTransactionHoldsTheLastStableOffsetUntilItsMarkerIsBelowTheHighWatermark() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        try log.append(Fixtures.batch(count: 3, firstValue: 0), leaderEpoch: 0, now: 2_000)
        try log.append(txnBatch(9, sequence: 0), leaderEpoch: 0, now: 2_000)
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.highWatermark == 5 && log.lastStableOffset == 3)
        try log.append(Fixtures.batch(count: 2, firstValue: 5), leaderEpoch: 0, now: 2_000)
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 3, "records after an open transaction are not stable either")
        let marker = try log.appendMarker(producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, isAbort: false, leaderEpoch: 0, now: 2_100)
        #expect(marker.firstOffset == 7 && log.logEndOffset == 8)
        #expect(log.lastStableOffset == 3, "the marker is not replicated yet")
        log.updateHighWatermark(7)
        #expect(log.lastStableOffset == 3)
        log.updateHighWatermark(8)
        #expect(log.lastStableOffset == 8)
        #expect(log.abortedTransactions.isEmpty, "a commit is not an aborted transaction")
        let records = try log.read(fetchOffset: 7, maxBytes: 1 << 20, minOneBatch: true).readRecords()
        let header = try RecordBatchHeader(parsing: records)
        #expect(header.isControl && header.isTransactional && header.producerId == 9 && header.baseSequence == -1)
    }

    @Test func anAbortIsRecordedWithTheLastStableOffsetAfterItAndFetchesCollectIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        try interleaved(log)
        // When producer 1 aborted, producer 2's transaction from offset 2 was still open.
        #expect(log.abortedTransactions == [AbortedTransaction(producerId: 1, firstOffset: 0, lastOffset: 6, lastStableOffset: 2)])
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 8)
        #expect(log.abortedTransactions(from: 0, upTo: 8).map(\.producerId) == [1])
        #expect(log.abortedTransactions(from: 7, upTo: 8).isEmpty, "fetching past the abort marker")
        #expect(log.abortedTransactions(from: 0, upTo: 0).isEmpty, "no data below the transaction's start")
    }

    @Test func markersAndBatchesAreCheckedAgainstTheProducersTransaction() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = try Fixtures.open(dir)
        try log.append(txnBatch(1, epoch: 2, sequence: 0), leaderEpoch: 0, now: 2_000)
        #expect(throws: LogError.producerState(.invalidTxnState(producerId: 1, transactionFirstOffset: 0))) {
            try log.append(txnBatch(1, epoch: 2, sequence: 2, transactional: false), leaderEpoch: 0, now: 2_000)
        }
        #expect(throws: LogError.producerState(.invalidProducerEpoch(producerId: 1, current: 2, received: 1))) {
            try log.appendMarker(producerId: 1, producerEpoch: 1, coordinatorEpoch: 5, isAbort: true, leaderEpoch: 0, now: 2_000)
        }
        try log.appendMarker(producerId: 1, producerEpoch: 3, coordinatorEpoch: 5, isAbort: true, leaderEpoch: 0, now: 2_000)
        #expect(log.producerState.entry(for: 1)?.producerEpoch == 3, "a fencing marker bumps the producer's epoch")
        #expect(throws: LogError.producerState(.coordinatorFenced(producerId: 1, current: 5, received: 4))) {
            try log.appendMarker(producerId: 1, producerEpoch: 3, coordinatorEpoch: 4, isAbort: true, leaderEpoch: 0, now: 2_000)
        }
        // With the transaction ended, the producer may write outside one again.
        try log.append(txnBatch(1, epoch: 3, sequence: 0, transactional: false), leaderEpoch: 0, now: 2_000)
        #expect(log.producerState.ongoingTransactions.isEmpty)
    }

    @Test func reopeningAFollowerAndTruncationRebuildTheSameTransactions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var log = try Fixtures.open(dir)
        try interleaved(log)
        try log.append(txnBatch(3, sequence: 0), leaderEpoch: 0, now: 2_300)
        let aborted = log.abortedTransactions
        let ongoing = log.producerState.ongoingTransactions
        #expect(ongoing == [3: 8])
        try log.close()
        log = try Fixtures.open(dir)
        #expect(log.abortedTransactions == aborted && log.producerState.ongoingTransactions == ongoing)
        #expect(log.producerState.entry(for: 1)?.coordinatorEpoch == 3)

        let followerDir = try TemporaryDirectory()
        defer { followerDir.remove() }
        let follower = try Fixtures.open(followerDir)
        let fetched = try log.read(fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true).readRecords()
        try follower.appendAsFollower(fetched, now: 3_000)
        #expect(follower.abortedTransactions == aborted && follower.producerState.ongoingTransactions == ongoing)

        // Truncating below producer 2's COMMIT reopens its transaction; below the ABORT, producer 1's.
        try log.truncate(to: 7, now: 4_000)
        #expect(log.abortedTransactions == aborted && log.producerState.ongoingTransactions == [2: 2])
        try log.truncate(to: 6, now: 4_000)
        #expect(log.abortedTransactions.isEmpty && log.producerState.ongoingTransactions == [1: 0, 2: 2])
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 0)
    }
}
