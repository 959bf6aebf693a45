import KafkaProtocol
import Testing
@testable import KafkaTransactions

/// Transaction version 2 (KIP-890 part 2, EndTxn v5): every end bumps the epoch, the markers carry the
/// bumped epoch, the producer is told the epoch to continue with, and retries across the bump are
/// recognised; at the last epoch the producer moves to a new producer id.
@Suite struct TransactionVersion2Tests {
    /// "app" with producer 4000 at epoch 0 and an ongoing transaction over tp0 and tp1, added by
    /// their leaders (transaction version 2).
    func ongoing() -> CoordinatorHarness {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        h.addPartitions("app", 4_000, 0, [tp0, tp1], version: 2)
        h.completeAllAppends()
        h.replies.removeAll()
        return h
    }

    @Test func aCommitBumpsTheEpochWhichTheMarkersCarryAndTheProducerIsTold() throws {
        var h = ongoing()
        #expect(h.state("app")?.clientTransactionVersion == 2)
        let end = h.endTransaction("app", 4_000, 0, .commit, version: 2)
        let prepare = try #require(try h.appends.first?.record.decode().value)
        #expect(prepare.transactionStatus == TransactionState.prepareCommit.rawValue && prepare.producerEpoch == 1)
        #expect(h.reply(end) == nil, "answered once PrepareCommit is written")
        h.completeAppend()
        #expect(h.reply(end) == .endTransaction(requestID: end, .noError, producerID: 4_000, producerEpoch: 1))
        #expect(h.markers.map(\.producerEpoch) == [1] && h.markers.first?.partitions == [tp0, tp1])
        // While the markers are written the completion is pending, and Kafka answers every EndTxn
        // CONCURRENT_TRANSACTIONS (the producer retries), whatever its epoch or outcome.
        for (epoch, result) in [(Int16(0), TransactionResult.commit), (0, .abort), (1, .abort)] {
            let busy = h.endTransaction("app", 4_000, epoch, result, version: 2)
            #expect(h.reply(busy) == .endTransaction(requestID: busy, .concurrentTransactions))
        }
        h.answerMarkers()
        h.completeAllAppends()
        #expect(h.state("app")?.state == .completeCommit && h.state("app")?.producerEpoch == 1)

        // A retry of the commit with the old epoch: the same answer. An abort with the old epoch,
        // or a commit with the new one, is refused.
        let retry = h.endTransaction("app", 4_000, 0, .commit, version: 2)
        #expect(h.reply(retry) == .endTransaction(requestID: retry, .noError, producerID: 4_000, producerEpoch: 1))
        let abortRetry = h.endTransaction("app", 4_000, 0, .abort, version: 2)
        #expect(h.reply(abortRetry) == .endTransaction(requestID: abortRetry, .invalidTxnState))
        let commitAgain = h.endTransaction("app", 4_000, 1, .commit, version: 2)
        #expect(h.reply(commitAgain) == .endTransaction(requestID: commitAgain, .invalidTxnState))
        // An abort with the current epoch is an empty abort: one more bump, no markers.
        let emptyAbort = h.endTransaction("app", 4_000, 1, .abort, version: 2)
        h.completeAppend()
        #expect(h.reply(emptyAbort) == .endTransaction(requestID: emptyAbort, .noError, producerID: 4_000, producerEpoch: 2))
        h.completeAllAppends()
        #expect(h.state("app")?.state == .completeAbort && h.state("app")?.producerEpoch == 2 && h.markers.isEmpty, "nothing to mark")
        // The zombie at the old epoch is fenced.
        let zombie = h.addPartitions("app", 4_000, 1, [tp2], version: 2)
        #expect(h.reply(zombie) == .addPartitions(requestID: zombie, .producerFenced))
        // What the log says is what a new coordinator loads.
        let reloaded = h.reloaded()
        #expect(reloaded.transactions["app"]?.producerEpoch == 2 && reloaded.transactions["app"]?.state == .completeAbort)
    }

