import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Testing
@testable import KafkaBroker

/// The log cleaner in the broker: `__consumer_offsets` is compacted, shrinks, and every group's latest
/// committed offsets survive a restart.
@Suite struct CompactionBrokerTests {
    private static let offsetsTopic = "__consumer_offsets"

    private func offsetsBytes(_ broker: TestBroker) -> Int64 {
        (0..<3).reduce(0) { sum, p in
            sum + (broker.node.replicas.replica(TopicPartition(Self.offsetsTopic, Int32(p)))?.withLog { $0.size } ?? 0)
        }
    }

    @Test func consumerOffsetsIsCompactedAndKeepsEveryGroupsLatestOffsets() async throws {
        let broker = try await TestBroker(overrides: ["group.initial.rebalance.delay.ms": "0"])
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 7)
        #expect(broker.metadata.image.configs(for: .topic(Self.offsetsTopic))["cleanup.policy"] == "compact")
        // Small segments so that the commits below fill closed segments the cleaner may rewrite.
        let altered = try await client.send(IncrementalAlterConfigsRequest(resources: [
            .init(resourceType: 2, resourceName: Self.offsetsTopic, configs: [.init(name: "segment.bytes", configOperation: 0, value: "2000")]),
        ]), version: 1)
        #expect(altered.responses.first?.errorCode == 0)

        let groups = (0..<4).map { "group-\($0)" }
        var latest: [String: [Int64]] = [:]
        for round in 0..<40 {
            for (g, group) in groups.enumerated() {
                let offsets = [Int64(round * 10 + g), Int64(round * 7 + g)]
                let committed = try await client.send(OffsetCommitRequest(groupID: group, generationIDOrMemberEpoch: -1, memberID: "", topics: [
                    .init(name: "t", partitions: offsets.enumerated().map { .init(partitionIndex: Int32($0), committedOffset: $1, committedMetadata: "r\(round)") }),
                ]), version: 8)
                #expect(committed.topics.first?.partitions.allSatisfy { $0.errorCode == 0 } == true)
                latest[group] = offsets
            }
        }
        let before = offsetsBytes(broker)
        let pass = await broker.node.replicas.runCleaningOffTheRequestPath(now: broker.node.replicas.clock.nowMs(), byteBudget: 1 << 30)
        #expect(pass.rounds > 0 && pass.bytesWritten < pass.bytesCleaned)
        let after = offsetsBytes(broker)
        #expect(after < before / 2, "__consumer_offsets went from \(before) to \(after) bytes")
        // Nothing dirty is left, so a second pass does nothing.
        #expect(broker.node.replicas.runCleaning(now: broker.node.replicas.clock.nowMs(), byteBudget: 1 << 30).rounds == 0)
        await client.close()

        let directory = broker.directory
        await broker.shutdown(keepData: true)
        let again = try await TestBroker(directory: directory)
        let c2 = try await again.client()
        for group in groups {
            let fetched = try await c2.send(OffsetFetchRequest(groupID: group, topics: [.init(name: "t", partitionIndexes: [0, 1])]), version: 7)
            let partitions = fetched.topics.first?.partitions.sorted { $0.partitionIndex < $1.partitionIndex } ?? []
            #expect(partitions.map(\.committedOffset) == latest[group], "\(group)")
            #expect(partitions.allSatisfy { $0.metadata == "r39" })
        }
        #expect(offsetsBytes(again) <= after + 4_000, "the restart replays the compacted log, not the whole history")
        await c2.close()
        await again.shutdown()
    }

    @Test func compactedTopicsAreAcceptedWithTheirPolicy() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "c", numPartitions: 1, replicationFactor: 1, configs: [
            .init(name: "cleanup.policy", value: "compact,delete"), .init(name: "segment.bytes", value: "1000"),
            .init(name: "min.cleanable.dirty.ratio", value: "0.01"),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let refused = try await client.send(CreateTopicsRequest(topics: [.init(name: "bad", numPartitions: 1, replicationFactor: 1, configs: [
            .init(name: "cleanup.policy", value: "compact,shred"),
        ])]), version: 7)
        #expect(refused.topics.first?.errorCode == ErrorCode.invalidConfig.rawValue)
        let replica = try #require(broker.node.replicas.replica(TopicPartition("c", 0)))
        #expect(replica.withLog { $0.config.cleanupPolicy } == [.compact, .delete])
        await client.close()
        await broker.shutdown()
    }
}
