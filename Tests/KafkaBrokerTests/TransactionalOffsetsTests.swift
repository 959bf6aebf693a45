@testable import KafkaBroker
import BrokerTestKit
import KafkaProtocol
import KafkaTestKit
import KafkaTransactions
import Testing

/// Consumer offsets sent in a transaction (`send_offsets_to_transaction`), request by request as a
/// client sends them: AddOffsetsToTxn at the transaction coordinator, TxnOffsetCommit at the group's;
/// the offsets show (and OffsetFetch with require_stable stops answering UNSTABLE_OFFSET_COMMIT) once
/// the COMMIT marker is written, an aborted transaction's never show, and a restarted node rebuilds
/// both committed and still pending offsets from the markers in `__consumer_offsets`.
@Suite struct TransactionalOffsetsTests {
    /// The group's offset for t-0 as OffsetFetch answers it: the offset, or the error's name.
    static func fetched(_ client: TestKafkaClient, requireStable: Bool) async throws -> String {
        let r = try await client.send(OffsetFetchRequest(groupID: "g", topics: [.init(name: "t", partitionIndexes: [0])],
                                                         requireStable: requireStable), version: 7)
        let p = try #require(r.topics.first?.partitions.first)
        return p.errorCode == 0 ? "\(p.committedOffset)" : ErrorCode(rawValue: p.errorCode).name ?? "\(p.errorCode)"
    }

