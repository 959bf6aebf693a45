import KafkaProtocol
import Testing
@testable import KafkaTransactions

/// Ownership of `__transaction_state` partitions: loading, replay, completing what a previous
/// coordinator left half done, unloading; and the marker and completion retries.
@Suite struct TransactionLoadTests {
    @Test func requestsAreRefusedForPartitionsNotOwnedOrStillLoading() {
        var c = TransactionCoordinator()
        let p = c.partition(for: "app")
        func initError(_ c: inout TransactionCoordinator) -> [TransactionAction] {
            c.initProducerID(transactionalID: "app", timeoutMs: 1_000, expected: nil, newProducerID: 1, requestID: 1, now: 0)
        }
        #expect(initError(&c) == [.respond(.initProducerID(requestID: 1, .notCoordinator, producerID: -1, producerEpoch: -1))])
        _ = c.beginLoading(partition: p, coordinatorEpoch: 3)
        #expect(initError(&c) == [.respond(.initProducerID(requestID: 1, .coordinatorLoadInProgress, producerID: -1, producerEpoch: -1))])
        #expect(c.describe(transactionalID: "app") == .failure(.loadInProgress))
        _ = c.finishLoading(partition: p, now: 0)
        #expect(c.describe(transactionalID: "app") == .failure(CoordinatorError(.transactionalIDNotFound)))
        guard case .append(p, 3, "app", _) = initError(&c).first else {
            Issue.record("an owned partition's id is served with its coordinator epoch")
            return
        }
    }

