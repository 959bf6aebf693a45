import Foundation
@testable import KafkaBroker
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import Logging
import NIOCore
import StromConfig
import Testing

/// KIP-392 on this node's replicas (`FetchReader`, Kafka's `readFromLog` with client metadata): a
/// follower serves consumers' Fetch v11+ up to its own high watermark with Kafka's errors, and a leader
/// with `replica.selector.class` sends a consumer in a follower's rack there. The image is made by hand,
/// as the controller would write it; brokers register only an EXTERNAL listener, so no replica fetcher
/// of this node ever reaches them and the logs change only as each test says.
@Suite struct FetchFromFollowerTests {
    static let topicID = KafkaUUID(mostSignificantBits: 9, leastSignificantBits: 2)
    static let listener = "EXTERNAL"
    static let leaderEpoch: Int32 = 3
    static let rackAware = ["replica.selector.class": "org.apache.kafka.common.replica.RackAwareReplicaSelector"]

    /// This node (1) and the replica manager it would run, on a manual clock, with its data in a fresh directory.
    final class Node {
        let clock = ManualClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strom-follower-fetch-\(UUID().uuidString)").path
        let replicas: ReplicaManager

        init(overrides: [String: String] = [:]) throws {
            var properties = ServerConfig.embeddedDefaults
            properties["log.dirs"] = directory
            properties.merge(overrides) { $1 }
            replicas = ReplicaManager(config: try ServerConfig.parse(properties), clock: clock, logger: Logger(label: "test"),
                                      io: BlockingIOExecutor(threadCount: 1))
        }

        var reader: FetchReader { FetchReader(replicas: replicas, nodeID: 1, spliceThreshold: .max) }

