import Foundation
@testable import KafkaBroker
import KafkaGroups
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import BrokerTestKit
import Logging
import NIOConcurrencyHelpers
import NIOCore
import StromConfig
import Testing

/// The group coordinator follows this node's leadership of `__consumer_offsets` (Kafka's `onElection` /
/// `onResignation`), and answers only once its records are in the ISR: a node-1 replica manager and
/// coordinator on a manual clock, driven by metadata images applied by hand, with follower fetches
/// and follower appends played by the test. No sockets, no sleeps.
@Suite struct GroupCoordinatorLeadershipTests {
    static let topicID = KafkaUUID(mostSignificantBits: 9, leastSignificantBits: 9)

    /// A node-1 replica manager, a coordinator over `partitions` offsets partitions, and their clock.
    final class Fixture: Sendable {
        let clock = ManualClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strom-leadership-\(UUID().uuidString)").path
        let replicas: ReplicaManager
        let service: GroupCoordinatorService
        let partitions: Int32
        let commitTimeoutMs: Int64 = 5_000

        init(partitions: Int32) throws {
            self.partitions = partitions
            var properties = ServerConfig.embeddedDefaults
            properties["log.dirs"] = directory
            replicas = ReplicaManager(config: try ServerConfig.parse(properties), clock: clock, logger: Logger(label: "test"),
                                      io: BlockingIOExecutor(threadCount: 2))
            var config = GroupCoordinatorConfig()
            config.offsetsTopicPartitions = partitions
            service = GroupCoordinatorService(config: config, log: ConsumerOffsetsLog(replicas: replicas), commitTimeoutMs: commitTimeoutMs,
                                              clock: clock, logger: Logger(label: "test"))
        }

        /// Applies an image in which each offsets partition has the given leader, leader epoch and ISR
        /// (replicas: brokers 1 and 2, unless `replicas` says otherwise).
        func apply(_ partitions: [Int32: (leader: Int32, leaderEpoch: Int32, isr: [Int32])], replicas assigned: [Int32] = [1, 2],
                   partitionEpoch: Int32) throws {
            var delta = MetadataDelta(base: .empty)
            try delta.replay(TopicRecord(name: ConsumerOffsetsLog.topic, topicID: GroupCoordinatorLeadershipTests.topicID))
            for (index, p) in partitions.sorted(by: { $0.key < $1.key }) {
                try delta.replay(PartitionRecord(partitionID: index, topicID: GroupCoordinatorLeadershipTests.topicID, replicas: assigned,
                                                 isr: p.isr, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: partitionEpoch))
            }
            replicas.apply(image: delta.apply(provenance: MetadataProvenance(offset: Int64(partitionEpoch) + 1, epoch: 1)), delta: delta)
        }

        func partition(_ index: Int32) throws -> Partition {
            try #require(replicas.replica(TopicPartition(ConsumerOffsetsLog.topic, index)))
        }

        /// Broker 2 fetches partition `index` at the leader's log end: it has every record, so the high
        /// watermark may cover them.
        func followerCatchesUp(_ index: Int32) throws {
            let p = try partition(index)
            let end = p.logEndOffset
            p.recordFollowerFetch(replicaID: 2, brokerEpoch: -1, fetchOffset: end, logStartOffset: 0, leaderLogEndOffset: end, now: clock.nowMs())
        }

        /// A group id placed on offsets partition `index`.
        func group(on index: Int32, prefix: String = "g") -> String {
            (0...).lazy.map { "\(prefix)\($0)" }.first { CoordinatorPartitioner.partition(for: $0, partitionCount: self.partitions) == index }!
        }

