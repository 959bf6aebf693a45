import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

@Suite struct ProducerStateTests {
    func batch(_ id: Int64 = 7, epoch: Int16 = 0, first: Int32, count: Int32 = 1, offset: Int64 = 0) -> ProducerBatch {
        ProducerBatch(
            producerId: id, producerEpoch: epoch, firstSequence: first,
            lastSequence: ProducerBatch.sequence(first, plus: count - 1),
            firstOffset: offset, lastOffset: offset + Int64(count) - 1, timestamp: 100 + offset
        )
    }

    func state(_ batches: ProducerBatch...) -> ProducerStateManager {
        var state = ProducerStateManager()
        for batch in batches { state.update(batch) }
        return state
    }

    @Test func unknownProducerMayStartAnywhereUnlessPolicyRequiresZero() {
        let fresh = ProducerStateManager()
        #expect(fresh.check(batch(first: 0)) == .append)
        #expect(fresh.check(batch(first: 42)) == .append, "Kafka 2.5+: state may have been removed by retention")
        let strict = ProducerStateManager(unknownProducerPolicy: .requireSequenceZero)
        #expect(strict.check(batch(first: 0)) == .append)
        #expect(strict.check(batch(first: 42)) == .rejected(.unknownProducerID(producerId: 7, received: 42)))
        #expect(ProducerStateError.unknownProducerID(producerId: 7, received: 42).errorCode == .unknownProducerID)
    }

    @Test func sequenceMustFollowTheLastOne() {
        let s = state(batch(first: 0, count: 5, offset: 0))
        #expect(s.check(batch(first: 5, offset: 5)) == .append)
        #expect(s.check(batch(first: 6, offset: 5)) == .rejected(.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 5, received: 6)))
        #expect(s.check(batch(first: 3, offset: 5)) == .rejected(.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 5, received: 3)))
        #expect(ProducerStateError.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 5, received: 3).errorCode == .outOfOrderSequenceNumber)
    }

    @Test func sequenceWrapsAtInt32Max() {
        #expect(ProducerBatch.sequence(Int32.max - 1, plus: 3) == 1)
        let s = state(batch(first: Int32.max - 2, count: 3, offset: 0))
        #expect(s.entry(for: 7)?.lastSequence == Int32.max)
        #expect(s.check(batch(first: 0, offset: 3)) == .append)
        #expect(s.check(batch(first: Int32.max, offset: 3)) != .append)
        let wrapped = state(batch(first: Int32.max - 1, count: 4, offset: 0))
        #expect(wrapped.entry(for: 7)?.lastSequence == 1)
        #expect(wrapped.check(batch(first: 2, offset: 4)) == .append)
    }

    @Test func lowerEpochIsFenced() {
        let s = state(batch(epoch: 3, first: 0, offset: 0))
        #expect(s.check(batch(epoch: 2, first: 1, offset: 1)) == .rejected(.invalidProducerEpoch(producerId: 7, current: 3, received: 2)))
        #expect(ProducerStateError.invalidProducerEpoch(producerId: 7, current: 3, received: 2).errorCode == .invalidProducerEpoch)
    }

    @Test func newEpochMustStartAtSequenceZero() {
        let s = state(batch(epoch: 3, first: 0, count: 10, offset: 0))
        #expect(s.check(batch(epoch: 4, first: 0, offset: 10)) == .append)
        #expect(s.check(batch(epoch: 4, first: 10, offset: 10)) == .rejected(.outOfOrderSequence(producerId: 7, producerEpoch: 4, expected: 0, received: 10)))
        var bumped = s
        bumped.update(batch(epoch: 4, first: 0, offset: 10))
        #expect(bumped.entry(for: 7)?.batches.count == 1, "a new epoch forgets the old batches")
    }