        func close() async {
            await replicas.stopReplication()
            replicas.shutdown()
            await replicas.io.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Brokers 1-3 in racks r1-r3 (broker epochs 11-13, unfenced unless listed), topic "t": partition 0 on
    /// `replicas` led by `leader`, partition 1 on brokers 2 and 3 only.
    static func image(leader: Int32, replicas: [Int32] = [2, 1, 3], fenced: Set<Int32> = []) throws -> (MetadataImage, MetadataDelta) {
        var delta = MetadataDelta(base: .empty)
        for id: Int32 in [1, 2, 3] {
            try delta.replay(RegisterBrokerRecord(
                brokerID: id, incarnationID: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: UInt64(id)), brokerEpoch: 10 + Int64(id),
                endPoints: [.init(name: listener, host: "127.0.0.1", port: 1, securityProtocol: 0)], rack: "r\(id)",
                fenced: fenced.contains(id)))
        }
        try delta.replay(TopicRecord(name: "t", topicID: topicID))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: topicID, replicas: replicas, isr: replicas, leader: leader,
                                         leaderEpoch: leaderEpoch, partitionEpoch: 5))
        try delta.replay(PartitionRecord(partitionID: 1, topicID: topicID, replicas: [2, 3], isr: [2, 3], leader: 2,
                                         leaderEpoch: leaderEpoch, partitionEpoch: 5))
        return (delta.apply(provenance: MetadataProvenance(offset: 10, epoch: 1)), delta)
    }

    /// Two records at `offset`, as the leader stamped them in `leaderEpoch`.
    static func batch(at offset: Int64) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: leaderEpoch)
        for i in 0..<2 { builder.append(timestamp: 1_000, key: nil, value: Array("v\(offset + Int64(i))".utf8)) }
        return try builder.build().bytes
    }

    static func fetch(_ partition: Int32 = 0, at offset: Int64, currentLeaderEpoch: Int32 = -1) -> FetchSessions.Partition {
        .init(topicPartition: TopicPartition("t", partition), topicID: topicID, fetchOffset: offset, maxBytes: 1 << 20,
              currentLeaderEpoch: currentLeaderEpoch)
    }

    static func consumer(rack: String) -> Fetcher { .consumer(.init(rackID: rack, listenerName: listener)) }

    /// This node following broker 2 with records 0..<6 in three batches and a high watermark of 2. Its
    /// replica fetcher is stopped first: it would truncate the log it found empty to its high watermark
    /// at any moment, and these records are written here as if it had fetched them.
    static func follower(overrides: [String: String] = [:]) async throws -> (Node, MetadataImage) {
        let node = try Node(overrides: overrides)
        let (image, delta) = try image(leader: 2)
        node.replicas.apply(image: image, delta: delta)
        await node.replicas.fetchers.shutdown()
        let partition = try #require(node.replicas.replica(TopicPartition("t", 0)))
        for offset: Int64 in [0, 2, 4] {
            #expect(try partition.appendAsFollower(try batch(at: offset), leaderEpoch: leaderEpoch, now: 0) == .done)
        }
        partition.updateFollowerHighWatermark(2)
        return (node, image)
    }

    // MARK: - A follower serving consumers

    @Test func aFollowerServesConsumersUpToItsHighWatermark() async throws {
        let (node, image) = try await Self.follower(overrides: Self.rackAware)
        let reads = node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0, fetcher: Self.consumer(rack: "r1"))
        let data = try #require(reads.first?.data)
        #expect(data.errorCode == 0 && data.highWatermark == 2 && data.logStartOffset == 0)
        #expect(try DataPathTests.values(in: data.records) == ["v0", "v1"], "only below the follower's high watermark")
        #expect(data.preferredReadReplica == -1, "a follower does not redirect")
        // A client in another rack (the leader's too) reads here all the same: only leaders redirect.
        let elsewhere = node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                         fetcher: Self.consumer(rack: "r2"))
        #expect(elsewhere.first?.data.preferredReadReplica == -1 && elsewhere.first?.recordBytes == data.records?.readableBytes)
        await node.close()
    }

    /// The maintenance pass flushes a follower's rolled segments (here with `flush.ms` set, so its
    /// appends are not flushed): the recovery point moves, the high watermark stays the leader's.
    @Test func theMaintenanceFlushOfARollLeavesAFollowersHighWatermarkAlone() async throws {
        let (node, _) = try await Self.follower(overrides: ["log.flush.interval.ms": "1000000"])
        let partition = try #require(node.replicas.replica(TopicPartition("t", 0)))
        #expect(partition.highWatermark == 2)
        try partition.withLog { try $0.roll(now: 0) }
        #expect(try partition.appendAsFollower(try Self.batch(at: 6), leaderEpoch: Self.leaderEpoch, now: 0) == .done)
        #expect(partition.withLog { $0.hasUnflushedSealedSegment })
        node.replicas.runMaintenance(now: 0, retention: false)
        #expect(partition.withLog { !$0.hasUnflushedSealedSegment && $0.recoveryPoint == $0.logEndOffset })
        #expect(partition.highWatermark == 2, "a follower's high watermark comes from the leader only")
        await node.close()
    }

    @Test func betweenTheHighWatermarkAndTheLogEndNothingIsReadAndPastTheEndIsOutOfRange() async throws {
        let (node, image) = try await Self.follower()
        let client = Self.consumer(rack: "")
        for offset: Int64 in [2, 5, 6] {
            let data = try #require(node.reader.read([Self.fetch(at: offset)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                     fetcher: client).first?.data)
            #expect(data.errorCode == 0 && data.records?.readableBytes == 0 && data.highWatermark == 2, "offset \(offset)")
        }
        // Past this replica's log end offset: the consumer asks the leader (Kafka's client does on this error).
        let past = try #require(node.reader.read([Self.fetch(at: 7)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                 fetcher: client).first?.data)
        #expect(past.errorCode == ErrorCode.offsetOutOfRange.rawValue && past.highWatermark == 2)
        await node.close()
    }

    @Test func aFollowerChecksTheLeaderEpochAndOnlyServesItsOwnPartitions() async throws {
        let (node, image) = try await Self.follower()
        let client = Self.consumer(rack: "r1")
        let cases: [(FetchSessions.Partition, ErrorCode)] = [
            (Self.fetch(at: 0, currentLeaderEpoch: Self.leaderEpoch - 1), .fencedLeaderEpoch),
            (Self.fetch(at: 0, currentLeaderEpoch: Self.leaderEpoch + 1), .unknownLeaderEpoch),
            (Self.fetch(at: 0, currentLeaderEpoch: Self.leaderEpoch), .noError),
            (Self.fetch(1, at: 0), .notLeaderOrFollower),
        ]
        for (request, code) in cases {
            let data = try #require(node.reader.read([request], image: image, maxBytes: 1 << 20, isolationLevel: 0, fetcher: client).first?.data)
            #expect(data.errorCode == code.rawValue, "\(request)")
        }
        await node.close()
    }

    @Test func beforeFetchV11AndForReplicasOnlyTheLeaderServes() async throws {
        let (node, image) = try await Self.follower()
        for fetcher in [Fetcher.consumer(nil), .follower(id: 3, brokerEpoch: 13)] {
            let data = try #require(node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                     fetcher: fetcher).first?.data)
            #expect(data.errorCode == ErrorCode.notLeaderOrFollower.rawValue, "\(fetcher)")
        }
        await node.close()
    }

    @Test func aRisingFollowerHighWatermarkWakesWaitingFetches() async throws {
        let (node, _) = try await Self.follower()
        let partition = try #require(node.replicas.replica(TopicPartition("t", 0)))
        let before = node.replicas.appended.generation
        partition.updateFollowerHighWatermark(2)
        partition.updateFollowerHighWatermark(1)
        #expect(node.replicas.appended.generation == before, "no news: no wake-up")
        partition.updateFollowerHighWatermark(4)
        #expect(partition.highWatermark == 4 && node.replicas.appended.generation == before + 1)
        // A fetch that waited from `before` returns at once; the manual clock never fires its timeout.
        await node.replicas.appended.wait(since: before, for: [TopicPartition("t", 0)], timeoutMs: 60_000)
        partition.updateFollowerHighWatermark(9)
        #expect(partition.highWatermark == 6, "capped at the follower's log end offset")
        await node.close()
    }

    @Test func theVersionDecidesWhoMayReadFromAFollower() {
        var request = FetchRequest(rackID: "r2")
        #expect(FetchHandler.fetcher(of: request, version: 10, listenerName: "L") == .consumer(nil))
        #expect(FetchHandler.fetcher(of: request, version: 11, listenerName: "L") == .consumer(.init(rackID: "r2", listenerName: "L")))
        request.replicaID = 3
        #expect(FetchHandler.fetcher(of: request, version: 14, listenerName: "L") == .follower(id: 3, brokerEpoch: -1))
        request.replicaID = -1
        request.replicaState = .init(replicaID: 2, replicaEpoch: 12)
        #expect(FetchHandler.fetcher(of: request, version: 15, listenerName: "L") == .follower(id: 2, brokerEpoch: 12))
    }

    // MARK: - A leader choosing the replica

    /// This node leading partition 0 of "t" with records 0..<4, followers 2 and 3 caught up (high watermark 4).
    static func leader(overrides: [String: String] = rackAware, fenced: Set<Int32> = []) async throws -> (Node, MetadataImage) {
        let node = try Node(overrides: overrides)
        let (image, delta) = try image(leader: 1, replicas: [1, 2, 3], fenced: fenced)
        node.replicas.apply(image: image, delta: delta)
        let partition = try #require(node.replicas.replica(TopicPartition("t", 0)))
        for _ in 0..<2 {
            var builder = RecordBatchBuilder()
            for i in 0..<2 { builder.append(timestamp: 1_000, key: nil, value: Array("v\(i)".utf8)) }
            _ = try partition.appendAsLeader(try builder.build().bytes, origin: .client(produceVersion: 9), requiredAcks: 1,
                                             decompressionLimit: 1 << 20, now: 0).result.get()
        }
        for id: Int32 in [2, 3] {
            let reads = node.reader.read([fetch(at: 4)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                         fetcher: .follower(id: id, brokerEpoch: 10 + Int64(id)))
            #expect(reads.first?.data.errorCode == 0)
        }
        #expect(partition.highWatermark == 4)
        return (node, image)
    }

    @Test func aLeaderSendsAConsumerToACaughtUpFollowerInItsRack() async throws {
        let (node, image) = try await Self.leader()
        for (rack, preferred) in [("r2", Int32(2)), ("r3", 3)] {
            let read = try #require(node.reader.read([Self.fetch(at: 1)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                     fetcher: Self.consumer(rack: rack)).first)
            // Kafka's answer: the replica, the leader's offsets, no records, no error.
            #expect(read.data.preferredReadReplica == preferred && read.data.errorCode == 0)
            #expect(read.recordBytes == 0 && read.data.records?.readableBytes == 0)
            #expect(read.data.highWatermark == 4 && read.data.lastStableOffset == 4 && read.data.logStartOffset == 0)
        }
        await node.close()
    }

    @Test func aLeaderServesItsOwnRackAndClientsWithoutOne() async throws {
        let (node, image) = try await Self.leader()
        for fetcher in [Self.consumer(rack: "r1"), Self.consumer(rack: ""), Self.consumer(rack: "r9"), .consumer(nil)] {
            let data = try #require(node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                     fetcher: fetcher).first?.data)
            #expect(data.preferredReadReplica == -1 && data.errorCode == 0, "\(fetcher)")
            #expect(try DataPathTests.values(in: data.records) == ["v0", "v1", "v0", "v1"], "\(fetcher)")
        }
        await node.close()
    }

    @Test func withoutASelectorTheLeaderServesEveryConsumer() async throws {
        let (node, image) = try await Self.leader(overrides: [:])
        let data = try #require(node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                 fetcher: Self.consumer(rack: "r2")).first?.data)
        #expect(data.preferredReadReplica == -1 && data.records?.readableBytes ?? 0 > 0)
        await node.close()
    }

    @Test func aFencedFollowerOrOneBeyondTheFetchOffsetIsNotChosen() async throws {
        // Broker 2 fenced after it caught up: the image says so, the leader does not send clients there.
        let (node, image) = try await Self.leader(fenced: [2])
        let fenced = try #require(node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                   fetcher: Self.consumer(rack: "r2")).first?.data)
        #expect(fenced.preferredReadReplica == -1)
        #expect(node.reader.read([Self.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                 fetcher: Self.consumer(rack: "r3")).first?.data.preferredReadReplica == 3)
        // Broker 3 fetched up to 4: a consumer at 4 may go there, but not one past it (OFFSET_OUT_OF_RANGE here too).
        let past = try #require(node.reader.read([Self.fetch(at: 5)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                 fetcher: Self.consumer(rack: "r3")).first?.data)
        #expect(past.preferredReadReplica == -1 && past.errorCode == ErrorCode.offsetOutOfRange.rawValue)
        await node.close()
    }

    @Test func theRedirectChecksTheLeaderEpochFirst() async throws {
        let (node, image) = try await Self.leader()
        let data = try #require(node.reader.read([Self.fetch(at: 0, currentLeaderEpoch: Self.leaderEpoch - 1)], image: image,
                                                 maxBytes: 1 << 20, isolationLevel: 0, fetcher: Self.consumer(rack: "r2")).first?.data)
        #expect(data.errorCode == ErrorCode.fencedLeaderEpoch.rawValue && data.preferredReadReplica == -1)
        await node.close()
    }
}
