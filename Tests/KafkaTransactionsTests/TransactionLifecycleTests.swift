import KafkaProtocol
import Testing
@testable import KafkaTransactions

/// Transcripts of one transactional id through Kafka's states, checking each answer, each record
/// written and each marker request.
@Suite struct TransactionLifecycleTests {
    @Test func aNewTransactionalIDGetsAProducerIDAtEpochZeroOnceTheEmptyStateIsWritten() throws {
        var h = CoordinatorHarness()
        let r = h.initProducerID("app-1", timeoutMs: 30_000)
        #expect(h.reply(r) == nil, "answered before the record is committed")
        #expect(h.appends.count == 1)
        let decoded = try h.appends[0].record.decode()
        #expect(decoded.transactionalID == "app-1")
        #expect(decoded.value?.producerID == 4_000 && decoded.value?.producerEpoch == 0)
        #expect(decoded.value?.transactionStatus == TransactionState.empty.rawValue)
        #expect(decoded.value?.transactionPartitions == nil, "Empty writes null partitions")
        #expect(decoded.value?.transactionTimeoutMs == 30_000)
        #expect(h.appends[0].partition == h.coordinator.partition(for: "app-1"))
        h.completeAppend()
        #expect(h.reply(r) == .initProducerID(requestID: r, .noError, producerID: 4_000, producerEpoch: 0))
        #expect(h.state("app-1")?.state == .empty)
    }

    @Test func aCommittedTransactionGoesThroughOngoingPrepareCommitMarkersAndCompleteCommit() throws {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        h.replies.removeAll()

        h.now = 2_000
        let add = h.addPartitions("app", 4_000, 0, [tp0, tp2])
        // While the Ongoing record is being written, the id is busy.
        let busy = h.addPartitions("app", 4_000, 0, [tp1])
        #expect(h.reply(busy) == .addPartitions(requestID: busy, .concurrentTransactions))
        h.completeAppend()
        #expect(h.reply(add) == .addPartitions(requestID: add, .noError))
        #expect(h.state("app")?.state == .ongoing)
        #expect(h.state("app")?.startTimestamp == 2_000)
        #expect(h.state("app")?.partitions == [tp0, tp2])
        let ongoing = try #require(try h.log.values.first?.last?.decode().value)
        #expect(ongoing.transactionPartitions == [
            TransactionLogValue.PartitionsSchema(topic: "orders", partitionIDs: [0]),
            TransactionLogValue.PartitionsSchema(topic: "payments", partitionIDs: [0]),
        ])

        // Partitions already in the transaction: answered at once, nothing written.
        let again = h.addPartitions("app", 4_000, 0, [tp0])
        #expect(h.reply(again) == .addPartitions(requestID: again, .noError) && h.appends.isEmpty)
        // A new partition extends the transaction without moving its start.
        h.now = 2_500
        h.addPartitions("app", 4_000, 0, [tp1])
        h.completeAppend()
        #expect(h.state("app")?.partitions == [tp0, tp1, tp2] && h.state("app")?.startTimestamp == 2_000)

        let end = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.markers.isEmpty, "markers wait for PrepareCommit to be written")
        h.completeAppend()
        #expect(h.reply(end) == .endTransaction(requestID: end, .noError))
        #expect(h.state("app")?.state == .prepareCommit)
        #expect(h.markers == [TransactionMarkers(
            transactionalID: "app", producerID: 4_000, producerEpoch: 0, result: .commit, coordinatorEpoch: 7, partitions: [tp0, tp1, tp2])])
        // Until CompleteCommit is written, the producer's next transaction must wait.
        let early = h.addPartitions("app", 4_000, 0, [tp0])
        #expect(h.reply(early) == .addPartitions(requestID: early, .concurrentTransactions))
        let retryEnd = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.reply(retryEnd) == .endTransaction(requestID: retryEnd, .concurrentTransactions))

        h.answerMarkers()
        #expect(h.appends.count == 1)
        let complete = try #require(try h.appends[0].record.decode().value)
        #expect(complete.transactionStatus == TransactionState.completeCommit.rawValue && complete.transactionPartitions == [])
        h.completeAppend()
        #expect(h.state("app")?.state == .completeCommit && h.state("app")?.partitions == [])
        #expect(h.state("app")?.pending == nil)

        // A retried EndTxn of the same outcome succeeds; the other outcome is refused.
        let retried = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.reply(retried) == .endTransaction(requestID: retried, .noError))
        let wrong = h.endTransaction("app", 4_000, 0, .abort)
        #expect(h.reply(wrong) == .endTransaction(requestID: wrong, .invalidTxnState))
        // The next transaction starts from CompleteCommit.
        h.now = 9_000
        h.addPartitions("app", 4_000, 0, [tp2])
        h.completeAppend()
        #expect(h.state("app")?.state == .ongoing && h.state("app")?.startTimestamp == 9_000 && h.state("app")?.partitions == [tp2])
    }

    @Test func endTxnOutsideATransactionOrWithTheWrongProducerIsRefused() {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        let empty = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.reply(empty) == .endTransaction(requestID: empty, .invalidTxnState))
        let wrongID = h.endTransaction("app", 4_001, 0, .abort)
        #expect(h.reply(wrongID) == .endTransaction(requestID: wrongID, .invalidProducerIDMapping))
        let wrongEpoch = h.endTransaction("app", 4_000, 1, .abort)
        #expect(h.reply(wrongEpoch) == .endTransaction(requestID: wrongEpoch, .producerFenced))
        let unknown = h.addPartitions("nobody", 4_000, 0, [tp0])
        #expect(h.reply(unknown) == .addPartitions(requestID: unknown, .invalidProducerIDMapping))
        let blank = h.endTransaction("", 4_000, 0, .abort)
        #expect(h.reply(blank) == .endTransaction(requestID: blank, .invalidRequest))
    }

    @Test func initProducerIDChecksTheTimeoutAndTheID() {
        var config = TransactionCoordinatorConfig()
        config.maxTimeoutMs = 60_000
        var h = CoordinatorHarness(config: config)
        for (id, timeout, expected) in [("a", Int32(60_001), ErrorCode.invalidTransactionTimeout), ("a", 0, .invalidTransactionTimeout), ("", 1_000, .invalidRequest)] {
            let r = h.initProducerID(id, timeoutMs: timeout)
            #expect(h.reply(r) == .initProducerID(requestID: r, expected, producerID: -1, producerEpoch: -1))
        }
        #expect(h.appends.isEmpty && h.coordinator.transactions.isEmpty)
        let ok = h.initProducerID("a", timeoutMs: 60_000)
        h.completeAppend()
        #expect(h.reply(ok) == .initProducerID(requestID: ok, .noError, producerID: 4_000, producerEpoch: 0))
    }

    @Test func anAbortedTransactionWritesPrepareAbortThenAbortMarkers() {
        var h = CoordinatorHarness.ongoing([tp0])
        let end = h.endTransaction("app", 4_000, 0, .abort)
        h.completeAppend()
        #expect(h.reply(end) == .endTransaction(requestID: end, .noError))
        #expect(h.markers.first?.result == .abort)
        h.answerMarkers()
        h.completeAppend()
        #expect(h.state("app")?.state == .completeAbort)
        let commitAfterAbort = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.reply(commitAfterAbort) == .endTransaction(requestID: commitAfterAbort, .invalidTxnState))
    }
}
