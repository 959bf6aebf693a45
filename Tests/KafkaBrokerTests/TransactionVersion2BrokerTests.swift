@testable import KafkaBroker
import BrokerTestKit
import KafkaProtocol
import KafkaRecords
import KafkaTestKit
import KafkaTransactions
import NIOCore
import Testing

/// Transaction version 2 (KIP-890 part 2), request by request as a Kafka 4.x producer sends them: no
/// AddPartitionsToTxn and no AddOffsetsToTxn (Produce v12 and TxnOffsetCommit v5 make the leaders add
/// the partitions), and EndTxn v5, which bumps the epoch at every end and answers with the epoch to go
/// on with. A zombie's batch at the old epoch is refused; the markers carry the new epoch.
@Suite struct TransactionVersion2BrokerTests {
    static func produce(_ client: TestKafkaClient, pid: Int64, epoch: Int16, sequence: Int32, value: String) async throws -> ErrorCode {
        let response = try await client.send(ProduceRequest(transactionalID: "app", acks: -1, timeoutMs: 5_000, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: try TransactionalProduceTests.batch(
                producerID: pid, epoch: epoch, sequence: sequence, values: [value]))]),
        ]), version: 12)
        return ErrorCode(rawValue: response.responses.first?.partitionResponses.first?.errorCode ?? -1)
    }

    static func end(_ client: TestKafkaClient, pid: Int64, epoch: Int16, commit: Bool) async throws -> EndTxnResponse {
        try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: epoch, committed: commit), version: 5)
    }

    /// Every batch of t-0 below the high watermark, read segment by segment (a fetch answers from one
    /// segment, and the tests' old timestamps roll one at every append).
    static func batches(_ client: TestKafkaClient) async throws -> [RecordBatch] {
        var out: [RecordBatch] = []
        var offset: Int64 = 0
        while true {
            let fetch = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [
                .init(topic: "t", partitions: [.init(partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20)]),
            ]), version: 11)
            let data = try #require(fetch.responses.first?.partitions.first)
            var reader = RecordBatchReader(data.records ?? ByteBuffer())
            let read = try reader.readAll()
            guard let last = read.last else { return out }
            out += read
            offset = last.header.baseOffset + Int64(last.header.lastOffsetDelta) + 1
        }
    }

    /// The epochs of t-0's control batches, in log order.
    static func markerEpochs(_ client: TestKafkaClient) async throws -> [Int16] {
        try await batches(client).filter(\.header.isControl).map(\.header.producerEpoch)
    }

    /// The values of t-0's committed records, in log order.
    static func committedValues(_ client: TestKafkaClient) async throws -> [String] {
        let all = try await batches(client)
        var open: [Int64: [String]] = [:], values: [String] = []
        for b in all {
            if b.header.isControl {
                let records = try b.decodeRecords(decompressionLimit: 1 << 20)
                let isCommit = records.first.map { ($0.key ?? []).count >= 4 && $0.key![3] == 1 } ?? false
                if isCommit { values += open[b.header.producerId] ?? [] }
                open[b.header.producerId] = nil
            } else {
                for r in try b.decodeRecords(decompressionLimit: 1 << 20) {
                    open[b.header.producerId, default: []].append(String(decoding: r.value ?? [], as: UTF8.self))
                }
            }
        }
        return values
    }

    @Test func theFeatureIsFinalizedAtTwoAndOlderRequestsAreNotToldOfRangesFromZero() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        var request = ApiVersionsRequest()
        request.clientSoftwareName = "strom-test"
        request.clientSoftwareVersion = "1.0"
        let v4 = try await client.send(request, version: 4)
        #expect(v4.finalizedFeatures.first { $0.name == "transaction.version" }.map { ($0.minVersionLevel, $0.maxVersionLevel) } ?? (0, 0) == (2, 2))
        #expect(v4.finalizedFeaturesEpoch >= 0, "a Java client ignores finalized features from an epoch of -1")
        #expect(v4.supportedFeatures.first { $0.name == "transaction.version" }.map { ($0.minVersion, $0.maxVersion) } ?? (9, 9) == (0, 2))
        // KAFKA-17492: a Java client before 3.9 refuses a supported range from 0 (its request is v3 at most).
        let v3 = try await client.send(request, version: 3)
        #expect(!v3.supportedFeatures.isEmpty && v3.supportedFeatures.allSatisfy { $0.minVersion > 0 })
        #expect(v3.finalizedFeatures.contains { $0.name == "transaction.version" })
        await client.close()
        await broker.shutdown()
    }

    @Test func partitionsAndOffsetsJoinWithoutAddRequestsAndEveryEndBumpsTheEpoch() async throws {
        let (broker, client, pid) = try await TransactionVerificationTests.start()
        let committedOffsets = try await client.send(OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 5)]),
        ]), version: 8)
        #expect(committedOffsets.topics.first?.partitions.first?.errorCode == 0)

        // Produce v12 adds t-0 to the transaction: no AddPartitionsToTxn. (Each step a wait depends on
        // is required, so that a failure stops the test instead of leaving it waiting.)
        try #require(try await Self.produce(client, pid: pid, epoch: 0, sequence: 0, value: "a") == .noError)
        // TxnOffsetCommit v5 adds the group's partition: no AddOffsetsToTxn.
        let offsets = try await client.send(TxnOffsetCommitRequest(
            transactionalID: "app", groupID: "g", producerID: pid, producerEpoch: 0,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 1)])]), version: 5)
        #expect(offsets.topics.first?.partitions.first?.errorCode == 0)
        let open = try await broker.node.transactions.describe(transactionalID: "app").get()
        #expect(open.state == .ongoing && open.clientTransactionVersion == 2)
        #expect(Set(open.partitions.map(\.topic)) == ["t", "__consumer_offsets"])
        #expect(try await TransactionalOffsetsTests.fetched(client, requireStable: true) == "UNSTABLE_OFFSET_COMMIT")

        let committed = try await Self.end(client, pid: pid, epoch: 0, commit: true)
        try #require(committed.errorCode == 0)
        #expect(committed.producerID == pid && committed.producerEpoch == 1)
        await TransactionalOffsetsTests.settled(broker, .completeCommit)
        #expect(try await TransactionalOffsetsTests.fetched(client, requireStable: true) == "1")
        var read = try await TransactionalProduceTests.read(client, isolation: 1, from: 0, until: 2)
        #expect(read.values == ["a"] && read.lastStable == 2)
        #expect(try await Self.markerEpochs(client) == [1], "the marker carries the bumped epoch")

        // A zombie at the old epoch: fenced, nothing written.
        #expect(try await Self.produce(client, pid: pid, epoch: 0, sequence: 1, value: "zombie") == .invalidProducerEpoch)
        // The next transaction starts the new epoch at sequence 0, and aborts.
        #expect(try await Self.produce(client, pid: pid, epoch: 1, sequence: 0, value: "b") == .noError)
        let aborted = try await Self.end(client, pid: pid, epoch: 1, commit: false)
        try #require(aborted.errorCode == 0)
        #expect(aborted.producerEpoch == 2)
        await TransactionalOffsetsTests.settled(broker, .completeAbort)
        read = try await TransactionalProduceTests.read(client, isolation: 1, from: 0, until: 4)
        #expect(read.aborted == [pid] && read.lastStable == 4)
        #expect(try await Self.committedValues(client) == ["a"])
        #expect(try await Self.markerEpochs(client) == [1, 2])

        // A retried abort gets the epoch it was given; a second abort with nothing open bumps again
        // (the producer's way out of an abortable error); a commit of nothing is refused.
        let retried = try await Self.end(client, pid: pid, epoch: 1, commit: false)
        #expect(retried.errorCode == 0 && retried.producerEpoch == 2)
        let empty = try await Self.end(client, pid: pid, epoch: 2, commit: false)
        try #require(empty.errorCode == 0)
        #expect(empty.producerEpoch == 3)
        await TransactionalOffsetsTests.settled(broker, .completeAbort)
        let nothing = try await Self.end(client, pid: pid, epoch: 3, commit: true)
        #expect(nothing.errorCode == ErrorCode.invalidTxnState.rawValue && nothing.producerID == -1 && nothing.producerEpoch == -1)
        // An older EndTxn version keeps the epoch and says nothing of it.
        #expect(try await Self.produce(client, pid: pid, epoch: 3, sequence: 0, value: "c") == .noError)
        let old = try await client.send(EndTxnRequest(transactionalID: "app", producerID: pid, producerEpoch: 3, committed: true), version: 4)
        try #require(old.errorCode == 0)
        #expect(old.producerID == -1)
        await TransactionalOffsetsTests.settled(broker, .completeCommit)
        #expect(try await broker.node.transactions.describe(transactionalID: "app").get().producerEpoch == 3)
        read = try await TransactionalProduceTests.read(client, isolation: 1, from: 0, until: 6)
        #expect(read.lastStable == 6)
        #expect(try await Self.committedValues(client) == ["a", "c"])
        await client.close()
        await broker.shutdown()
    }

    @Test func aTransactionVersion2AddWorksWithVerificationDisabled() async throws {
        let (broker, client, pid) = try await TransactionVerificationTests.start(["transaction.partition.verification.enable": "false"])
        try #require(try await Self.produce(client, pid: pid, epoch: 0, sequence: 0, value: "a") == .noError)
        try #require(try await Self.end(client, pid: pid, epoch: 0, commit: true).producerEpoch == 1)
        await TransactionalOffsetsTests.settled(broker, .completeCommit)
        let read = try await TransactionalProduceTests.read(client, isolation: 1, from: 0, until: 2)
        #expect(read.lastStable == 2, "the partition was added, so its marker ended the transaction")
        #expect(try await Self.committedValues(client) == ["a"])
        await client.close()
        await broker.shutdown()
    }

    /// The previous transaction's marker at the bumped epoch may land while the next transaction's
    /// add at that epoch is in flight: the verification survives it (Kafka keeps the entry when the
    /// marker's epoch is the entry's and the producer supports the bump); any other marker ends it.
    @Test func aVerificationSurvivesTheMarkerThatBumpedToItsEpoch() async throws {
        let (broker, client, pid) = try await TransactionVerificationTests.start()
        let partition = try #require(broker.node.replicas.replica(TopicPartition("t", 0)))
        func marker(_ epoch: Int16) throws {
            if case let .failure(f) = partition.appendMarker(producerId: pid, producerEpoch: epoch, coordinatorEpoch: 0, isAbort: true, now: 1) {
                Issue.record("marker refused: \(f.message)")
            }
        }
        let guardValue = try #require(partition.transactionVerificationGuard(producerID: pid, producerEpoch: 1, supportsEpochBump: true))
        try marker(1)
        #expect(partition.lock.withLock { partition.verificationGuards[pid]?.value } == guardValue)
        try marker(2)
        #expect(partition.lock.withLock { partition.verificationGuards[pid] } == nil)
        _ = partition.transactionVerificationGuard(producerID: pid, producerEpoch: 3, supportsEpochBump: false)
        try marker(3)
        #expect(partition.lock.withLock { partition.verificationGuards[pid] } == nil, "before transaction version 2 every marker ends it")
        await client.close()
        await broker.shutdown()
    }

    @Test func concurrentTransactionsReachesATransactionVersion2Producer() {
        #expect(TransactionCoordinatorService.producerError(.concurrentTransactions, produceVersion: 12) == .concurrentTransactions)
        #expect(TransactionCoordinatorService.producerError(.concurrentTransactions, produceVersion: 11) == .notEnoughReplicas)
        #expect(TransactionCoordinatorService.producerError(.producerFenced, produceVersion: 12) == .invalidProducerEpoch)
        #expect(TransactionCoordinatorService.producerError(.coordinatorNotAvailable, produceVersion: 12) == .notEnoughReplicas)
    }
}