    @Test func aReloadedCoordinatorHasTheStateTheLogHoldsAndFinishesAPreparedCommit() throws {
        var h = CoordinatorHarness()
        h.initProducerID("app", timeoutMs: 45_000)
        h.initProducerID("other")
        h.completeAllAppends()
        h.addPartitions("app", 4_000, 0, [tp0, tp1])
        h.completeAppend()
        h.endTransaction("app", 4_000, 0, .commit)
        h.completeAppend()
        // The coordinator dies before any marker is answered: the new one sends them again.
        var reloaded = h.reloaded()
        let app = try #require(reloaded.transactions["app"])
        #expect(app.state == .prepareCommit && app.producerID == 4_000 && app.producerEpoch == 0)
        #expect(app.partitions == [tp0, tp1] && app.timeoutMs == 45_000)
        #expect(reloaded.transactions["other"]?.state == .empty && reloaded.transactions["other"]?.producerID == 4_001)
        let p = reloaded.partition(for: "app")
        var actions = reloaded.beginLoading(partition: p, coordinatorEpoch: 8)
        for record in h.log[p] ?? [] { try reloaded.replay(record, partition: p) }
        actions += reloaded.finishLoading(partition: p, now: 5_000)
        #expect(actions == [.writeMarkers(TransactionMarkers(
            transactionalID: "app", producerID: 4_000, producerEpoch: 0, result: .commit, coordinatorEpoch: 8, partitions: [tp0, tp1]))])
        // The producer's retry of EndTxn waits for the completion.
        let retry = reloaded.endTransaction(transactionalID: "app", producerID: 4_000, producerEpoch: 0, result: .commit, requestID: 9, now: 5_000)
        #expect(retry == [.respond(.endTransaction(requestID: 9, .concurrentTransactions))])
    }

    @Test func anExpiredIDIsWrittenAsATombstoneAndForgotten() throws {
        var config = TransactionCoordinatorConfig()
        config.transactionalIDExpirationMs = 60_000
        var h = CoordinatorHarness(config: config)
        h.initProducerID("idle")
        h.completeAllAppends()
        let written = h.now
        h.tick(to: written + 59_999)
        h.tick(to: written + 3_600_000 + 1)
        #expect(h.appends.count == 1 && h.appends[0].record.value == nil)
        h.completeAppend()
        #expect(h.state("idle") == nil)
        #expect(h.reloaded().transactions["idle"] == nil)
    }

    @Test func unloadingAnswersTheRequestWaitingForAnAppendWithNotCoordinator() {
        var h = CoordinatorHarness()
        let r = h.initProducerID("app")
        h.take(h.coordinator.unload(partition: h.coordinator.partition(for: "app")))
        #expect(h.reply(r) == .initProducerID(requestID: r, .notCoordinator, producerID: -1, producerEpoch: -1))
        h.completeAppend()
        #expect(h.replies.isEmpty && h.state("app") == nil)
    }

    @Test func anAppendThatCommitsAfterTheCoordinatorEpochChangedAnswersNotCoordinator() {
        var h = CoordinatorHarness()
        let r = h.initProducerID("app")
        let p = h.coordinator.partition(for: "app")
        h.coordinator.ownedPartitions[p] = 9
        h.completeAppend()
        #expect(h.reply(r) == .initProducerID(requestID: r, .notCoordinator, producerID: -1, producerEpoch: -1))
    }

    @Test func markersThatFailRetriablyAreSentAgainAfterTheBackoffForThePartitionsStillWithoutOne() {
        var h = CoordinatorHarness.ongoing([tp0, tp1, tp2])
        h.endTransaction("app", 4_000, 0, .abort)
        h.completeAppend()
        let m = h.markers.removeFirst()
        h.take(h.coordinator.markersWritten(transactionalID: "app", coordinatorEpoch: m.coordinatorEpoch, [
            tp0: .written, tp1: .retry(.notLeaderOrFollower), tp2: .partitionDeleted,
        ], now: h.now))
        #expect(h.markers.isEmpty && h.appends.isEmpty)
        #expect(h.coordinator.nextDeadline == h.now + h.coordinator.config.markerRetryBackoffMs)
        h.tick(to: h.now + h.coordinator.config.markerRetryBackoffMs)
        #expect(h.markers.map(\.partitions) == [[tp1]])
        h.answerMarkers()
        h.completeAppend()
        #expect(h.state("app")?.state == .completeAbort)
    }

    @Test func aFencedCoordinatorStopsSendingMarkers() {
        var h = CoordinatorHarness.ongoing([tp0])
        h.endTransaction("app", 4_000, 0, .commit)
        h.completeAppend()
        h.answerMarkers(.fenced(.transactionCoordinatorFenced))
        h.tick(to: h.now + 60_000)
        #expect(h.markers.isEmpty && h.appends.isEmpty)
        #expect(h.state("app")?.state == .prepareCommit)
    }

    @Test func aCompletionWhoseAppendFailedIsWrittenAgainAfterTheBackoff() {
        var h = CoordinatorHarness.ongoing([tp0])
        h.endTransaction("app", 4_000, 0, .commit)
        h.completeAppend()
        h.answerMarkers()
        h.completeAppend(.requestTimedOut)
        #expect(h.state("app")?.state == .prepareCommit && h.state("app")?.partitions == [])
        h.tick(to: h.now + h.coordinator.config.markerRetryBackoffMs)
        #expect(h.markers.isEmpty && h.appends.count == 1)
        h.completeAppend()
        #expect(h.state("app")?.state == .completeCommit)
    }

    @Test func markerOutcomesFollowTheErrorCode() {
        #expect(MarkerOutcome(.noError, topicExists: true) == .written)
        #expect(MarkerOutcome(.unknownTopicOrPartition, topicExists: false) == .partitionDeleted)
        #expect(MarkerOutcome(.unknownTopicOrPartition, topicExists: true) == .retry(.unknownTopicOrPartition))
        #expect(MarkerOutcome(.notLeaderOrFollower, topicExists: true) == .retry(.notLeaderOrFollower))
        #expect(MarkerOutcome(.transactionCoordinatorFenced, topicExists: true) == .fenced(.transactionCoordinatorFenced))
        #expect(MarkerOutcome(.invalidProducerEpoch, topicExists: true) == .fenced(.invalidProducerEpoch))
    }
}
