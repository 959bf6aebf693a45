import Foundation
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaBroker

/// `Partition.appendAsLeader`: one validator for every origin, offsets and the leader epoch stamped by
/// the log, and a high watermark that moves only forward, only once records are durable enough.
@Suite struct PartitionTests {
    static let now: Int64 = 1_700_000_000_000

    /// A partition of topic "t" over a fresh log in its own directory (removed by `remove`).
    struct Fixture {
        let directory: String
        let partition: Partition

        /// `leading`: this node (broker 1) leads as the lone in-sync replica; without it, the partition has
        /// no leader state, as the metadata log's has.
        init(settings: Partition.Settings = Fixture.settings(), config: LogConfig = LogConfig(), leaderEpoch: Int32 = 5,
             leading: Bool = true) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("strom-partition-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let log = try PartitionLog.open(logDirectory: directory, topic: "t", partition: 0, config: config, now: PartitionTests.now)
            partition = Partition(topicPartition: TopicPartition("t", 0), topicID: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2),
                                  logDirectory: directory, log: log, settings: settings, leaderEpoch: leaderEpoch)
            if leading {
                partition.makeLeader(PartitionRegistration(replicas: [1], isr: [1], leader: 1, leaderEpoch: leaderEpoch),
                                     localBrokerEpoch: 1, brokerStatus: [:], replicaLagTimeMaxMs: 30_000, now: PartitionTests.now)
            }
        }

        static func settings(flushBeforeAcksAll: Bool = false, maxMessageBytes: Int = 1 << 20, compacted: Bool = false,
                             timestampBeforeMaxMs: Int64 = .max) -> Partition.Settings {
            Partition.Settings(logAppendTime: false, flushBeforeAcksAll: flushBeforeAcksAll, maxMessageBytes: maxMessageBytes,
                               timestampBeforeMaxMs: timestampBeforeMaxMs, timestampAfterMaxMs: .max, compacted: compacted)
        }

        func remove() {
            try? partition.withLog { try $0.close() }
            try? FileManager.default.removeItem(atPath: directory)
        }

        func append(_ records: ByteBuffer?, origin: LogValidator.Origin = .client(produceVersion: 9), acks: Int16 = 1)
            -> Result<Partition.LeaderAppend, LogValidator.Failure> {
            partition.appendAsLeader(records, origin: origin, requiredAcks: acks, decompressionLimit: 64 << 20, now: PartitionTests.now).result
        }

