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

/// The replica manager keeps each log directory's checkpoint files (Kafka's `replication-offset-checkpoint`,
/// `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`): written on their intervals from the
/// maintenance pass and at shutdown, and read when the logs open again, so a high watermark below the
/// log end offset survives a restart.
@Suite struct ReplicaCheckpointTests {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("strom-checkpoints-\(UUID().uuidString)").path
    var directories: [String] { ["a", "b"].map { (base as NSString).appendingPathComponent($0) } }

    /// A node-1 replica manager over two log directories (created, as the node does at start).
    func manager(clock: ManualClock) throws -> ReplicaManager {
        for directory in directories { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var properties = ServerConfig.embeddedDefaults
        properties["log.dirs"] = directories.joined(separator: ",")
        properties["replica.high.watermark.checkpoint.interval.ms"] = "5000"
        properties["log.flush.offset.checkpoint.interval.ms"] = "60000"
        properties["log.flush.start.offset.checkpoint.interval.ms"] = "60000"
        return ReplicaManager(config: try ServerConfig.parse(properties), clock: clock, logger: Logger(label: "test"), io: BlockingIOExecutor(threadCount: 1))
    }

    /// Topic `r` (two partitions, node 1 leads with a follower in the ISR) and `s` (one partition, node 1
    /// alone in the ISR).
    func image() throws -> (MetadataImage, MetadataDelta) {
        var delta = MetadataDelta(base: .empty)
        let r = KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 1), s = KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2)
        try delta.replay(TopicRecord(name: "r", topicID: r))
        for partition in Int32(0)..<2 {
            try delta.replay(PartitionRecord(partitionID: partition, topicID: r, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, partitionEpoch: 0))
        }
        try delta.replay(TopicRecord(name: "s", topicID: s))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: s, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0))
        return (delta.apply(provenance: MetadataProvenance(offset: 1, epoch: 1)), delta)
    }

    /// One batch of `records` one-byte records, timestamped 1,000 ms on.
    static func batch(records: Int) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        for i in 0..<records { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: [UInt8(i)]) }
        return try builder.build().bytes
    }

    func text(_ kind: LogDirectoryCheckpoints.Kind, in directory: String) -> String? {
        FileManager.default.contents(atPath: LogDirectoryCheckpoints.path(of: kind, in: directory)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func writtenOnTheirIntervalsAndAtShutdownAndReadAtStart() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ManualClock()
        let replicas = try manager(clock: clock)
        let (image, delta) = try image()
        replicas.apply(image: image, delta: delta)
        let r0 = try #require(replicas.replica(TopicPartition("r", 0))), r1 = try #require(replicas.replica(TopicPartition("r", 1)))
        let s0 = try #require(replicas.replica(TopicPartition("s", 0)))
        #expect(Set([r0.logDirectory, r1.logDirectory]) == Set(directories), "one partition of r per directory")
        for (replica, records, highWatermark) in [(r0, 10, Int64(6)), (r1, 4, 4), (s0, 3, 3)] {
            let bytes = try Self.batch(records: records)
            _ = try replica.withLog { try $0.append(bytes, leaderEpoch: 3, now: 0) }
            replica.maybeIncrementHighWatermark(highWatermark)
        }

        let start = clock.nowMs()
        replicas.runMaintenance(now: start, retention: false)
        #expect(text(.highWatermark, in: r0.logDirectory) == nil, "the first pass starts the intervals")
        replicas.runMaintenance(now: start + 4_999, retention: false)
        #expect(text(.highWatermark, in: r0.logDirectory) == nil)
        replicas.runMaintenance(now: start + 5_000, retention: false)
        #expect(text(.highWatermark, in: r0.logDirectory) == "0\n\(r0.logDirectory == s0.logDirectory ? 2 : 1)\nr 0 6\n\(r0.logDirectory == s0.logDirectory ? "s 0 3\n" : "")")
        #expect(text(.highWatermark, in: r1.logDirectory)?.contains("r 1 4\n") == true)
        #expect(text(.recoveryPoint, in: r0.logDirectory) == nil, "not due before log.flush.offset.checkpoint.interval.ms")
        replicas.runMaintenance(now: start + 60_000, retention: false)
        #expect(text(.recoveryPoint, in: r0.logDirectory)?.contains("r 0 0\n") == true, "nothing flushed yet")
        #expect(text(.logStartOffset, in: r0.logDirectory) != nil)

        replicas.shutdown()
        #expect(text(.recoveryPoint, in: r0.logDirectory)?.contains("r 0 10\n") == true, "flushed at shutdown")
        #expect(text(.highWatermark, in: r1.logDirectory)?.contains("r 1 4\n") == true)

        let again = try manager(clock: clock)
        again.apply(image: image, delta: delta)
        #expect(again.replica(TopicPartition("r", 0))?.highWatermark == 6, "the checkpointed high watermark, not the log end offset")
        #expect(again.replica(TopicPartition("r", 0))?.logEndOffset == 10)
        #expect(again.replica(TopicPartition("r", 1))?.highWatermark == 4)
        #expect(again.replica(TopicPartition("s", 0))?.highWatermark == 3)
        again.shutdown()
    }

    /// Topic "s" under another id than `image()` gives it.
    static let newID = KafkaUUID(mostSignificantBits: 3, leastSignificantBits: 3)

    /// A first run of node 1 over `image()`: s-0 gets six records, high watermark 6 and log start offset 4,
    /// which shutdown writes to the checkpoint files. The image, its delta, and s-0's log directory.
    func writeSAndShutDown(clock: ManualClock) throws -> (MetadataImage, MetadataDelta, String) {
        let first = try manager(clock: clock)
        let (image, delta) = try image()
        first.apply(image: image, delta: delta)
        let s0 = try #require(first.replica(TopicPartition("s", 0)))
        let bytes = try Self.batch(records: 6)
        _ = try s0.withLog { try $0.append(bytes, leaderEpoch: 0, now: 0) }
        s0.maybeIncrementHighWatermark(6)
        _ = try s0.withLog { try $0.deleteRecords(before: 4) }
        _ = first.shutdown()
        let directory = s0.logDirectory
        #expect(text(.logStartOffset, in: directory)?.contains("s 0 4\n") == true)
        return (image, delta, directory)
    }

    /// A delta on `base` that adds topic "s" with id `id`: one partition, node 1 alone in its ISR.
    static func topicS(id: KafkaUUID, base: MetadataImage) throws -> MetadataDelta {
        var delta = MetadataDelta(base: base)
        try delta.replay(TopicRecord(name: "s", topicID: id))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: id, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0))
        return delta
    }

    /// A deleted topic's lines leave the checkpoint files at once, and the node forgets what it read
    /// for it: a topic created again under the same name starts at offset 0, not at the old one's log
    /// start offset or high watermark (Kafka's `LogManager` rewrites the files when it deletes a log).
    @Test func aDeletedTopicLeavesTheCheckpointFilesAndARecreatedOneStartsAfresh() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ManualClock()
        let (image, delta, directory) = try writeSAndShutDown(clock: clock)
        #expect(text(.highWatermark, in: directory)?.contains("s 0 6\n") == true)

        // Restarted: the files are read (cached) when the first log opens; then "s" is deleted.
        let replicas = try manager(clock: clock)
        replicas.apply(image: image, delta: delta)
        #expect(replicas.replica(TopicPartition("s", 0))?.logStartOffset == 4)
        var removal = MetadataDelta(base: image)
        try removal.replay(RemoveTopicRecord(topicID: KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2)))
        let withoutS = removal.apply(provenance: MetadataProvenance(offset: 2, epoch: 1))
        replicas.apply(image: withoutS, delta: removal)
        #expect(replicas.replica(TopicPartition("s", 0)) == nil)
        for kind in LogDirectoryCheckpoints.Kind.allCases {
            let lines = try #require(text(kind, in: directory), "\(kind) rewritten")
            #expect(!lines.contains("s 0 "), "\(kind) still lists the deleted partition: \(lines)")
        }
        #expect(text(.highWatermark, in: directories.first { $0 != directory }!)?.contains("r ") == true, "the other directory keeps its lines")

        let again = try Self.topicS(id: Self.newID, base: withoutS)
        replicas.apply(image: again.apply(provenance: MetadataProvenance(offset: 3, epoch: 1)), delta: again)
        let recreated = try #require(replicas.replica(TopicPartition("s", 0)))
        #expect(recreated.logStartOffset == 0 && recreated.logEndOffset == 0 && recreated.highWatermark == 0)
        _ = replicas.shutdown()
    }

    /// A topic deleted while this node was down and created again under the same name (a new topic
    /// id): its old directory is a stray (`partition.metadata` names the old id), deleted with its
    /// checkpoint lines before the new log opens, instead of being adopted with its records.
    @Test func aStrayLogOfAnEarlierTopicOfTheSameNameIsDeletedNotAdopted() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ManualClock()
        let (_, _, directory) = try writeSAndShutDown(clock: clock)
        let oldID = KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2)
        #expect(PartitionMetadataFile.topicID(inPartitionDirectory: (directory as NSString).appendingPathComponent("s-0")) == oldID)

        // The node restarts into a cluster where "s" is another topic.
        let other = try Self.topicS(id: Self.newID, base: .empty)
        let replicas = try manager(clock: clock)
        replicas.apply(image: other.apply(provenance: MetadataProvenance(offset: 5, epoch: 1)), delta: nil)
        let fresh = try #require(replicas.replica(TopicPartition("s", 0)))
        #expect(fresh.logStartOffset == 0 && fresh.logEndOffset == 0 && fresh.highWatermark == 0)
        #expect(PartitionMetadataFile.topicID(inPartitionDirectory: fresh.withLog { $0.directory }) == Self.newID)
        for kind in LogDirectoryCheckpoints.Kind.allCases {
            #expect(text(kind, in: directory)?.contains("s 0 4\n") != true, "\(kind) still lists the stray's offsets")
        }
        _ = replicas.shutdown()

        // The same topic at the next start: its own directory, adopted with what it holds.
        let again = try manager(clock: clock)
        again.apply(image: other.apply(provenance: MetadataProvenance(offset: 5, epoch: 1)), delta: nil)
        #expect(again.replica(TopicPartition("s", 0))?.logEndOffset == 0)
        _ = again.shutdown()
    }

    /// New topic settings reopen the log. A truncation had lowered its recovery point below what a
    /// checkpoint file may still hold; the reopened log must still know that higher point, or its
    /// rolls below it would stop syncing at once (see `PartitionLog.highestRecoveryPoint`).
    @Test func aReopenForNewTopicSettingsKeepsTheHighestRecoveryPoint() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ManualClock()
        let replicas = try manager(clock: clock)
        let (image, delta) = try image()
        replicas.apply(image: image, delta: delta)
        let s0 = try #require(replicas.replica(TopicPartition("s", 0)))
        let bytes = try Self.batch(records: 5)
        for _ in 0..<4 {
            _ = try s0.withLog { log in try log.append(bytes, leaderEpoch: 0, now: 0) }
            try s0.withLog { log in try log.roll(now: 0) }
        }
        try s0.withLog { log in try log.flush(now: 0) }
        let high = s0.withLog { $0.recoveryPoint }
        #expect(high == 20)
        try s0.withLog { log in try log.truncate(to: 7, now: 0) }
        let (lowered, highestBefore) = s0.withLog { ($0.recoveryPoint, $0.highestRecoveryPoint) }
        #expect(lowered <= 7 && highestBefore == 20)

        var change = MetadataDelta(base: image)
        try change.replay(ConfigRecord(resourceType: ConfigResource.topicType, resourceName: "s", name: "segment.bytes", value: "1048576"))
        replicas.apply(image: change.apply(provenance: MetadataProvenance(offset: 2, epoch: 1)), delta: change)
        let (config, highest) = s0.withLog { ($0.config.segmentBytes, $0.highestRecoveryPoint) }
        #expect(config == 1_048_576, "the log was reopened with the new settings")
        #expect(highest == 20)
        _ = replicas.shutdown()
    }

    /// A roll syncs nothing (so appends never wait on a segment's fsync); the next maintenance pass
    /// flushes the sealed segment, off the partition's lock, and the recovery point passes it.
    @Test func theMaintenancePassFlushesWhatARollSealed() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ManualClock()
        let replicas = try manager(clock: clock)
        let (image, delta) = try image()
        replicas.apply(image: image, delta: delta)
        let s0 = try #require(replicas.replica(TopicPartition("s", 0)))
        let bytes = try Self.batch(records: 5)
        _ = try s0.withLog { log in try log.append(bytes, leaderEpoch: 0, now: 0) }
        try s0.withLog { log in try log.roll(now: 0) }
        _ = try s0.withLog { log in try log.append(bytes, leaderEpoch: 0, now: 0) }
        #expect(s0.withLog { $0.recoveryPoint == 0 && $0.hasUnflushedSealedSegment && $0.segments.count == 2 })
        replicas.runMaintenance(now: clock.nowMs(), retention: false)
        #expect(s0.withLog { $0.recoveryPoint == 10 && !$0.hasUnflushedSealedSegment })
        // Nothing rolled since: the next pass has nothing to flush.
        #expect(try s0.flushSealedSegments(now: clock.nowMs()) == false)
        replicas.shutdown()
    }

    @Test func aLeaderAloneInTheISRExposesItsWholeLogAfterARestart() throws {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let clock = ManualClock()
        let replicas = try manager(clock: clock)
        let (image, delta) = try image()
        replicas.apply(image: image, delta: delta)
        let s0 = try #require(replicas.replica(TopicPartition("s", 0)))
        let bytes = try Self.batch(records: 5)
        _ = try s0.withLog { try $0.append(bytes, leaderEpoch: 0, now: 0) }
        replicas.shutdown()
        // The checkpoint says 0 (the append never reached the high watermark), but nobody else must have it.
        #expect(text(.highWatermark, in: s0.logDirectory)?.contains("s 0 0\n") == true)
        let again = try manager(clock: clock)
        again.apply(image: image, delta: delta)
        #expect(again.replica(TopicPartition("s", 0))?.highWatermark == 5)
        again.shutdown()
    }
}
