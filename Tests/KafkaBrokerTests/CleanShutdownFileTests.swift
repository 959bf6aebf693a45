import BrokerTestKit
import Foundation
@testable import KafkaBroker
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import Logging
import Testing

/// Kafka's clean-shutdown file and the PreviousBrokerEpoch it gives the next registration (KIP-966):
/// a node that stopped cleanly comes back into the eligible leader replicas it left, one that did not
/// comes back out of them.
@Suite struct CleanShutdownFileTests {
    private func directories(_ count: Int) throws -> [String] {
        try (0..<count).map { _ in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("strom-clean-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
    }

    @Test func theFormatIsKafkas() {
        #expect(CleanShutdownFile.encode(brokerEpoch: 4242) == #"{"version":0,"brokerEpoch":4242}"#)
        #expect(CleanShutdownFile.decode(Array(#"{"brokerEpoch":7,"version":0,"other":"x"}"#.utf8)) == 7)
        #expect(CleanShutdownFile.decode(Array(#"{"version":0}"#.utf8)) == nil)
        #expect(CleanShutdownFile.decode(Array("garbage".utf8)) == nil)
        #expect(CleanShutdownFile.decode([]) == nil)
    }

    @Test func everyDirectoryMustHoldTheSameEpochAndTakingRemovesTheFiles() throws {
        let logger = Logger(label: "test")
        let dirs = try directories(2)
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        try CleanShutdownFile.write(brokerEpoch: 31, logDirs: dirs)
        #expect(dirs.allSatisfy { FileManager.default.fileExists(atPath: $0 + "/.kafka_cleanshutdown") })
        #expect(CleanShutdownFile.takePreviousBrokerEpoch(logDirs: dirs, logger: logger) == 31)
        #expect(dirs.allSatisfy { !FileManager.default.fileExists(atPath: $0 + "/.kafka_cleanshutdown") })
        #expect(CleanShutdownFile.takePreviousBrokerEpoch(logDirs: dirs, logger: logger) == -1, "taken: the next start is unclean")
        // One directory without the file, or two that disagree: unclean.
        try CleanShutdownFile.write(brokerEpoch: 31, logDirs: [dirs[0]])
        #expect(CleanShutdownFile.takePreviousBrokerEpoch(logDirs: dirs, logger: logger) == -1)
        try CleanShutdownFile.write(brokerEpoch: 31, logDirs: [dirs[0]])
        try CleanShutdownFile.write(brokerEpoch: 32, logDirs: [dirs[1]])
        #expect(CleanShutdownFile.takePreviousBrokerEpoch(logDirs: dirs, logger: logger) == -1)
    }

    /// One node, a topic with one replica: its controlled shutdown leaves the partition's ISR empty and the
    /// replica in the ELR. Restarted after a clean shutdown it is elected from the ELR; after a crash (no
    /// file) it has left the ELR and comes back only as the last known leader, an unclean election.
    @Test func aCleanRestartKeepsTheELRAndACrashLeavesIt() async throws {
        let broker = try await TestBroker()
        let dir = broker.directory
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        await client.close()
        #expect(eligibleLeaderReplicasOn(broker.metadata.image))
        let epoch = await broker.metadata.brokerEpoch
        await broker.shutdown(keepData: true)
        let written = try FileSystem.readFile(dir + "/.kafka_cleanshutdown")
        #expect(written.flatMap(CleanShutdownFile.decode) == epoch)

        let clean = try await TestBroker(directory: dir)
        #expect(!FileManager.default.fileExists(atPath: dir + "/.kafka_cleanshutdown"), "taken at start")
        let afterClean = try await partition(clean)
        #expect(afterClean.leader == 1 && afterClean.isr == [1] && afterClean.leaderRecoveryState == LeaderRecoveryState.recovered)
        await clean.shutdown(keepData: true)

        try FileManager.default.removeItem(atPath: dir + "/.kafka_cleanshutdown")
        let crashed = try await TestBroker(directory: dir)
        let afterCrash = try await partition(crashed)
        #expect(afterCrash.leader == 1 && afterCrash.isr == [1] && afterCrash.leaderRecoveryState == LeaderRecoveryState.recovering)
        await crashed.shutdown()
    }

    private func eligibleLeaderReplicasOn(_ image: MetadataImage) -> Bool {
        (image.features["eligible.leader.replicas.version"] ?? 0) >= 1
    }

    /// t-0 once it has a leader.
    private func partition(_ broker: TestBroker) async throws -> PartitionRegistration {
        let led = await broker.metadata.publication.wait(until: { ($0.image.topic(named: "t")?.partitions[0]?.leader ?? -1) >= 0 },
                                                         deadlineMs: broker.metadata.clock.nowMs() + 30_000)
        #expect(led)
        return try #require(broker.metadata.image.topic(named: "t")?.partitions[0])
    }

    @Test func describeTopicPartitionsReportsTheELR() throws {
        let id = KafkaUUID(mostSignificantBits: 8, leastSignificantBits: 8)
        var delta = MetadataDelta(base: .empty)
        try delta.replay(TopicRecord(name: "t", topicID: id))
        try delta.replay(PartitionRecord(partitionID: 0, topicID: id, replicas: [1, 2, 3], isr: [], leader: -1, leaderEpoch: 4,
                                         partitionEpoch: 9, eligibleLeaderReplicas: [2, 3], lastKnownElr: [1]))
        let response = DescribeTopicPartitionsHandler.describe(DescribeTopicPartitionsRequest(topics: [.init(name: "t")]),
                                                               image: delta.apply(provenance: .empty))
        let p = try #require(response.topics.first?.partitions.first)
        #expect(p.eligibleLeaderReplicas == [2, 3] && p.lastKnownElr == [1] && p.isrNodes == [] && p.leaderID == -1)
    }
}
