import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// The log cleaner and transactions (Kafka's `Cleaner` with `AbortedTransactionMetadata`): an aborted
/// value never enters the key map, so the committed value before it survives cleaning (a consumer
/// skips the aborted one, and a coordinator replaying `__consumer_offsets` drops it with its marker:
/// without this, cleaning would lose the offset a group committed); and nothing at or past the last
/// stable offset is cleaned, since an open transaction may still abort.
@Suite struct TransactionalCompactionTests {
    /// A transactional batch of producer 7 with `records`.
    static func transactional(_ records: [(String?, String?)], sequence: Int32) -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: 7, producerEpoch: 0, baseSequence: sequence, isTransactional: true)
        for (i, (key, value)) in records.enumerated() {
            builder.append(timestamp: 1_000 + Int64(i), key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) })
        }
        return try! builder.build().bytes
    }

    @Test func anAbortedValueDoesNotMakeTheCommittedOneBeforeItGo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config())
        try log.append(Compaction.batch([("a", "committed-a"), ("b", "committed-b")]), leaderEpoch: 1, now: 1_000)
        try log.append(Self.transactional([("a", "aborted-a")], sequence: 0), leaderEpoch: 1, now: 1_000)
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, isAbort: true, leaderEpoch: 1, now: 1_100)
        try log.append(Self.transactional([("b", "committed-txn-b")], sequence: 1), leaderEpoch: 1, now: 1_200)
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, isAbort: false, leaderEpoch: 1, now: 1_300)
        try log.roll(now: 5_000)
        log.updateHighWatermark(log.logEndOffset)
        #expect(try Compaction.clean(log, now: 10_000) != nil)
        let values = try Compaction.readAll(log).compactMap(\.value)
        #expect(values.contains("committed-a"), "the aborted value did not supersede it")
        #expect(!values.contains("committed-b") && values.contains("committed-txn-b"), "a committed transaction's value does")
    }

    @Test func nothingAtOrPastTheLastStableOffsetIsCleaned() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Fixtures.open(directory, config: Compaction.config())
        try log.append(Compaction.batch([("a", "v0")]), leaderEpoch: 1, now: 1_000)
        try log.roll(now: 2_000)
        try log.append(Self.transactional([("a", "open")], sequence: 0), leaderEpoch: 1, now: 2_000)
        try log.roll(now: 3_000)
        try log.append(Compaction.batch([("a", "v2")]), leaderEpoch: 1, now: 3_000)
        try log.roll(now: 4_000)
        log.updateHighWatermark(log.logEndOffset)
        #expect(log.lastStableOffset == 1, "the transaction at 1 is open")
        // Only the segment below the open transaction may be cleaned: nothing supersedes its record there.
        if let plan = try log.cleaningPlan(now: 10_000, byteBudget: 1 << 30) {
            #expect(plan.endOffset <= 1)
        }
        try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, isAbort: true, leaderEpoch: 1, now: 5_000)
        try log.roll(now: 6_000)
        log.updateHighWatermark(log.logEndOffset)
        #expect(try Compaction.clean(log, now: 10_000) != nil)
        let values = try Compaction.readAll(log).compactMap(\.value)
        #expect(values.contains("v2") && !values.contains("v0"), "once the transaction ended, the later value supersedes")
    }

    static let markerConfig = Compaction.config(segmentBytes: 1 << 20, deleteRetentionMs: 1_000)

    /// A compacted log (1 s delete retention) where producer 7 wrote "c" = "aborted-c" in a transaction
    /// that an ABORT of `markerEpoch` ended (1: a fence bumped the epoch); returns the marker's offset.
    static func abortedTransaction(in directory: TemporaryDirectory, markerEpoch: Int16) throws -> (PartitionLog, Int64) {
        let log = try Fixtures.open(directory, config: markerConfig)
        try log.append(Self.transactional([("c", "aborted-c")], sequence: 0), leaderEpoch: 1, now: 1_000)
        let marker = try log.appendMarker(producerId: 7, producerEpoch: markerEpoch, coordinatorEpoch: 0, isAbort: true, leaderEpoch: 1, now: 1_100)
        return (log, marker.firstOffset)
    }

    /// Every batch header of the log, in offset order.
    static func headers(_ log: PartitionLog) throws -> [RecordBatchHeader] {
        var headers: [RecordBatchHeader] = []
        for segment in log.segments { try segment.forEachBatchHeader { header, _ in headers.append(header) } }
        return headers
    }

    /// Appends a plain batch and rolls, so the next round has something dirty.
    static func dirty(_ log: PartitionLog, _ value: String, now: Int64) throws {
        try log.append(Compaction.batch([("k-\(value)", value)]), leaderEpoch: 1, now: now)
        try log.roll(now: now)
        log.updateHighWatermark(log.logEndOffset)
    }

    /// Kafka's rules: an aborted transaction's records go in the first round; its marker stays that
    /// round (listed in the cleaned segment's `.txnindex`), gets a delete horizon the next round, and
    /// goes once the horizon passed; a COMMIT marker likewise once its transaction has no batch left.
    @Test func abortedRecordsGoFirstAndMarkersAfterTheirDeleteHorizon() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, abort) = try Self.abortedTransaction(in: directory, markerEpoch: 0)
        try log.append(Self.transactional([("a", "txn-a")], sequence: 1), leaderEpoch: 1, now: 1_200)
        let commit = try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, isAbort: false, leaderEpoch: 1, now: 1_300).firstOffset
        try log.append(Self.transactional([("z", "txn-z")], sequence: 2), leaderEpoch: 1, now: 1_400)
        let lastCommit = try log.appendMarker(producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, isAbort: false, leaderEpoch: 1, now: 1_500).firstOffset
        try log.append(Compaction.batch([("a", "plain-a")]), leaderEpoch: 1, now: 1_600)
        try log.roll(now: 5_000)
        log.updateHighWatermark(log.logEndOffset)
        let aborted = try #require(log.abortedTransactions.first)

        let first = try #require(try Compaction.clean(log, now: 10_000))
        #expect(first.stats.abortedRecordsRemoved == 1 && first.stats.markersRemoved == 0)
        var values = try Compaction.readAll(log).compactMap(\.value)
        #expect(!values.contains("aborted-c") && !values.contains("txn-a") && values.contains("txn-z") && values.contains("plain-a"))
        var markers = try Self.headers(log).filter(\.isControl)
        #expect(markers.map(\.baseOffset) == [abort, commit, lastCommit], "markers stay while their transactions' batches go")
        #expect(markers.allSatisfy { !$0.attributes.hasDeleteHorizon })
        #expect(try log.abortedTransactions == [aborted] && log.segments[0].readTransactionIndex() == [aborted])

        try Self.dirty(log, "d1", now: 20_000)
        let second = try #require(try Compaction.clean(log, now: 20_000))
        #expect(second.stats.markersRemoved == 0)
        markers = try Self.headers(log).filter(\.isControl)
        #expect(markers.map(\.baseOffset) == [abort, commit, lastCommit])
        #expect(markers.map(\.attributes.hasDeleteHorizon) == [true, true, false], "the last commit's batch is still there")
        #expect(markers.filter(\.attributes.hasDeleteHorizon).allSatisfy { $0.baseTimestamp == 21_000 })
        #expect(try log.abortedTransactions.isEmpty && log.segments[0].readTransactionIndex() == [], "no batches left to skip")

        try Self.dirty(log, "d2", now: 20_500)
        #expect(try Compaction.clean(log, now: 20_500)?.stats.markersRemoved == 0, "before the horizon")
        try Self.dirty(log, "d3", now: 21_000)
        let fourth = try #require(try Compaction.clean(log, now: 21_000))
        #expect(fourth.stats.markersRemoved == 2)
        #expect(try Self.headers(log).filter(\.isControl).map(\.baseOffset) == [lastCommit])
        values = try Compaction.readAll(log).compactMap(\.value)
        #expect(values.contains("txn-z") && values.contains("plain-a"))
        // What was decided survives a reopen: no aborted transaction, the producer's state as it was.
        let state = Fixtures.lastBatches(log.producerState)
        try log.close()
        let reopened = try Fixtures.open(directory, config: Self.markerConfig)
        #expect(reopened.abortedTransactions.isEmpty && Fixtures.lastBatches(reopened.producerState) == state)
    }

    /// A producer whose state holds only a marker (its epoch was bumped by an abort) keeps that
    /// marker as an empty batch, so the bumped epoch still fences its zombie after cleaning.
    @Test func theMarkerOfAProducerWithNoBatchesLeftStaysEmpty() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, fence) = try Self.abortedTransaction(in: directory, markerEpoch: 1)
        #expect(log.producerState.entry(for: 7)?.lastOffset == nil, "the epoch bump forgot the batch")
        try Self.dirty(log, "d0", now: 5_000)
        try Compaction.clean(log, now: 10_000)
        try Self.dirty(log, "d1", now: 10_000)
        try Compaction.clean(log, now: 10_000)
        try Self.dirty(log, "d2", now: 12_000)
        let last = try #require(try Compaction.clean(log, now: 12_000))
        #expect(last.stats.markersRemoved == 1)
        let kept = try #require(try Self.headers(log).first { $0.producerId == 7 })
        #expect(kept.isControl && kept.baseOffset == fence && kept.recordCount == 0 && kept.producerEpoch == 1)
        #expect(throws: LogError.producerState(.invalidProducerEpoch(producerId: 7, current: 1, received: 0))) {
            try log.append(Self.transactional([("c", "zombie")], sequence: 1), leaderEpoch: 1, now: 13_000)
        }
        // Later rounds keep it while it carries the epoch, and so does a reopen.
        try Self.dirty(log, "d3", now: 13_000)
        try Compaction.clean(log, now: 13_000)
        #expect(try Self.headers(log).contains { $0.producerId == 7 && $0.isControl && $0.recordCount == 0 })
        try log.close()
        let reopened = try Fixtures.open(directory, config: Self.markerConfig)
        #expect(reopened.producerState.entry(for: 7)?.producerEpoch == 1)
        #expect(throws: LogError.producerState(.invalidProducerEpoch(producerId: 7, current: 1, received: 0))) {
            try reopened.append(Self.transactional([("c", "zombie")], sequence: 1), leaderEpoch: 1, now: 14_000)
        }
    }

    /// An emptied marker that no longer carries a producer's epoch goes in the next round (Kafka's
    /// DELETE_EMPTY); the snapshots of the segments a round replaced go with them.
    @Test func anEmptiedMarkerGoesOnceItCarriesNothingAndReplacedSegmentsSnapshotsGo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (log, fence) = try Self.abortedTransaction(in: directory, markerEpoch: 1)
        for (value, now) in [("d0", Int64(5_000)), ("d1", 10_000), ("d2", 12_000)] {
            try Self.dirty(log, value, now: now)
            try Compaction.clean(log, now: now)
        }
        #expect(try Self.headers(log).contains { $0.baseOffset == fence && $0.recordCount == 0 })
        // The producer writes again at its new epoch: the emptied marker carries nothing now.
        var builder = RecordBatchBuilder(producerId: 7, producerEpoch: 1, baseSequence: 0, isTransactional: false)
        builder.append(timestamp: 13_000, key: Array("c".utf8), value: Array("again".utf8))
        try log.append(try builder.build().bytes, leaderEpoch: 1, now: 13_000)
        try Self.dirty(log, "d3", now: 13_000)
        let dir = Fixtures.partitionDirectory(directory)
        let replaced = log.segments.dropFirst().dropLast().map(\.baseOffset)
        let snapshotsBefore = try PartitionLog.producerSnapshotOffsets(in: dir)
        try #require(!replaced.isEmpty)
        #expect(snapshotsBefore.contains(replaced[0]), "the roll's snapshot")
        let round = try #require(try Compaction.clean(log, now: 13_000))
        #expect(round.stats.batchesDropped >= 1)
        #expect(try !Self.headers(log).contains { $0.baseOffset == fence })
        let boundaries = Set(log.segments.map(\.baseOffset)).union([log.logEndOffset])
        #expect(try PartitionLog.producerSnapshotOffsets(in: dir).allSatisfy { boundaries.contains($0) },
                "no snapshot names a replaced segment")
        #expect(!boundaries.contains(replaced[0]))
    }
}