        /// The partition leader epoch of every batch in the log, in order.
        func batchEpochs() throws -> [Int32] {
            try partition.withLog { log in
                let data = try log.read(fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true)
                var reader = RecordBatchReader(try data.records!.readBytes())
                var epochs: [Int32] = []
                while let batch = try reader.next() { epochs.append(batch.header.partitionLeaderEpoch) }
                return epochs
            }
        }
    }

    static func batch(count: Int = 3, key: String? = "k", timestamp: Int64 = now, compression: CompressionCodec = .none,
                      producerID: Int64 = -1, isControl: Bool = false, baseOffset: Int64 = 0, leaderEpoch: Int32 = -1) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch, compression: compression,
                                         producerId: producerID, producerEpoch: producerID < 0 ? -1 : 0, isControl: isControl)
        for i in 0..<count { builder.append(timestamp: timestamp + Int64(i), key: key.map { Array($0.utf8) }, value: Array("v\(i)".utf8)) }
        return try builder.build().bytes
    }

    @Test func appendAsLeaderAssignsOffsetsStampsTheLeaderEpochAndAdvancesTheHighWatermark() throws {
        let f = try Fixture()
        defer { f.remove() }
        let first = try f.append(try Self.batch(count: 3)).get()
        #expect(first.info.firstOffset == 0 && first.info.lastOffset == 2 && first.pendingFlush == nil)
        #expect(f.partition.logEndOffset == 3 && f.partition.highWatermark == 3 && f.partition.logStartOffset == 0)
        f.partition.updateLeaderEpoch(6)
        #expect(f.partition.leaderEpoch == 6)
        let second = try f.append(try Self.batch(count: 2)).get()
        #expect(second.info.firstOffset == 3 && f.partition.highWatermark == 5)
        #expect(try f.batchEpochs() == [5, 6])
    }

    /// A Produce checks leadership in its metadata image, then appends on the I/O executor: a node that
    /// became a follower in between (a controlled shutdown moved the leadership) must not write the
    /// client's records under the new leader's epoch, at offsets the new leader gives to other records.
    @Test func aPartitionThisNodeNoLongerLeadsRefusesAClientsRecordsAndWritesNothing() throws {
        let f = try Fixture(leaderEpoch: 0)
        defer { f.remove() }
        _ = try f.append(try Self.batch(count: 3)).get()
        f.partition.makeFollower(PartitionRegistration(replicas: [1, 2], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 1))
        for acks: Int16 in [1, -1] {
            guard case let .failure(refused) = f.append(try Self.batch(count: 2), acks: acks) else {
                Issue.record("a follower appended a client's records")
                continue
            }
            #expect(refused.code == .notLeaderOrFollower)
        }
        #expect(f.partition.logEndOffset == 3 && f.partition.highWatermark == 3)
        #expect(try f.batchEpochs() == [0])
        // The follower's own path still writes the leader's batches.
        #expect(try f.partition.appendAsFollower(try Self.batch(count: 2, baseOffset: 3, leaderEpoch: 1), leaderEpoch: 1, now: Self.now) == .done)
        #expect(try f.batchEpochs() == [0, 1])
    }

    @Test func anAcksAllAppendThatMustBeFlushedMovesTheHighWatermarkOnlyWhenTheFlushCompletes() throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: true))
        defer { f.remove() }
        let waiting = try f.append(try Self.batch(count: 3), acks: -1).get()
        let pending = try #require(waiting.pendingFlush)
        #expect(pending.end == 3 && f.partition.highWatermark == 0 && f.partition.logEndOffset == 3)
        // acks=1 meanwhile exposes everything appended so far, as a Kafka broker's high watermark never waits for fsync.
        let other = try f.append(try Self.batch(count: 2), acks: 1).get()
        #expect(other.pendingFlush == nil && f.partition.highWatermark == 5)
        // The earlier flush completing must not move the high watermark back to its end.
        try f.partition.flush(pending, now: Self.now)
        #expect(f.partition.highWatermark == 5)

        let next = try #require(try f.append(try Self.batch(count: 1), acks: -1).get().pendingFlush)
        #expect(f.partition.highWatermark == 5)
        try f.partition.flush(next, now: Self.now)
        #expect(f.partition.highWatermark == 6)
        #expect(f.partition.withLog { $0.recoveryPoint } == 6)
    }

    /// An acks=all append's flush runs off the lock; if the node became a follower meanwhile, the flush
    /// completing must leave the high watermark where it was: the records may not be in the new
    /// leader's log, and a consumer of this follower must not read them.
    @Test func aFlushThatCompletesAfterTheNodeBecameAFollowerLeavesTheHighWatermark() throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: true), leaderEpoch: 0)
        defer { f.remove() }
        _ = try f.append(try Self.batch(count: 2), acks: 1).get()
        let pending = try #require(try f.append(try Self.batch(count: 3), acks: -1).get().pendingFlush)
        #expect(f.partition.highWatermark == 2 && f.partition.logEndOffset == 5)
        f.partition.makeFollower(PartitionRegistration(replicas: [1, 2], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 1))
        try f.partition.flush(pending, now: Self.now)
        #expect(f.partition.highWatermark == 2)
        #expect(f.partition.withLog { $0.recoveryPoint } == 5)
    }

    @Test func withoutFlushBeforeAcksAllAnAcksAllAppendIsVisibleAtOnce() throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: false))
        defer { f.remove() }
        let append = try f.append(try Self.batch(count: 4), acks: -1).get()
        #expect(append.pendingFlush == nil && f.partition.highWatermark == 4)
    }

    @Test func theHighWatermarkOnlyMovesForwardAndNeverPastTheLogEnd() throws {
        let f = try Fixture()
        defer { f.remove() }
        _ = try f.append(try Self.batch(count: 3)).get()
        f.partition.maybeIncrementHighWatermark(1)
        #expect(f.partition.highWatermark == 3)
        f.partition.maybeIncrementHighWatermark(100)
        #expect(f.partition.highWatermark == 3)
    }

    @Test func theCoordinatorsAppendsAreFlushedBeforeTheHighWatermarkCoversThem() throws {
        let f = try Fixture(settings: Fixture.settings(flushBeforeAcksAll: false))
        defer { f.remove() }
        let append = try f.append(try Self.batch(count: 2), origin: .coordinator).get()
        let pending = try #require(append.pendingFlush)
        #expect(f.partition.highWatermark == 0)
        try f.partition.flush(pending, now: Self.now)
        #expect(f.partition.highWatermark == 2)
        #expect(try f.batchEpochs() == [5])
    }

    @Test func theQuorumsAppendsCarryTheirOwnEpochAndLeaveTheHighWatermarkToItsCommits() throws {
        let f = try Fixture(leading: false)
        defer { f.remove() }
        var control = RecordBatchBuilder()
        control.append(.commit(coordinatorEpoch: 0), timestamp: Self.now)
        for (records, epoch) in [(try Self.batch(count: 2), Int32(3)), (try control.build().bytes, Int32(4))] {
            let append = try f.partition.appendAsLeader(records, origin: .raftLeader, decompressionLimit: 0, now: Self.now,
                                                        leaderEpoch: epoch).result.get()
            #expect(append.pendingFlush == nil)
        }
        #expect(f.partition.logEndOffset == 3 && f.partition.highWatermark == 0)
        #expect(try f.batchEpochs() == [3, 4])
        f.partition.maybeIncrementHighWatermark(2)
        #expect(f.partition.highWatermark == 2)
    }

    @Test func deleteRecordsMovesTheLogStartOffsetAndTheHighWatermarkStaysAboveIt() throws {
        let f = try Fixture(config: LogConfig(segmentBytes: 200))
        defer { f.remove() }
        for _ in 0..<4 { _ = try f.append(try Self.batch(count: 2)).get() }
        #expect(f.partition.highWatermark == 8)
        let start = try f.partition.withLog { try $0.deleteRecords(before: 5) }
        #expect(start == 5 && f.partition.logStartOffset == 5)
        #expect(f.partition.highWatermark == 8 && f.partition.logEndOffset == 8)
        let next = try f.append(try Self.batch(count: 1)).get()
        #expect(next.info.logStartOffset == 5 && f.partition.highWatermark == 9)
    }

    @Test func everyRefusalHasItsErrorCodeAndWritesNothing() throws {
        let f = try Fixture(settings: Fixture.settings(maxMessageBytes: 400, compacted: true, timestampBeforeMaxMs: 60_000),
                            config: LogConfig(segmentBytes: 300))
        defer { f.remove() }
        var twoBatches = try Self.batch(count: 1)
        var second = try Self.batch(count: 1)
        twoBatches.writeBuffer(&second)
        var corrupt = try Self.batch(count: 2)
        let last = corrupt.writerIndex - 1
        corrupt.setInteger(corrupt.getInteger(at: last, as: UInt8.self)! ^ 0xFF, at: last)
        var control = RecordBatchBuilder()
        control.append(.commit(coordinatorEpoch: 0), timestamp: Self.now)
        var big = RecordBatchBuilder()
        big.append(timestamp: Self.now, key: [1], value: [UInt8](repeating: 7, count: 500))
        var overSegment = RecordBatchBuilder()
        overSegment.append(timestamp: Self.now, key: [1], value: [UInt8](repeating: 7, count: 320))
        let cases: [(String, ByteBuffer?, LogValidator.Origin, ErrorCode)] = [
            ("no records", nil, .client(produceVersion: 9), .invalidRecord),
            ("two batches", twoBatches, .client(produceVersion: 9), .invalidRecord),
            ("corrupt", corrupt, .client(produceVersion: 9), .corruptMessage),
            ("too large", try big.build().bytes, .client(produceVersion: 9), .messageTooLarge),
            ("larger than a segment", try overSegment.build().bytes, .client(produceVersion: 9), .recordListTooLarge),
            ("zstd before v7", try Self.batch(compression: .zstd), .client(produceVersion: 6), .unsupportedCompressionType),
            ("control from a client", try control.build().bytes, .client(produceVersion: 9), .invalidRecord),
            ("control from the coordinator", try control.build().bytes, .coordinator, .invalidRecord),
            ("keyless in a compacted topic", try Self.batch(key: nil), .client(produceVersion: 9), .invalidRecord),
            ("too old", try Self.batch(timestamp: Self.now - 120_000), .client(produceVersion: 9), .invalidTimestamp),
            ("producer without a sequence", try Self.batch(producerID: 7), .client(produceVersion: 9), .invalidRecord),
            ("corrupt from the coordinator", corrupt, .coordinator, .corruptMessage),
        ]
        for (name, records, origin, code) in cases {
            switch f.append(records, origin: origin) {
            case .success: Issue.record("\(name) was appended")
            case let .failure(failure): #expect(failure.code == code, "\(name): \(failure.message)")
            }
        }
        #expect(f.partition.logEndOffset == 0 && f.partition.highWatermark == 0)
        #expect(f.partition.withLog { $0.size } == 0)
    }

    @Test func whatValidationInflatedIsReportedEvenWhenALaterCheckRefusesTheRecords() throws {
        let f = try Fixture()
        defer { f.remove() }
        let refused = f.partition.appendAsLeader(try Self.batch(count: 20, compression: .gzip, producerID: 7),
                                                 origin: .client(produceVersion: 9), decompressionLimit: 64 << 20, now: Self.now)
        guard case let .failure(failure) = refused.result else { Issue.record("appended"); return }
        #expect(failure.code == .invalidRecord && refused.inflatedBytes > 0)
        let accepted = f.partition.appendAsLeader(try Self.batch(count: 20, compression: .gzip), origin: .client(produceVersion: 9),
                                                  decompressionLimit: 64 << 20, now: Self.now)
        #expect(accepted.inflatedBytes == refused.inflatedBytes)
        #expect(try accepted.result.get().info.lastOffset == 19)
    }
}