    static func sendOffset(_ client: TestKafkaClient, pid: Int64, epoch: Int16, offset: Int64) async throws -> (add: Int16, commit: Int16) {
        let add = try await client.send(AddOffsetsToTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: epoch, groupID: "g"), version: 3)
        let commit = try await client.send(TxnOffsetCommitRequest(
            transactionalID: "app", groupID: "g", producerID: pid, producerEpoch: epoch,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: offset)])]), version: 3)
        return (add.errorCode, commit.topics.first?.partitions.first?.errorCode ?? -1)
    }

    /// Waits until the id's last transaction is complete (its markers written, CompleteCommit or
    /// CompleteAbort recorded).
    static func settled(_ broker: TestBroker, _ state: TransactionState) async {
        await broker.node.transactions.waitUntil { $0.transactions["app"]?.state == state && $0.transactions["app"]?.pending == nil }
    }

    @Test func offsetsSentInATransactionShowWhenItCommitsAndSurviveARestart() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        #expect(try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            .topics.first?.errorCode == 0)
        let regular = try await client.send(OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 5)]),
        ]), version: 8)
        #expect(regular.topics.first?.partitions.first?.errorCode == 0)
        try await broker.waitForTransactionCoordinator(client, key: "app")
        let initialized = try await client.send(InitProducerIdRequest(transactionalID: "app", transactionTimeoutMs: 60_000), version: 4)
        #expect(initialized.errorCode == 0)
        let pid = initialized.producerID

        #expect(try await Self.sendOffset(client, pid: pid, epoch: 0, offset: 42) == (0, 0))
        #expect(try await Self.fetched(client, requireStable: false) == "5", "not before the transaction commits")
        #expect(try await Self.fetched(client, requireStable: true) == "UNSTABLE_OFFSET_COMMIT")
        #expect(try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: true), version: 3).errorCode == 0)
        await Self.settled(broker, .completeCommit)
        #expect(try await Self.fetched(client, requireStable: true) == "42")

        #expect(try await Self.sendOffset(client, pid: pid, epoch: 0, offset: 50) == (0, 0))
        #expect(try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: false), version: 3).errorCode == 0)
        await Self.settled(broker, .completeAbort)
        #expect(try await Self.fetched(client, requireStable: true) == "42", "an aborted transaction's offset never shows")

        // A transaction still open when the node stops: its offset is pending again after the restart,
        // and its commit there makes it visible.
        #expect(try await Self.sendOffset(client, pid: pid, epoch: 0, offset: 60) == (0, 0))
        await client.close()
        await broker.shutdown(keepData: true)
        let restarted = try await TestBroker(directory: broker.directory)
        let client2 = try await restarted.client()
        try await restarted.waitForTransactionCoordinator(client2, key: "app")
        #expect(try await Self.fetched(client2, requireStable: false) == "42", "the committed offset, from the COMMIT marker in the log")
        #expect(try await Self.fetched(client2, requireStable: true) == "UNSTABLE_OFFSET_COMMIT")
        #expect(try await client2.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: true), version: 3).errorCode == 0)
        await Self.settled(restarted, .completeCommit)
        #expect(try await Self.fetched(client2, requireStable: true) == "60")

        // Partitions that do not exist are refused, the others committed.
        #expect(try await client2.send(AddOffsetsToTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, groupID: "g"), version: 3).errorCode == 0)
        let mixed = try await client2.send(TxnOffsetCommitRequest(
            transactionalID: "app", groupID: "g", producerID: pid, producerEpoch: 0,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 61), .init(partitionIndex: 7, committedOffset: 1)]),
                     .init(name: "nope", partitions: [.init(partitionIndex: 0, committedOffset: 1)])]), version: 3)
        let codes = Dictionary(uniqueKeysWithValues: mixed.topics.flatMap { t in t.partitions.map { ("\(t.name)-\($0.partitionIndex)", $0.errorCode) } })
        #expect(codes == ["t-0": 0, "t-7": ErrorCode.unknownTopicOrPartition.rawValue, "nope-0": ErrorCode.unknownTopicOrPartition.rawValue])
        await client2.close()
        await restarted.shutdown()
    }

    /// KIP-890 part 1 for offsets: a TxnOffsetCommit whose group partition is not in the producer's
    /// transaction (never added, or the transaction already ended) is refused, so it leaves no offset
    /// pending that no marker would ever complete. Without verification the late commit is written
    /// and stays pending for good.
    @Test func aCommitOutsideItsTransactionIsRefusedAndLeavesNothingPending() async throws {
        for verification in [true, false] {
            let (broker, client, pid) = try await TransactionVerificationTests.start(
                ["transaction.partition.verification.enable": verification ? "true" : "false"])
            func commit(_ offset: Int64, version: Int16) async throws -> ErrorCode {
                let r = try await client.send(TxnOffsetCommitRequest(
                    transactionalID: "app", groupID: "g", producerID: pid, producerEpoch: 0,
                    topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: offset)])]), version: version)
                return ErrorCode(rawValue: r.topics.first?.partitions.first?.errorCode ?? -1)
            }
            if verification {
                #expect(try await commit(3, version: 3) == .invalidTxnState, "never added to the transaction")
                #expect(try await commit(3, version: 4) == .transactionAbortable)
                #expect(try await Self.fetched(client, requireStable: true) == "-1", "nothing pending")
            }
            let added = try await client.send(AddOffsetsToTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, groupID: "g"), version: 3)
            try #require(added.errorCode == 0)
            #expect(try await commit(5, version: 3) == .noError)
            #expect(try await commit(6, version: 4) == .noError, "the transaction is open there: no question needed")
            try #require(try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 0, committed: true), version: 3).errorCode == 0)
            await Self.settled(broker, .completeCommit)
            #expect(try await Self.fetched(client, requireStable: true) == "6")
            // A late commit of the ended transaction.
            let late = try await commit(9, version: 3)
            if verification {
                #expect(late == .invalidTxnState)
                #expect(try await Self.fetched(client, requireStable: true) == "6", "nothing left pending")
            } else {
                #expect(late == .noError)
                #expect(try await Self.fetched(client, requireStable: true) == "UNSTABLE_OFFSET_COMMIT", "pending, and no marker will come")
            }
            await client.close()
            await broker.shutdown()
        }
    }

    /// Flexible versions carry strings longer than the int16 length the coordinators' records give
    /// them: a transactional id or a group id that long is INVALID_REQUEST, and the node serves on.
    @Test func idsTooLongForTheCoordinatorsRecordsAreRefused() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        #expect(try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 4)
            .topics.first?.errorCode == 0)
        let long = String(repeating: "x", count: Int(Int16.max) + 1)
        try await broker.waitForTransactionCoordinator(client, key: long)
        let initialized = try await client.send(InitProducerIdRequest(transactionalID: long, transactionTimeoutMs: 60_000), version: 4)
        #expect(initialized.errorCode == ErrorCode.invalidRequest.rawValue && initialized.producerID == -1)
        let committed = try await client.send(TxnOffsetCommitRequest(
            transactionalID: "app", groupID: long, producerID: 1, producerEpoch: 0,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 1)])]), version: 3)
        #expect(committed.topics.first?.partitions.first?.errorCode == ErrorCode.invalidRequest.rawValue)
        // Still serving, and a transactional id of the longest writable length works.
        let fits = String(repeating: "y", count: Int(Int16.max))
        try await broker.waitForTransactionCoordinator(client, key: fits)
        #expect(try await client.send(InitProducerIdRequest(transactionalID: fits, transactionTimeoutMs: 60_000), version: 4).errorCode == 0)
        await client.close()
        await broker.shutdown()
    }
}
