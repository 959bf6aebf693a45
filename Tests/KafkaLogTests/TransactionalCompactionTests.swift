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
}
