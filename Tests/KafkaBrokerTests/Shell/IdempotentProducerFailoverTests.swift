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

/// An idempotent producer retrying across a leader change: the new leader learned the producer's
/// sequences as a follower, so a retry of a batch the old leader had appended is a duplicate (answered
/// with its original offsets, not written again) and the producer's next batch follows on, without
/// OUT_OF_ORDER_SEQUENCE_NUMBER. (interop/test_replication.py checks no duplicates and no failed or
/// fatal delivery with librdkafka, which could also recover from an OUT_OF_ORDER_SEQUENCE_NUMBER
/// silently by bumping its epoch; this pins the broker's side down.)
@Suite struct IdempotentProducerFailoverTests {
    static let topicID = KafkaUUID(mostSignificantBits: 4, leastSignificantBits: 4)

    static func image(leader: Int32, leaderEpoch: Int32, partitionEpoch: Int32) throws -> (MetadataImage, MetadataDelta) {
        var delta = MetadataDelta(base: .empty)
        try delta.replay(TopicRecord(name: "r", topicID: topicID))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: topicID, replicas: [1, 2], isr: [1, 2], leader: leader,
                                         leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch))
        return (delta.apply(provenance: MetadataProvenance(offset: Int64(partitionEpoch) + 1, epoch: 1)), delta)
    }

    /// Producer 7's batch of two records from `sequence`, at `offset` in leader epoch `epoch` (as a leader
    /// stamps it; a client's batch carries offset 0 and epoch -1).
    static func batch(sequence: Int32, offset: Int64 = 0, epoch: Int32 = -1) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(baseOffset: offset, partitionLeaderEpoch: epoch, producerId: 7, producerEpoch: 0, baseSequence: sequence)
        for i in 0..<2 { builder.append(timestamp: 1_000, key: nil, value: [UInt8(sequence), UInt8(i)]) }
        return try builder.build().bytes
    }

    @Test func aRetryOnTheNewLeaderIsADuplicateAndTheNextBatchFollowsOn() async throws {
        let clock = ManualClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strom-idempotent-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var properties = ServerConfig.embeddedDefaults
        properties["log.dirs"] = directory
        let replicas = ReplicaManager(config: try ServerConfig.parse(properties), clock: clock, logger: Logger(label: "test"),
                                      io: BlockingIOExecutor(threadCount: 1))

        // Broker 2 leads (epoch 0) and appended sequences 0-1 and 2-3; this node replicated both.
        let (following, delta0) = try Self.image(leader: 2, leaderEpoch: 0, partitionEpoch: 0)
        replicas.apply(image: following, delta: delta0)
        // This test plays the fetcher's part itself: the real one, started by `apply`, would truncate the
        // log it found empty to its high watermark on its own task, possibly after the appends below.
        await replicas.fetchers.shutdown()
        let partition = try #require(replicas.replica(TopicPartition("r", 0)))
        for (sequence, offset) in [(Int32(0), Int64(0)), (2, 2)] {
            #expect(try partition.appendAsFollower(try Self.batch(sequence: sequence, offset: offset, epoch: 0), leaderEpoch: 0,
                                                   now: clock.nowMs()) == .done)
            partition.updateFollowerHighWatermark(offset + 2)
        }

        // Broker 2 dies before the producer heard of sequences 2-3; this node leads (epoch 1) and gets the retry.
        let (leading, delta1) = try Self.image(leader: 1, leaderEpoch: 1, partitionEpoch: 1)
        replicas.apply(image: leading, delta: delta1)
        #expect(partition.isLeader)
        func produce(_ sequence: Int32) throws -> Result<Partition.LeaderAppend, LogValidator.Failure> {
            partition.appendAsLeader(try Self.batch(sequence: sequence), origin: .client(produceVersion: 9), requiredAcks: 1,
                                     decompressionLimit: 1 << 20, now: clock.nowMs()).result
        }
        let retry = try produce(2).get()
        #expect(retry.info.isDuplicate && retry.info.firstOffset == 2 && retry.info.lastOffset == 3, "the original offsets")
        #expect(partition.logEndOffset == 4, "not written again")
        let next = try produce(4).get()
        #expect(!next.info.isDuplicate && next.info.firstOffset == 4 && next.info.lastOffset == 5)
        // The check is live: a gap in the sequence is refused.
        if case let .failure(f) = try produce(9) { #expect(f.code == .outOfOrderSequenceNumber) } else { Issue.record("sequence 9 after 5 was accepted") }
        await replicas.stopReplication()
        replicas.shutdown()
        await replicas.io.shutdown()
    }
}