    @Test func atTheLastEpochTheEndMovesTheProducerToANewID() throws {
        var h = ongoing()
        h.coordinator.transactions["app"]?.producerEpoch = Int16.max - 1
        #expect(h.coordinator.needsNewProducerID(endingTransactionOf: "app", producerID: 4_000, producerEpoch: Int16.max - 1))
        #expect(!h.coordinator.needsNewProducerID(endingTransactionOf: "app", producerID: 4_000, producerEpoch: 3))
        let without = h.endTransaction("app", 4_000, Int16.max - 1, .commit, version: 2)
        #expect(h.reply(without) == .endTransaction(requestID: without, .concurrentTransactions), "the shell allocates first")
        let end = h.endTransaction("app", 4_000, Int16.max - 1, .commit, version: 2, newProducerID: 5_000)
        let prepare = try #require(try h.appends.first?.record.decode().value)
        #expect(prepare.producerID == 4_000 && prepare.producerEpoch == Int16.max)
        h.completeAppend()
        #expect(h.reply(end) == .endTransaction(requestID: end, .noError, producerID: 5_000, producerEpoch: 0))
        #expect(h.markers.first?.producerID == 4_000 && h.markers.first?.producerEpoch == Int16.max)
        // The producer already has its new id; until the move completes, a leader's add for it is
        // told to retry (not that the id is unknown).
        let early = h.addPartitions("app", 5_000, 0, [tp2], version: 2)
        #expect(h.reply(early) == .addPartitions(requestID: early, .concurrentTransactions))
        // A coordinator that takes over now finishes the move: the next producer id and the
        // transaction version are in the PrepareCommit record (tags 1 and 2).
        #expect(prepare.nextProducerID == 5_000 && prepare.clientTransactionVersion == 2)
        let successor = try #require(h.reloaded().transactions["app"])
        #expect(successor.nextProducerID == 5_000 && successor.clientTransactionVersion == 2 && successor.state == .prepareCommit)
        #expect(successor.producerAfterCompletion.id == 5_000 && successor.complete(now: h.now).producerID == 5_000)
        h.answerMarkers()
        let complete = try #require(try h.appends.first?.record.decode().value)
        #expect(complete.producerID == 5_000 && complete.producerEpoch == 0 && complete.previousProducerID == 4_000)
        #expect(complete.nextProducerID == -1)
        h.completeAllAppends()
        #expect(h.state("app")?.producerID == 5_000 && h.state("app")?.previousProducerID == 4_000)
        // A retry from before the move gets the same answer; the old id at another epoch is unknown.
        let retry = h.endTransaction("app", 4_000, Int16.max - 1, .commit, version: 2)
        #expect(h.reply(retry) == .endTransaction(requestID: retry, .noError, producerID: 5_000, producerEpoch: 0))
        let stale = h.endTransaction("app", 4_000, 3, .commit, version: 2)
        #expect(h.reply(stale) == .endTransaction(requestID: stale, .invalidProducerIDMapping))
        // The new id carries on.
        h.addPartitions("app", 5_000, 0, [tp2], version: 2)
        h.completeAllAppends()
        #expect(h.state("app")?.state == .ongoing)
    }

    /// Kafka 4.0 keeps the next producer id in memory only: its coordinator that takes over between
    /// PrepareCommit and CompleteCommit leaves the producer at Short.MAX_VALUE (Strom's writes it, but
    /// may load such a log). Its next end moves it to a new id without bumping past the maximum.
    @Test func aProducerLeftAtTheMaximumEpochMovesOnAtItsNextEnd() throws {
        var h = ongoing()
        h.coordinator.transactions["app"]?.producerEpoch = Int16.max
        h.coordinator.transactions["app"]?.state = .completeCommit
        h.coordinator.transactions["app"]?.partitions = []
        let end = h.endTransaction("app", 4_000, Int16.max, .abort, version: 2, newProducerID: 6_000)
        h.completeAllAppends()
        #expect(h.reply(end) == .endTransaction(requestID: end, .noError, producerID: 6_000, producerEpoch: 0))
        #expect(h.state("app")?.producerID == 6_000 && h.state("app")?.producerEpoch == 0)
    }

    @Test func fromEmptyOnlyAnAbortIsAcceptedAndAnOlderEndTxnVersionKeepsTheEpoch() {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        let commit = h.endTransaction("app", 4_000, 0, .commit, version: 2)
        #expect(h.reply(commit) == .endTransaction(requestID: commit, .invalidTxnState))
        let stale = h.endTransaction("app", 4_000, 1, .abort, version: 2)
        #expect(h.reply(stale) == .endTransaction(requestID: stale, .producerFenced))
        let abort = h.endTransaction("app", 4_000, 0, .abort, version: 2)
        h.completeAllAppends()
        #expect(h.reply(abort) == .endTransaction(requestID: abort, .noError, producerID: 4_000, producerEpoch: 1))
        // EndTxn v4 and older: no bump, no producer in the answer (transaction version 0).
        h.addPartitions("app", 4_000, 1, [tp0])
        h.completeAllAppends()
        #expect(h.state("app")?.clientTransactionVersion == 0)
        let old = h.endTransaction("app", 4_000, 1, .commit)
        h.completeAppend()
        #expect(h.reply(old) == .endTransaction(requestID: old, .noError))
        #expect(h.markers.last?.producerEpoch == 1)
    }

    /// A transaction version 0 record carries none of Kafka 4.0's tagged fields (they are at their
    /// defaults), so it is byte for byte what Kafka 3.9 writes: the value ends with an empty tagged
    /// field section. A version 2 one carries tag 2.
    @Test func onlyTransactionVersion2RecordsCarryTheTaggedFields() throws {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        h.addPartitions("app", 4_000, 0, [tp0])
        let v0 = try #require(h.appends.first?.record.value)
        #expect(v0.last == 0)
        h.completeAllAppends()
        h.addPartitions("app", 4_000, 0, [tp1], version: 2)
        let v2 = try #require(h.appends.first?.record)
        #expect(v2.value?.last != 0)
        #expect(try v2.decode().value?.clientTransactionVersion == 2)
    }
}
