@testable import KafkaBroker
import KafkaLog
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import KafkaTransactions
import NIOCore
import Testing

/// A transactional producer against a real node, request by request as a client sends them:
/// FindCoordinator (key type 1) creates `__transaction_state`, InitProducerId gives the id and epoch,
/// AddPartitionsToTxn, Produce and EndTxn commit or abort; the coordinator's markers then show to
/// read_committed consumers, and a restarted node reloads the transactional id.
@Suite struct TransactionalProduceTests {
    static func batch(producerID: Int64, epoch: Int16, sequence: Int32, values: [String]) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerID, producerEpoch: epoch, baseSequence: sequence, isTransactional: true)
        for v in values { builder.append(timestamp: 1_000, key: nil, value: Array(v.utf8)) }
        return try builder.build().bytes
    }

    /// The coordinator FindCoordinator names for `id`, once this node coordinates it.
    static func findCoordinator(_ broker: TestBroker, _ client: TestKafkaClient, _ id: String) async throws -> FindCoordinatorResponse {
        try await broker.waitForTransactionCoordinator(client, key: id)
        return try await client.send(FindCoordinatorRequest(key: id, keyType: 1), version: 3)
    }

    /// Values a consumer with `isolation` reads from `t`-0 from `offset`, once the records up to `end`
    /// are readable (a long-polling fetch wakes on every append, the markers' included).
    static func read(_ client: TestKafkaClient, isolation: Int8, from offset: Int64, until end: Int64)
        async throws -> (values: [String], aborted: [Int64], lastStable: Int64) {
        var last: FetchResponse.FetchableTopicResponse.PartitionData?
        for _ in 0..<50 {
            let fetch = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 2_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: isolation, topics: [
                .init(topic: "t", partitions: [.init(partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20)]),
            ]), version: 11)
            last = fetch.responses.first?.partitions.first
            if let last, last.lastStableOffset >= end || isolation == 0 { break }
        }
        guard let data = last else { return ([], [], -1) }
        var reader = RecordBatchReader(data.records ?? ByteBuffer())
        var values: [String] = []
        for b in try reader.readAll() where !b.header.isControl {
            for r in try b.decodeRecords(decompressionLimit: 1 << 20) { values.append(String(decoding: r.value ?? [], as: UTF8.self)) }
        }
        return (values, (data.abortedTransactions ?? []).map(\.producerID), data.lastStableOffset)
    }

    @Test func aCommittedTransactionIsReadAndAnAbortedOneSkippedAndTheIDSurvivesARestart() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        #expect(try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            .topics.first?.errorCode == 0)
        let found = try await Self.findCoordinator(broker, client, "app")
        #expect(found.errorCode == 0 && found.nodeID == broker.config.nodeID && found.port == Int32(broker.port))
        let initialized = try await client.send(InitProducerIdRequest(transactionalID: "app", transactionTimeoutMs: 60_000), version: 4)
        #expect(initialized.errorCode == 0 && initialized.producerEpoch == 0)
        let pid = initialized.producerID

        // Produce before the partition is in the transaction is still written (no KIP-890 check yet),
        // so add it first, as clients do.
        let added = try await client.send(AddPartitionsToTxnRequest(
            v3AndBelowTransactionalID: "app", v3AndBelowProducerID: pid, v3AndBelowProducerEpoch: 0,
            v3AndBelowTopics: [.init(name: "t", partitions: [0])]), version: 3)
        #expect(added.resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode == 0)
        let produced = try await client.send(ProduceRequest(transactionalID: "app", acks: -1, timeoutMs: 5_000, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: try Self.batch(producerID: pid, epoch: 0, sequence: 0, values: ["a", "b"]))]),
        ]), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
        var committed = try await Self.read(client, isolation: 1, from: 0, until: 0)
        #expect(committed.values.isEmpty && committed.lastStable == 0, "the open transaction is not stable")

        // The coordinator's view of the open transaction, as kafka-transactions.sh shows it.
        let described = try await client.send(DescribeTransactionsRequest(transactionalIDs: ["app", "nobody"]), version: 0)
        let app = try #require(described.transactionStates.first)
        #expect(app.errorCode == 0 && app.transactionState == "Ongoing" && app.producerID == pid && app.producerEpoch == 0)
        #expect(app.transactionTimeoutMs == 60_000 && app.transactionStartTimeMs > 0 && app.topics.map(\.topic) == ["t"])
        #expect(described.transactionStates.last?.errorCode == ErrorCode.transactionalIDNotFound.rawValue)
        let listed = try await client.send(ListTransactionsRequest(stateFilters: ["Ongoing", "Bogus"]), version: 1)
        #expect(listed.errorCode == 0 && listed.unknownStateFilters == ["Bogus"])
        #expect(listed.transactionStates.map(\.transactionalID) == ["app"] && listed.transactionStates.first?.transactionState == "Ongoing")
        let longRunning = try await client.send(ListTransactionsRequest(durationFilter: 3_600_000), version: 1)
        #expect(longRunning.transactionStates.isEmpty, "the transaction has not run for an hour")
        let byOtherProducer = try await client.send(ListTransactionsRequest(producerIDFilters: [pid + 1]), version: 0)
        #expect(byOtherProducer.transactionStates.isEmpty)
        // v2's pattern must match the whole id (KIP-1152); one that does not compile is refused.
        // `(a|ap|p)+p*x` would backtrack exponentially in a longer id; RE2/J's syntax refuses `(?=`.
        for (pattern, ids) in [("a.p", ["app"]), ("ap", []), ("[x-z].*", []), ("", ["app"]), ("(?i)APP", ["app"]), ("(a|ap|p)+p*x", [])] {
            let byPattern = try await client.send(ListTransactionsRequest(transactionalIDPattern: pattern), version: 2)
            #expect(byPattern.errorCode == 0 && byPattern.transactionStates.map(\.transactionalID) == ids, "pattern \(pattern)")
        }
        for pattern in ["a(p", "(?=a)app"] {
            let invalid = try await client.send(ListTransactionsRequest(transactionalIDPattern: pattern), version: 2)
            #expect(ErrorCode(rawValue: invalid.errorCode) == .invalidRegularExpression && invalid.transactionStates.isEmpty, "pattern \(pattern)")
        }

        let end = try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: true), version: 3)
        #expect(end.errorCode == 0)
        committed = try await Self.read(client, isolation: 1, from: 0, until: 3)
        #expect(committed.values == ["a", "b"] && committed.lastStable == 3, "the records and the COMMIT marker at 2")

        // The next transaction aborts: read_uncommitted sees its records, read_committed is told to skip them.
        // It starts once CompleteCommit is written (until then AddPartitionsToTxn answers
        // CONCURRENT_TRANSACTIONS, which clients retry).
        await broker.node.transactions.waitUntil { $0.transactions["app"]?.state == .completeCommit && $0.transactions["app"]?.pending == nil }
        let again = try await client.send(AddPartitionsToTxnRequest(
            v3AndBelowTransactionalID: "app", v3AndBelowProducerID: pid, v3AndBelowProducerEpoch: 0,
            v3AndBelowTopics: [.init(name: "t", partitions: [0])]), version: 3)
        #expect(again.resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode == 0)
        _ = try await client.send(ProduceRequest(transactionalID: "app", acks: -1, timeoutMs: 5_000, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: try Self.batch(producerID: pid, epoch: 0, sequence: 2, values: ["x"]))]),
        ]), version: 9)
        let abort = try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: false), version: 3)
        #expect(abort.errorCode == 0)
        let afterAbort = try await Self.read(client, isolation: 1, from: 3, until: 5)
        #expect(afterAbort.lastStable == 5 && afterAbort.aborted == [pid])
        #expect(afterAbort.values == ["x"], "the aborted record is returned with the list that tells the consumer to drop it")

        // Transactional records need a transactional id.
        let anonymous = try await client.send(ProduceRequest(acks: -1, timeoutMs: 5_000, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: try Self.batch(producerID: pid, epoch: 0, sequence: 3, values: ["y"]))]),
        ]), version: 9)
        #expect(anonymous.responses.first?.partitionResponses.first?.errorCode == ErrorCode.transactionalIDAuthorizationFailed.rawValue)

        // A restarted node loads the id from __transaction_state: the next producer gets the next epoch.
        await broker.node.transactions.waitUntil { $0.transactions["app"]?.state == .completeAbort && $0.transactions["app"]?.pending == nil }
        await client.close()
        await broker.shutdown(keepData: true)
        let restarted = try await TestBroker(directory: broker.directory)
        let client2 = try await restarted.client()
        #expect(try await Self.findCoordinator(restarted, client2, "app").errorCode == 0)
        let reinitialized = try await client2.send(InitProducerIdRequest(transactionalID: "app", transactionTimeoutMs: 60_000), version: 4)
        #expect(reinitialized.errorCode == 0 && reinitialized.producerID == pid && reinitialized.producerEpoch == 1)
        // The old epoch is fenced.
        let zombie = try await client2.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: true), version: 3)
        #expect(zombie.errorCode == ErrorCode.producerFenced.rawValue)
        await client2.close()
        await restarted.shutdown()
    }
}
