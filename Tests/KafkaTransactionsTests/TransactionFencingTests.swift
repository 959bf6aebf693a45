import KafkaProtocol
import Testing
@testable import KafkaTransactions

/// Epoch bumps and fencing: a second producer with the same transactional id, a transaction past its
/// timeout, a producer re-initialising with its own id (KIP-360), an exhausted epoch.
@Suite struct TransactionFencingTests {
    @Test func aSecondProducerAbortsTheOngoingTransactionWithABumpedEpochAndRetries() throws {
        var h = CoordinatorHarness.ongoing([tp0])
        let first = h.initProducerID("app")
        let fence = try #require(try h.appends.first?.record.decode().value)
        #expect(fence.transactionStatus == TransactionState.prepareAbort.rawValue && fence.producerEpoch == 1)
        h.completeAppend()
        #expect(h.reply(first) == .initProducerID(requestID: first, .concurrentTransactions, producerID: -1, producerEpoch: -1))
        #expect(h.markers.first?.producerEpoch == 1 && h.markers.first?.result == .abort)
        // The fenced producer can neither commit nor add partitions.
        let zombie = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.reply(zombie) == .endTransaction(requestID: zombie, .producerFenced))
        // The new producer's retry waits for the abort to complete…
        let retry = h.initProducerID("app")
        #expect(h.reply(retry) == .initProducerID(requestID: retry, .concurrentTransactions, producerID: -1, producerEpoch: -1))
        h.answerMarkers()
        h.completeAppend()
        #expect(h.state("app")?.state == .completeAbort)
        // …then gets the next epoch.
        let last = h.initProducerID("app")
        h.completeAppend()
        #expect(h.reply(last) == .initProducerID(requestID: last, .noError, producerID: 4_000, producerEpoch: 2))
    }

    @Test func aTransactionPastItsTimeoutIsAbortedAtTheNextScanAndItsProducerFenced() throws {
        var h = CoordinatorHarness.ongoing([tp0])
        let timeout = Int64(h.state("app")!.timeoutMs), start = h.state("app")!.startTimestamp
        h.tick(to: start + timeout)
        #expect(h.appends.isEmpty, "not past the timeout yet")
        h.tick(to: start + timeout + 10_000)
        let abort = try #require(try h.appends.first?.record.decode().value)
        #expect(abort.transactionStatus == TransactionState.prepareAbort.rawValue && abort.producerEpoch == 1)
        h.completeAppend()
        #expect(h.replies.isEmpty)
        h.answerMarkers()
        h.completeAppend()
        #expect(h.state("app")?.state == .completeAbort && h.state("app")?.producerEpoch == 1)
        let late = h.endTransaction("app", 4_000, 0, .commit)
        #expect(h.reply(late) == .endTransaction(requestID: late, .producerFenced))
    }

    @Test func aFenceWhoseAppendFailedChangesNothingAndTheNextFenceUsesTheSameEpoch() throws {
        var h = CoordinatorHarness.ongoing([tp0])
        let r = h.initProducerID("app")
        h.completeAppend(.notEnoughReplicas)
        #expect(h.reply(r) == .initProducerID(requestID: r, .coordinatorNotAvailable, producerID: -1, producerEpoch: -1))
        #expect(h.state("app")?.state == .ongoing && h.state("app")?.producerEpoch == 0 && h.state("app")?.pending == nil)
        h.initProducerID("app")
        #expect(try h.appends.first?.record.decode().value?.producerEpoch == 1)
    }

    @Test func aProducerRecoveringWithItsOwnIDAndEpochKeepsItsIDAndARetryGetsTheSameAnswer() {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        let recover = h.initProducerID("app", expected: ProducerIDAndEpoch(producerID: 4_000, epoch: 0))
        h.completeAppend()
        #expect(h.reply(recover) == .initProducerID(requestID: recover, .noError, producerID: 4_000, producerEpoch: 1))
        // The response was lost; the retry still names epoch 0, which is now the last epoch.
        let retry = h.initProducerID("app", expected: ProducerIDAndEpoch(producerID: 4_000, epoch: 0))
        h.completeAppend()
        #expect(h.reply(retry) == .initProducerID(requestID: retry, .noError, producerID: 4_000, producerEpoch: 1))
        // Another producer took over: the old one is fenced.
        h.initProducerID("app")
        h.completeAppend()
        let stale = h.initProducerID("app", expected: ProducerIDAndEpoch(producerID: 4_000, epoch: 1))
        #expect(h.reply(stale) == .initProducerID(requestID: stale, .producerFenced, producerID: -1, producerEpoch: -1))
        let foreign = h.initProducerID("app", expected: ProducerIDAndEpoch(producerID: 17, epoch: 0))
        #expect(h.reply(foreign) == .initProducerID(requestID: foreign, .producerFenced, producerID: -1, producerEpoch: -1))
    }

    @Test func anExhaustedEpochRotatesToANewProducerID() {
        var h = CoordinatorHarness()
        h.initProducerID("app")
        h.completeAllAppends()
        h.coordinator.transactions["app"]!.producerEpoch = Int16.max - 2
        let bump = h.initProducerID("app")
        h.completeAppend()
        #expect(h.reply(bump) == .initProducerID(requestID: bump, .noError, producerID: 4_000, producerEpoch: Int16.max - 1))
        #expect(h.coordinator.needsNewProducerID(transactionalID: "app", timeoutMs: 60_000, expected: nil))
        let rotate = h.initProducerID("app")
        h.completeAppend()
        #expect(h.reply(rotate) == .initProducerID(requestID: rotate, .noError, producerID: 4_001, producerEpoch: 0))
        #expect(h.state("app")?.previousProducerID == 4_000)
    }
}
