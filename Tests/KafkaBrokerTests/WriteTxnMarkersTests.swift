@testable import KafkaBroker
import KafkaLog
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

/// WriteTxnMarkers against a real node: markers end the transactions a producer left open, partitions
/// answer with Kafka's errors for stale producers and coordinators and unknown partitions, and
/// read_committed consumers and DescribeProducers see the result. (Produce refuses transactional batches until the
/// transaction coordinator is served, so the open transactions are written into the log here.)
@Suite struct WriteTxnMarkersTests {
    static func marker(producer: Int64, epoch: Int16 = 0, commit: Bool, coordinatorEpoch: Int32, partitions: [(String, Int32)])
        -> WriteTxnMarkersRequest.WritableTxnMarker {
        .init(producerID: producer, producerEpoch: epoch, transactionResult: commit,
              topics: Dictionary(grouping: partitions, by: \.0).map { .init(name: $0.key, partitionIndexes: $0.value.map(\.1)) },
              coordinatorEpoch: coordinatorEpoch)
    }

    /// Opens a transaction of `producer` on t-0 and t-1 by writing a transactional batch to each.
    static func openTransaction(_ broker: TestBroker, producer: Int64) throws {
        for p: Int32 in [0, 1] {
            let replica = try #require(broker.node.replicas.replica(TopicPartition("t", p)))
            var builder = RecordBatchBuilder(producerId: producer, producerEpoch: 0, baseSequence: 0, isTransactional: true)
            builder.append(timestamp: 1_000, key: nil, value: Array("v\(p)".utf8))
            let records = try builder.build().bytes
            try replica.withLog { log in
                try log.append(records, leaderEpoch: 0, now: 1_000)
                log.updateHighWatermark(log.logEndOffset)
            }
        }
    }