    /// Transaction version 2: a marker at a bumped epoch leaves the producer at that epoch with no
    /// batch; its next batch must start the epoch at sequence 0 (Kafka's `checkSequence`), and one at
    /// the old epoch is a zombie's.
    @Test func afterAMarkerBumpedTheEpochTheNextBatchStartsAtZero() {
        var s = state(batch(epoch: 3, first: 0, count: 4, offset: 0))
        _ = s.apply(TransactionMarker(producerId: 7, producerEpoch: 4, coordinatorEpoch: 0, isAbort: false, offset: 4, timestamp: 200))
        #expect(s.entry(for: 7)?.producerEpoch == 4 && s.entry(for: 7)?.batches.isEmpty == true)
        #expect(s.check(batch(epoch: 4, first: 0, offset: 5)) == .append)
        #expect(s.check(batch(epoch: 4, first: 4, offset: 5)) == .rejected(.outOfOrderSequence(producerId: 7, producerEpoch: 4, expected: 0, received: 4)))
        #expect(s.check(batch(epoch: 3, first: 4, offset: 5)) == .rejected(.invalidProducerEpoch(producerId: 7, current: 4, received: 3)))
        // A marker at the same epoch (transaction version 0) keeps the batches: the sequence goes on.
        var same = state(batch(epoch: 3, first: 0, count: 4, offset: 0))
        _ = same.apply(TransactionMarker(producerId: 7, producerEpoch: 3, coordinatorEpoch: 0, isAbort: false, offset: 4, timestamp: 200))
        #expect(same.check(batch(epoch: 3, first: 4, offset: 5)) == .append)
    }

    @Test func duplicateOfTheLastFiveReturnsTheOriginalOffsets() {
        var s = ProducerStateManager()
        var offset: Int64 = 0
        for i in 0..<7 {
            s.update(batch(first: Int32(i * 2), count: 2, offset: offset))
            offset += 2
        }
        #expect(s.entry(for: 7)?.batches.count == 5)
        // Batches 2...6 are retained (sequences 4...13).
        let retry = batch(first: 6, count: 2, offset: 99)
        #expect(s.check(retry) == .duplicate(of: ProducerBatchMetadata(firstSequence: 6, lastSequence: 7, firstOffset: 6, lastOffset: 7, timestamp: 106)))
        #expect(s.check(batch(first: 2, count: 2, offset: 99)) == .rejected(.outOfOrderSequence(producerId: 7, producerEpoch: 0, expected: 14, received: 2)), "older than the last five")
        #expect(s.check(batch(first: 6, count: 3, offset: 99)) != .duplicate(of: ProducerBatchMetadata(firstSequence: 6, lastSequence: 7, firstOffset: 6, lastOffset: 7, timestamp: 106)), "a different range is no duplicate")
        if case .duplicate = s.check(batch(epoch: 1, first: 6, count: 2, offset: 99)) { Issue.record("another epoch is no duplicate") }
    }

    @Test func stagingChecksBatchesOfOneAppendAgainstEachOther() {
        let s = state(batch(first: 0, count: 2, offset: 0))
        var pending = ProducerStateManager.PendingUpdate()
        #expect(s.check(batch(first: 2, count: 3, offset: 2), staging: &pending) == .append)
        #expect(s.check(batch(first: 5, count: 1, offset: 5), staging: &pending) == .append)
        #expect(s.check(batch(first: 5, count: 1, offset: 6), staging: &pending) != .append)
        #expect(s.entry(for: 7)?.lastSequence == 1, "nothing applied yet")
        var applied = s
        applied.apply(pending)
        #expect(applied.entry(for: 7)?.lastSequence == 5)
    }

    @Test func producersEndingBeforeTheStartOffsetAreForgotten() {
        var s = state(batch(1, first: 0, offset: 0), batch(2, first: 0, offset: 10))
        s.removeProducers(lastOffsetBelow: 5)
        #expect(s.entry(for: 1) == nil && s.entry(for: 2) != nil)
    }
}

@Suite struct IdempotentAppendTests {
    func produce(_ log: PartitionLog, first: Int32, count: Int = 2, epoch: Int16 = 0, id: Int64 = 1000) throws -> AppendInfo {
        let bytes = Fixtures.batch(count: count, firstValue: log.logEndOffset, producerId: id, producerEpoch: epoch, baseSequence: first)
        return try log.append(bytes, leaderEpoch: 0, now: 0)
    }

