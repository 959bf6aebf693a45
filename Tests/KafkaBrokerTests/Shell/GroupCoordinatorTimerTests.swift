import Foundation
@testable import KafkaBroker
import KafkaGroups
import KafkaMetadata
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Logging
import StromConfig
import Testing

/// The group coordinator's timer on a manual clock, without sockets: the shell sleeps until the core's
/// earliest deadline (no polling), so the initial rebalance delay and a member's session end exactly
/// when the clock reaches them, and not a millisecond before.
@Suite struct GroupCoordinatorTimerTests {
    /// A node-1 replica manager in a temporary directory holding `__consumer_offsets-0`.
    static func offsetsLog(clock: ManualClock) throws -> (ConsumerOffsetsLog, ReplicaManager, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strom-timer-\(UUID().uuidString)").path
        var properties = ServerConfig.embeddedDefaults
        properties["log.dirs"] = dir
        let config = try ServerConfig.parse(properties)
        let replicas = ReplicaManager(config: config, clock: clock, logger: Logger(label: "test"), io: BlockingIOExecutor(threadCount: 1))
        let topicID = KafkaUUID(mostSignificantBits: 7, leastSignificantBits: 7)
        var delta = MetadataDelta(base: .empty)
        try delta.replay(TopicRecord(name: ConsumerOffsetsLog.topic, topicID: topicID))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: topicID, replicas: [config.nodeID], isr: [config.nodeID],
                                         leader: config.nodeID, leaderEpoch: 0, partitionEpoch: 0))
        let image = delta.apply(provenance: MetadataProvenance(offset: 1, epoch: 1))
        replicas.apply(image: image, delta: delta)
        return (ConsumerOffsetsLog(replicas: replicas), replicas, dir)
    }

    static func join(_ member: String = "") -> JoinGroupRequest {
        var r = JoinGroupRequest()
        r.groupID = "g"
        r.sessionTimeoutMs = 10_000
        r.rebalanceTimeoutMs = 30_000
        r.memberID = member
        r.protocolType = "consumer"
        r.protocols = [.init(name: "range", metadata: [0, 1])]
        return r
    }

    @Test func theInitialDelayAndTheSessionTimeoutFireOnTheClock() async throws {
        let clock = ManualClock()
        let (log, replicas, dir) = try Self.offsetsLog(clock: clock)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = GroupCoordinatorConfig()
        config.offsetsTopicPartitions = 1
        let service = GroupCoordinatorService(config: config, log: log, clock: clock, logger: Logger(label: "test"))
        await service.start()
        let start = clock.nowMs(), retentionCheck = start + config.offsetsRetentionCheckIntervalMs
        // Loaded and idle: the only timer is the next offsets-retention check.
        await clock.sleepers { $0 == [retentionCheck] }

        // JoinGroup v1 joins at once (no MEMBER_ID_REQUIRED), with a rebalance timeout of its own (so the
        // wait for SyncGroup outlasts the session), and waits for the initial rebalance delay.
        let joining = Task { await service.join(Self.join(), context: GroupRequestContext(apiVersion: 1)) }
        let delayEnds = start + Int64(config.initialRebalanceDelayMs)
        await clock.sleepers { $0 == [delayEnds] }
        clock.advance(byMs: Int64(config.initialRebalanceDelayMs) - 1)
        #expect(clock.pendingDeadlines == [delayEnds], "not a millisecond early")
        clock.advance(byMs: 1)
        let joined = await joining.value
        #expect(joined.errorCode == 0)
        #expect(joined.generationID == 1)
        #expect(joined.leader == joined.memberID)

        // The member's session runs from the join; silent for 10 s, it is removed.
        let sessionEnds = clock.nowMs() + 10_000
        await clock.sleepers { $0.first == sessionEnds }
        var heartbeat = HeartbeatRequest(groupID: "g")
        heartbeat.generationID = 1
        heartbeat.memberID = joined.memberID
        clock.advance(byMs: 9_999)
        #expect(await service.heartbeat(heartbeat).errorCode == 0, "still a member 1 ms before its session ends")
        // That heartbeat moved the session on: the timer now fires early and finds nothing due.
        clock.advance(byMs: 1)
        let renewedEnd = sessionEnds + 9_999
        await clock.sleepers { $0.first == renewedEnd }
        clock.advance(byMs: 9_999)
        await clock.sleepers { !$0.isEmpty && $0.allSatisfy { $0 > renewedEnd } }
        #expect(await service.heartbeat(heartbeat).errorCode == ErrorCode.unknownMemberID.rawValue)
        await service.stop()
        replicas.shutdown()
        await replicas.io.shutdown()
    }
}