        func close() async {
            await service.stop()
            await replicas.stopReplication()
            replicas.shutdown()
            await replicas.io.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func commit(_ group: String, offset: Int64) -> OffsetCommitRequest {
        OffsetCommitRequest(groupID: group, topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: offset)])])
    }

    static func fetch(_ group: String) -> OffsetFetchRequest {
        OffsetFetchRequest(groupID: group, topics: [.init(name: "t", partitionIndexes: [0])])
    }

    static func committedOffset(_ r: OffsetFetchResponse) -> Int64? {
        r.errorCode == 0 ? r.topics.first?.partitions.first?.committedOffset : nil
    }

    static func commitError(_ r: OffsetCommitResponse) -> ErrorCode? {
        r.topics.first?.partitions.first.map { ErrorCode(rawValue: $0.errorCode) }
    }

    /// Leader 2's batch of coordinator records at `offset` in its leader epoch `epoch`, as a follower receives it.
    static func leaderBatch(_ records: [CoordinatorRecord], at offset: Int64, epoch: Int32) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.baseOffset = offset
        builder.partitionLeaderEpoch = epoch
        for r in records { builder.append(timestamp: 1_000, key: r.key, value: r.value) }
        return try builder.build().bytes
    }

    @Test func aNodeCoordinatesExactlyThePartitionsItLeadsLoadingThemFromItsReplica() async throws {
        let f = try Fixture(partitions: 1)
        let g = f.group(on: 0)
        // Broker 2 leads; this node follows and replicates a commit broker 2's coordinator wrote.
        try f.apply([0: (leader: 2, leaderEpoch: 0, isr: [1, 2])], partitionEpoch: 0)
        await f.service.start()
        #expect(await f.service.fetch(Self.fetch(g), version: 7).errorCode == ErrorCode.notCoordinator.rawValue)
        #expect(Self.commitError(await f.service.commit(Self.commit(g, offset: 1), version: 8)) == .notCoordinator)
        let written = CoordinatorRecord.offsetCommit(group: g, topic: "t", partition: 0, OffsetAndMetadata(offset: 42, commitTimestamp: 1_000))
        #expect(try f.partition(0).appendAsFollower(try Self.leaderBatch([written], at: 0, epoch: 0), leaderEpoch: 0, now: f.clock.nowMs()) == .done)
        try f.partition(0).updateFollowerHighWatermark(1)
        #expect(await f.service.loaded.isEmpty)

        // Broker 2 is gone: this node leads in epoch 1 and serves the group from its replica.
        try f.apply([0: (leader: 1, leaderEpoch: 1, isr: [1])], partitionEpoch: 1)
        #expect(Self.committedOffset(await f.service.fetch(Self.fetch(g), version: 7)) == 42)
        #expect(await f.service.loaded == [0: 1])
        #expect(Self.commitError(await f.service.commit(Self.commit(g, offset: 50), version: 8)) == .noError, "alone in the ISR")

        // Broker 2 leads again (epoch 2): this node resigns and drops the group.
        try f.apply([0: (leader: 2, leaderEpoch: 2, isr: [1, 2])], partitionEpoch: 2)
        #expect(await f.service.fetch(Self.fetch(g), version: 7).errorCode == ErrorCode.notCoordinator.rawValue)
        #expect(await f.service.loaded.isEmpty)
        #expect(await f.service.coordinator.offsets.isEmpty, "nothing of the partition stays in memory")

        // And back (epoch 3): loaded again from the log, its own commit included.
        try f.apply([0: (leader: 1, leaderEpoch: 3, isr: [1])], partitionEpoch: 3)
        #expect(Self.committedOffset(await f.service.fetch(Self.fetch(g), version: 7)) == 50)
        #expect(await f.service.loaded == [0: 3])
        await f.close()
    }

    @Test func aCommitIsAnsweredOnceTheISRHasItWithoutHoldingUpOtherGroups() async throws {
        let f = try Fixture(partitions: 2)
        let slow = f.group(on: 0, prefix: "slow"), other = f.group(on: 1, prefix: "other")
        // Partition 0 has broker 2 in its ISR; partition 1 has this node alone.
        try f.apply([0: (leader: 1, leaderEpoch: 0, isr: [1, 2]), 1: (leader: 1, leaderEpoch: 0, isr: [1])], partitionEpoch: 0)
        await f.service.start()
        let waitEnds = f.clock.nowMs() + f.commitTimeoutMs
        let fetchesWoken = f.replicas.appended.generation
        let committing = Task { await f.service.commit(Self.commit(slow, offset: 7), version: 8) }
        // Appended and waiting for broker 2 (its timeout is on the clock), outside the coordinator's gate:
        await f.clock.sleepers { $0.contains(waitEnds) }
        #expect(try f.partition(0).logEndOffset == 1 && f.partition(0).highWatermark == 0)
        #expect(f.replicas.appended.generation > fetchesWoken, "the append woke long-polling follower fetches")
        // another group's requests are answered meanwhile, and the waiting commit is not visible yet.
        #expect(Self.commitError(await f.service.commit(Self.commit(other, offset: 3), version: 8)) == .noError)
        var heartbeat = HeartbeatRequest(groupID: other)
        heartbeat.memberID = "nobody"
        #expect(await f.service.heartbeat(heartbeat).errorCode == ErrorCode.unknownMemberID.rawValue)
        let reading = Task { await f.service.fetch(Self.fetch(slow), version: 7) }
        await f.clock.sleepers { $0.filter { $0 == waitEnds }.count == 2 }

        // Broker 2 fetches: the high watermark covers the commit, and both replies go out.
        try f.followerCatchesUp(0)
        #expect(Self.commitError(await committing.value) == .noError)
        #expect(Self.committedOffset(await reading.value) == 7)
        await f.close()
    }

    @Test func aCommitTheISRDoesNotTakeInTimeIsCoordinatorNotAvailableAndALostLeadershipIsNotCoordinator() async throws {
        let f = try Fixture(partitions: 1)
        let g = f.group(on: 0)
        try f.apply([0: (leader: 1, leaderEpoch: 0, isr: [1, 2])], partitionEpoch: 0)
        await f.service.start()

        // Broker 2 does not fetch within offsets.commit.timeout.ms.
        let firstEnds = f.clock.nowMs() + f.commitTimeoutMs
        let first = Task { await f.service.commit(Self.commit(g, offset: 5), version: 8) }
        await f.clock.sleepers { $0.contains(firstEnds) }
        f.clock.advance(byMs: f.commitTimeoutMs - 1)
        #expect(f.clock.pendingDeadlines.contains(firstEnds), "not a millisecond early")
        f.clock.advance(byMs: 1)
        #expect(Self.commitError(await first.value) == .coordinatorNotAvailable)
        // As in Kafka, the record stays in the leader's log: once broker 2 has it, it counts.
        let readEnds = f.clock.nowMs() + f.commitTimeoutMs
        let reading = Task { await f.service.fetch(Self.fetch(g), version: 7) }
        await f.clock.sleepers { $0.contains(readEnds) }
        try f.followerCatchesUp(0)
        #expect(Self.committedOffset(await reading.value) == 5)

        // The leadership moves to broker 2 while a commit waits: NOT_COORDINATOR, and the group is dropped.
        let secondEnds = f.clock.nowMs() + f.commitTimeoutMs
        let second = Task { await f.service.commit(Self.commit(g, offset: 6), version: 8) }
        await f.clock.sleepers { $0.contains(secondEnds) }
        try f.apply([0: (leader: 2, leaderEpoch: 1, isr: [1, 2])], partitionEpoch: 1)
        #expect(Self.commitError(await second.value) == .notCoordinator)
        #expect(await f.service.fetch(Self.fetch(g), version: 7).errorCode == ErrorCode.notCoordinator.rawValue)
        #expect(await f.service.loaded.isEmpty)
        await f.close()
    }

    @Test func aParkedJoinIsAnsweredOnlyOnceItsGroupsRecordIsInTheISR() async throws {
        let f = try Fixture(partitions: 1)
        let g = f.group(on: 0)
        try f.apply([0: (leader: 1, leaderEpoch: 0, isr: [1, 2])], partitionEpoch: 0)
        await f.service.start()
        var join = GroupCoordinatorTimerTests.join()
        join.groupID = g
        // JoinGroup v1 creates the group (one record) and waits for the initial rebalance delay.
        let start = f.clock.nowMs()
        let joining = Task { await f.service.join(join, context: GroupRequestContext(apiVersion: 1)) }
        let delayEnds = start + Int64(GroupCoordinatorConfig().initialRebalanceDelayMs)
        let joinWaitEnds = start + f.commitTimeoutMs, answerWaitEnds = delayEnds + f.commitTimeoutMs
        await f.clock.sleepers { $0.contains(delayEnds) && $0.contains(joinWaitEnds) }
        // The delay ends and the join completes, but its answer waits for broker 2.
        f.clock.advance(byMs: delayEnds - start)
        await f.clock.sleepers { $0.contains(answerWaitEnds) }
        #expect(try f.partition(0).highWatermark == 0)
        try f.followerCatchesUp(0)
        let joined = await joining.value
        #expect(joined.errorCode == 0 && joined.generationID == 1 && joined.leader == joined.memberID)
        await f.close()
    }

    @Test func theReplicaManagerTellsListenersOfElectionsAndResignations() async throws {
        let f = try Fixture(partitions: 2)
        try f.apply([0: (leader: 1, leaderEpoch: 0, isr: [1, 2]), 1: (leader: 2, leaderEpoch: 0, isr: [1, 2])], partitionEpoch: 0)
        let heard = NIOLockedValueBox<[LeadershipChange]>([])
        f.replicas.addLeadershipListener { changes in heard.withLockedValue { $0 += changes } }
        let tp0 = TopicPartition(ConsumerOffsetsLog.topic, 0), tp1 = TopicPartition(ConsumerOffsetsLog.topic, 1)
        #expect(heard.withLockedValue { $0 } == [.elected(tp0, leaderEpoch: 0)], "first the leaderships in place")
        try f.apply([0: (leader: 2, leaderEpoch: 1, isr: [1, 2]), 1: (leader: 1, leaderEpoch: 1, isr: [1, 2])], partitionEpoch: 1)
        #expect(Set(heard.withLockedValue { $0 }.dropFirst()) == [.resigned(tp0, leaderEpoch: 1), .elected(tp1, leaderEpoch: 1)])
        // An image that changes nothing for this node's partitions tells nothing.
        try f.apply([0: (leader: 2, leaderEpoch: 1, isr: [1, 2]), 1: (leader: 1, leaderEpoch: 1, isr: [1, 2])], partitionEpoch: 1)
        #expect(heard.withLockedValue { $0 }.count == 3)
        await f.close()
    }
}