    @Test func markersEndOpenTransactionsAndStaleOnesAreRefused() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 4)
        #expect(created.topics.first?.errorCode == 0)
        try Self.openTransaction(broker, producer: 42)
        func lastStable(_ version: Int16 = 11) async throws -> [Int64] {
            let fetch = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, topics: [
                .init(topic: "t", partitions: [0, 1].map { .init(partition: $0, fetchOffset: 0, partitionMaxBytes: 1 << 20) }),
            ]), version: version)
            return fetch.responses.first?.partitions.sorted { $0.partitionIndex < $1.partitionIndex }.map(\.lastStableOffset) ?? []
        }
        #expect(try await lastStable() == [0, 0])

        for version in BrokerAssembly.clientAPIs.versions(for: .writeTxnMarkers)! {
            let producer: Int64 = version == 0 ? 42 : 50 + Int64(version)
            // Each later version ends another producer's transactions.
            if version > 0 { try Self.openTransaction(broker, producer: producer) }
            let response = try await client.send(WriteTxnMarkersRequest(markers: [
                Self.marker(producer: producer, commit: true, coordinatorEpoch: 5, partitions: [("t", 0)]),
                Self.marker(producer: producer, commit: false, coordinatorEpoch: 5, partitions: [("t", 1), ("missing", 0)]),
            ]), version: version)
            let codes = response.markers.map { m in
                m.topics.flatMap { t in t.partitions.map { "\(t.name)-\($0.partitionIndex):\(ErrorCode(rawValue: $0.errorCode))" } }.sorted()
            }
            #expect(codes == [["t-0:\(ErrorCode.noError)"], ["missing-0:\(ErrorCode.unknownTopicOrPartition)", "t-1:\(ErrorCode.noError)"]],
                    "WriteTxnMarkers v\(version)")
            let stable = try await lastStable()
            #expect(stable.count == 2 && stable.allSatisfy { $0 > 0 }, "v\(version): every transaction is decided: \(stable)")

            // The same producer from an older coordinator, or with an older epoch after a fencing marker.
            let zombie = try await client.send(WriteTxnMarkersRequest(markers: [
                Self.marker(producer: producer, commit: true, coordinatorEpoch: 4, partitions: [("t", 0)]),
            ]), version: version)
            #expect(zombie.markers.first?.topics.first?.partitions.first?.errorCode == ErrorCode.transactionCoordinatorFenced.rawValue)
            let fence = try await client.send(WriteTxnMarkersRequest(markers: [
                Self.marker(producer: producer, epoch: 1, commit: false, coordinatorEpoch: 5, partitions: [("t", 0)]),
            ]), version: version)
            #expect(fence.markers.first?.topics.first?.partitions.first?.errorCode == 0)
            let stale = try await client.send(WriteTxnMarkersRequest(markers: [
                Self.marker(producer: producer, epoch: 0, commit: false, coordinatorEpoch: 5, partitions: [("t", 0)]),
            ]), version: version)
            #expect(stale.markers.first?.topics.first?.partitions.first?.errorCode == ErrorCode.invalidProducerEpoch.rawValue)
        }
        // The aborted transaction of producer 42 on t-1 is listed for read_committed consumers.
        let fetch = try await client.send(FetchRequest(replicaID: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, topics: [
            .init(topic: "t", partitions: [.init(partition: 1, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
        ]), version: 11)
        #expect(fetch.responses.first?.partitions.first?.abortedTransactions?.contains { $0.producerID == 42 && $0.firstOffset == 0 } == true)

        // DescribeProducers shows what the markers left: producer 42 fenced to epoch 1 by coordinator
        // epoch 5, no transaction open, its last sequence 0 forgotten with its old epoch.
        try Self.openTransaction(broker, producer: 44)
        let described = try await client.send(DescribeProducersRequest(topics: [
            .init(name: "t", partitionIndexes: [0, 9]), .init(name: "missing", partitionIndexes: [0]),
        ]), version: 0)
        let t0 = try #require(described.topics.first { $0.name == "t" }?.partitions.first { $0.partitionIndex == 0 })
        #expect(t0.errorCode == 0)
        let p42 = try #require(t0.activeProducers.first { $0.producerID == 42 })
        #expect(p42.producerEpoch == 1 && p42.coordinatorEpoch == 5 && p42.currentTxnStartOffset == -1 && p42.lastSequence == -1)
        let p44 = try #require(t0.activeProducers.first { $0.producerID == 44 })
        #expect(p44.producerEpoch == 0 && p44.lastSequence == 0 && p44.lastTimestamp == 1_000 && p44.coordinatorEpoch == -1)
        #expect(p44.currentTxnStartOffset >= 0, "producer 44's transaction is open")
        #expect(described.topics.first { $0.name == "t" }?.partitions.first { $0.partitionIndex == 9 }?.errorCode
                == ErrorCode.unknownTopicOrPartition.rawValue)
        #expect(described.topics.first { $0.name == "missing" }?.partitions.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        await client.close()
        await broker.shutdown()
    }

    /// v2's transaction version (KIP-1228): a marker of version 2 must carry a newer epoch than the
    /// producer's (the coordinator bumped it to end the transaction); one of version 0 or 1 may carry
    /// the same epoch, as before.
    @Test func aTransactionVersion2MarkerNeedsABumpedEpoch() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 4)
        try Self.openTransaction(broker, producer: 50)
        try Self.openTransaction(broker, producer: 51)
        func send(producer: Int64, epoch: Int16, transactionVersion: Int8) async throws -> ErrorCode {
            var marker = Self.marker(producer: producer, epoch: epoch, commit: true, coordinatorEpoch: 1, partitions: [("t", 0)])
            marker.transactionVersion = transactionVersion
            let response = try await client.send(WriteTxnMarkersRequest(markers: [marker]), version: 2)
            return ErrorCode(rawValue: try #require(response.markers.first?.topics.first?.partitions.first?.errorCode))
        }
        #expect(try await send(producer: 50, epoch: 0, transactionVersion: 2) == .invalidProducerEpoch)
        #expect(try await send(producer: 50, epoch: 1, transactionVersion: 2) == .noError)
        #expect(try await send(producer: 50, epoch: 1, transactionVersion: 2) == .invalidProducerEpoch, "a retry at the same epoch")
        #expect(try await send(producer: 51, epoch: 0, transactionVersion: 1) == .noError)
        let replica = try #require(broker.node.replicas.replica(TopicPartition("t", 0)))
        #expect(try replica.withLog { $0.lastStableOffset } == replica.withLog { $0.logEndOffset }, "both transactions ended on t-0")
        await client.close()
        await broker.shutdown()
    }
}
