import Foundation
@testable import KafkaBroker
import KafkaMetadata
import KafkaRaft
import BrokerTestKit
import KafkaTestKit
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Testing

extension QuorumDriver {
    /// Whether the actor's code runs on an event-loop thread (the executor's serial lane).
    func runsOnTheSerialLane() -> Bool { MultiThreadedEventLoopGroup.currentEventLoop != nil }
}

/// The quorum driver on a manual clock, without sockets (a single voter has no peers): the core's
/// timers are awaited on the node's clock, so an election happens exactly when the clock reaches the
/// core's deadline, and committed entries reach the metadata side with their high watermark.
@Suite struct QuorumDriverClockTests {
    final class Observed: Sendable {
        let statuses = NIOLockedValueBox<[QuorumDriver.Status]>([])
        let commits = NIOLockedValueBox<[(first: Int64, count: Int, highWatermark: Int64)]>([])
    }

    static func driver(clock: ManualClock, directory: String, observed: Observed, io: BlockingIOExecutor) throws -> QuorumDriver {
        let endpoint = VoterSet.Endpoint(name: "CONTROLLER", host: "127.0.0.1", port: 9)
        var config = QuorumConfig()
        config.listenerName = "CONTROLLER"
        config.localListeners = [endpoint]
        let logger = Logger(label: "test")
        let disk = try MetadataRaftLog(logDirectory: directory, logger: logger, now: clock.nowMs())
        return try QuorumDriver(localID: 1, clusterID: "cluster", voters: VoterSet(voters: [.init(voterID: 1, endpoints: [endpoint])]),
                                config: config, snapshotPolicy: SnapshotPolicy(), disk: disk, io: io,
                                connections: ControllerConnections(nodeID: 1, logger: logger), clock: clock, logger: logger,
                                onCommit: { first, entries, hw in observed.commits.withLockedValue { $0.append((first, entries.count, hw)) } },
                                onStatus: { status in observed.statuses.withLockedValue { $0.append(status) } },
                                onSnapshot: { _, _ in }, snapshotSource: { .empty })
    }

    @Test func aSingleVoterIsElectedByItsTimerAndCommitsAppends() async throws {
        let clock = ManualClock()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strom-quorum-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let observed = Observed()
        let io = BlockingIOExecutor(threadCount: 1)
        let driver = try Self.driver(clock: clock, directory: dir, observed: observed, io: io)
        await driver.start()
        #expect(await driver.runsOnTheSerialLane(), "its fsyncs block the lane's thread, not a cooperative one")
        let started = clock.nowMs()
        // Every step of the election is a deadline of the core, reached only by moving the clock.
        var steps = 0
        while await !driver.status.isLeader {
            await clock.sleepers(atLeast: 1)
            let next = try #require(clock.pendingDeadlines.first)
            #expect(await !driver.status.isLeader)
            clock.advance(byMs: next - clock.nowMs())
            steps += 1
            try #require(steps <= 5, "elected within a few timer steps")
            // The driver handles the tick on its actor; the next timer it sets shows it has.
            await clock.sleepers { !$0.isEmpty && $0.first! > next }
        }
        #expect(clock.nowMs() - started <= 2 * QuorumConfig().electionTimeoutMs, "within one randomised election timeout")
        let leader = try #require(observed.statuses.withLockedValue { $0.last })
        #expect(leader.isLeader && leader.leaderID == 1 && leader.epoch >= 1)

        // An append commits at once in a quorum of one, and the metadata side hears of it in order.
        let before = observed.commits.withLockedValue { $0.last?.highWatermark ?? 0 }
        #expect(driver.commitLatencyMs() == nil, "no append of its own committed yet (its leader-change entry is not one)")
        let last = try await driver.append([[1, 2, 3], [4, 5]])
        let commits = observed.commits.withLockedValue { $0 }
        let final = try #require(commits.last)
        #expect(final.highWatermark == last + 1)
        #expect(final.first + Int64(final.count) == last + 1)
        #expect(before <= last - 1, "the leader-change entry committed before the append")
        var next: Int64 = 0
        for c in commits where c.count > 0 {
            #expect(c.first == next, "entries are handed over once each, in offset order")
            next = c.first + Int64(c.count)
        }
        // Kafka's commit latency: the batch committed with the clock standing still is one sample of
        // 0 ms per record, and it leaves the window once both 30 s samples have aged out.
        let latency = try #require(driver.commitLatencyMs())
        #expect(latency.avg == 0 && latency.max == 0)
        clock.advance(byMs: Int64(SampledWindow.sampleCount) * SampledWindow.windowMs)
        #expect(driver.commitLatencyMs() == nil)
        await driver.shutdown()
        await io.shutdown()
    }
}