    @Test func retriedBatchIsAcknowledgedWithoutBeingWrittenTwice() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        let first = try produce(log, first: 0)
        let second = try produce(log, first: 2)
        let size = log.size
        let retry = try log.append(Fixtures.batch(count: 2, firstValue: 0, producerId: 1000, producerEpoch: 0, baseSequence: 0), leaderEpoch: 0, now: 0)
        #expect(retry.isDuplicate && retry.firstOffset == first.firstOffset && retry.lastOffset == first.lastOffset)
        #expect(log.size == size && log.logEndOffset == second.lastOffset + 1)
        #expect(throws: LogError.producerState(.outOfOrderSequence(producerId: 1000, producerEpoch: 0, expected: 4, received: 9))) {
            try produce(log, first: 9)
        }
        #expect(throws: LogError.invalidBatch("producer 1000 batch without a sequence number")) { try produce(log, first: -1) }
        #expect(try produce(log, first: 4).firstOffset == second.lastOffset + 1)
    }

    @Test func producerStateIsRebuiltFromTheLogOnOpen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: LogConfig(segmentBytes: 400))
        var infos: [AppendInfo] = []
        for i in 0..<10 { infos.append(try produce(log, first: Int32(i * 2))) }
        _ = try produce(log, first: 0, epoch: 1, id: 2000)
        #expect(log.segments.count > 1)
        try log.flush(now: 0) // the broker's maintenance pass after the rolls
        // Crash (no close), reopen: duplicates of the last batch still recognised, sequences still
        // enforced. The state comes from the last roll's snapshot and the batches after it.
        let reopened = try Fixtures.open(directory, config: LogConfig(segmentBytes: 400))
        #expect(reopened.openReport.producerStateReplayedFrom == log.activeSegment.baseOffset)
        #expect(Fixtures.lastBatches(reopened.producerState) == Fixtures.lastBatches(log.producerState))
        let retry = try reopened.append(Fixtures.batch(count: 2, firstValue: 0, producerId: 1000, producerEpoch: 0, baseSequence: 18), leaderEpoch: 0, now: 0)
        #expect(retry.isDuplicate && retry.firstOffset == infos[9].firstOffset)
        #expect(throws: LogError.self) { try produce(reopened, first: 21) }
        #expect(throws: LogError.producerState(.invalidProducerEpoch(producerId: 2000, current: 1, received: 0))) {
            try produce(reopened, first: 2, epoch: 0, id: 2000)
        }
        #expect(try produce(reopened, first: 20).firstOffset == reopened.logEndOffset - 2)
    }
}

/// Kafka's `producer.id.expiration.ms`: an idle producer is forgotten, unless its transaction is open.
@Suite struct ProducerExpiryTests {
    @Test func idleProducersWithoutAnOpenTransactionAreForgotten() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory)
        try log.append(Fixtures.batch(count: 2, firstValue: 0, timestamp: 1_000, producerId: 1, producerEpoch: 0, baseSequence: 0),
                       leaderEpoch: 0, now: 1_000)
        try log.append(Fixtures.batch(count: 2, firstValue: 2, timestamp: 5_000, producerId: 2, producerEpoch: 0, baseSequence: 0),
                       leaderEpoch: 0, now: 5_000)
        var open = RecordBatchBuilder(producerId: 3, producerEpoch: 0, baseSequence: 0, isTransactional: true)
        open.append(timestamp: 1_000, key: nil, value: Array("txn".utf8))
        try log.append(try open.build().bytes, leaderEpoch: 0, now: 1_000)
        try log.appendMarker(producerId: 4, producerEpoch: 3, coordinatorEpoch: 0, isAbort: true, leaderEpoch: 0, now: 1_000)
        #expect(log.removeExpiredProducers(now: 10_999, expirationMs: 10_000) == 0, "none is 10 s idle yet (1 last wrote at 1,001)")
        #expect(log.removeExpiredProducers(now: 11_001, expirationMs: 10_000) == 2)
        #expect(log.producerState.producers.keys.sorted() == [2, 3], "1 and the marker-only 4 expired; 3's transaction is open")
        // An expired producer is unknown again: any sequence is accepted (Kafka 2.5+).
        try log.append(Fixtures.batch(count: 1, firstValue: 9, timestamp: 12_000, producerId: 1, producerEpoch: 0, baseSequence: 7),
                       leaderEpoch: 0, now: 12_000)
    }
}
