@testable import KafkaBroker
import BrokerTestKit
import KafkaProtocol
import KafkaTestKit
import KafkaTransactions
import Testing

/// KIP-890 part 1: a partition leader asks the transaction coordinator before a producer's batch opens
/// a transaction on the partition. A batch for a partition the producer never added, or one that
/// arrives after its transaction ended, is refused and nothing is written, so no transaction is left
/// open that no marker will ever end (its last stable offset would hold every read_committed consumer).
/// With `transaction.partition.verification.enable=false` the late batch is written and does exactly that.
@Suite struct TransactionVerificationTests {
    struct Produced {
        var code: ErrorCode
        var lastStable: Int64
        var logEnd: Int64
    }

    /// Produces one transactional record of `pid` at `sequence` to t-0 with Produce `version`, then
    /// reads t-0's last stable offset and high watermark.
    static func produce(_ client: TestKafkaClient, pid: Int64, sequence: Int32, version: Int16 = 9) async throws -> Produced {
        let response = try await client.send(ProduceRequest(transactionalID: "app", acks: -1, timeoutMs: 5_000, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: try TransactionalProduceTests.batch(
                producerID: pid, epoch: 0, sequence: sequence, values: ["v\(sequence)"]))]),
        ]), version: version)
        let code = ErrorCode(rawValue: response.responses.first?.partitionResponses.first?.errorCode ?? -1)
        let fetch = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, topics: [
            .init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
        ]), version: 11)
        let p = fetch.responses.first?.partitions.first
        return Produced(code: code, lastStable: p?.lastStableOffset ?? -1, logEnd: p?.highWatermark ?? -1)
    }

    static func start(_ overrides: [String: String] = [:]) async throws -> (TestBroker, TestKafkaClient, Int64) {
        let broker = try await TestBroker(overrides: overrides)
        let client = try await broker.client()
        #expect(try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            .topics.first?.errorCode == 0)
        try await broker.waitForTransactionCoordinator(client, key: "app")
        let initialized = try await client.send(InitProducerIdRequest(transactionalID: "app", transactionTimeoutMs: 60_000), version: 4)
        #expect(initialized.errorCode == 0)
        return (broker, client, initialized.producerID)
    }

    static func add(_ client: TestKafkaClient, pid: Int64) async throws -> Int16 {
        let added = try await client.send(AddPartitionsToTxnRequest(
            v3AndBelowTransactionalID: "app", v3AndBelowProducerID: pid, v3AndBelowProducerEpoch: 0,
            v3AndBelowTopics: [.init(name: "t", partitions: [0])]), version: 3)
        return added.resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode ?? -1
    }

    static func commit(_ broker: TestBroker, _ client: TestKafkaClient, pid: Int64) async throws {
        #expect(try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: true), version: 3).errorCode == 0)
        await broker.node.transactions.waitUntil { $0.transactions["app"]?.state == .completeCommit && $0.transactions["app"]?.pending == nil }
    }

    @Test func aBatchOutsideItsTransactionIsRefusedAndLeavesNothingOpen() async throws {
        let (broker, client, pid) = try await Self.start()
        // Never added to the transaction: refused, in the terms of each Produce version.
        var p = try await Self.produce(client, pid: pid, sequence: 0)
        #expect(p.code == .invalidTxnState && p.logEnd == 0)
        p = try await Self.produce(client, pid: pid, sequence: 0, version: 11)
        #expect(p.code == .transactionAbortable && p.logEnd == 0)

        #expect(try await Self.add(client, pid: pid) == 0)
        // A confirmed batch that fails validation (a corrupt CRC) leaves no verification behind.
        var corrupt = try TransactionalProduceTests.batch(producerID: pid, epoch: 0, sequence: 0, values: ["v0"])
        corrupt.setInteger(corrupt.getInteger(at: corrupt.writerIndex - 1, as: UInt8.self)! ^ 0xff, at: corrupt.writerIndex - 1)
        let refused = try await client.send(ProduceRequest(transactionalID: "app", acks: -1, timeoutMs: 5_000, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: corrupt)]),
        ]), version: 9)
        #expect(refused.responses.first?.partitionResponses.first?.errorCode == ErrorCode.corruptMessage.rawValue)
        let partition = try #require(broker.node.replicas.replica(TopicPartition("t", 0)))
        #expect(partition.lock.withLock { partition.verificationGuards.isEmpty })
        p = try await Self.produce(client, pid: pid, sequence: 0)
        #expect(p.code == .noError && p.logEnd == 1 && p.lastStable == 0, "written, and the transaction is open")
        p = try await Self.produce(client, pid: pid, sequence: 1)
        #expect(p.code == .noError && p.logEnd == 2, "the transaction is open here: no question needed")
        try await Self.commit(broker, client, pid: pid)

        // A retry that arrives after the commit would open a new transaction: refused.
        p = try await Self.produce(client, pid: pid, sequence: 2)
        #expect(p.code == .invalidTxnState)
        #expect(p.logEnd == 3 && p.lastStable == 3, "the marker at 2 ends the log; nothing is left open")
        await client.close()
        await broker.shutdown()
    }

    @Test func withoutVerificationALateBatchHoldsTheLastStableOffset() async throws {
        let (broker, client, pid) = try await Self.start(["transaction.partition.verification.enable": "false"])
        #expect(try await Self.add(client, pid: pid) == 0)
        #expect(try await Self.produce(client, pid: pid, sequence: 0).code == .noError)
        try await Self.commit(broker, client, pid: pid)
        let late = try await Self.produce(client, pid: pid, sequence: 1)
        #expect(late.code == .noError && late.logEnd == 3)
        #expect(late.lastStable == 2, "a transaction opened at 2 that no marker will end")
        await client.close()
        await broker.shutdown()
    }
}
