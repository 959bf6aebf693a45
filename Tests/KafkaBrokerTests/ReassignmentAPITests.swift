import BrokerTestKit
import Foundation
@testable import KafkaBroker
import KafkaMetadata
import KafkaProtocol
import Testing

/// Partition reassignment (KIP-455) and DescribeLogDirs on a running node. A second broker is registered
/// by hand over the controller listener and plays a follower with Fetch requests carrying its replica id,
/// so the node's leader side, its AlterPartition and the controller's completion all run for real.
@Suite struct ReassignmentAPITests {
    /// Broker 2 leaves (asks to be fenced), so that broker 1's controlled shutdown need not wait for it.
    private func fenceSecondBroker(_ broker: TestBroker, controller: TestKafkaClient, epoch: Int64) async throws {
        _ = try await controller.send(BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: epoch, currentMetadataOffset: broker.metadata.image.provenance.offset,
                                                             wantFence: true), version: 1)
    }

    private func partition(_ broker: TestBroker, _ topic: String, _ index: Int32 = 0) -> PartitionRegistration? {
        broker.metadata.image.topic(named: topic)?.partitions[index]
    }

    /// A Fetch from broker 2 as a follower of `topic`-0 at `offset` (v15: replica id and broker epoch).
    private func followerFetch(_ client: TestKafkaClient, topicID: KafkaUUID, offset: Int64, epoch: Int64) async throws
        -> FetchResponse.FetchableTopicResponse.PartitionData {
        var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        request.replicaState = .init(replicaID: 2, replicaEpoch: epoch)
        request.topics = [.init(topicID: topicID, partitions: [.init(partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20)])]
        let response = try await client.send(request, version: 15)
        return try #require(response.responses.first?.partitions.first)
    }

    @Test func raisingTheReplicationFactorCompletesOnceTheNewReplicaCatchesUp() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "m", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [1]),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let produced = try await client.send(DataPathTests.produce(try DataPathTests.batch(["a", "b", "c"]), topic: "m"), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)

        let moved = try await client.send(AlterPartitionReassignmentsRequest(topics: [.init(name: "m", partitions: [.init(partitionIndex: 0, replicas: [1, 2])])]),
                                          version: 0)
        #expect(moved.errorCode == 0 && moved.responses.first?.partitions.first?.errorCode == 0)
        var p = try #require(partition(broker, "m"))
        #expect(p.replicas == [1, 2] && p.addingReplicas == [2] && p.isr == [1] && p.leader == 1)
        let listed = try await client.send(ListPartitionReassignmentsRequest(topics: nil), version: 0)
        #expect(listed.errorCode == 0 && listed.topics.map(\.name) == ["m"])
        #expect(listed.topics.first?.partitions.first?.addingReplicas == [2] && listed.topics.first?.partitions.first?.replicas == [1, 2])

        // Broker 2 fetches the partition from the start, then at the leader's log end: it is caught up,
        // the leader adds it to the ISR, and that AlterPartition completes the reassignment.
        let topicID = try #require(broker.metadata.image.topic(named: "m")?.id)
        let first = try await followerFetch(client, topicID: topicID, offset: 0, epoch: epoch)
        #expect(first.errorCode == 0 && first.highWatermark == 3)
        #expect(try DataPathTests.values(in: first.records) == ["a", "b", "c"])
        let caughtUp = try await followerFetch(client, topicID: topicID, offset: 3, epoch: epoch)
        #expect(caughtUp.errorCode == 0)
        let completed = await broker.metadata.publication.wait(until: { view in
            guard let p = view.image.topic(named: "m")?.partitions[0] else { return false }
            return p.isr.sorted() == [1, 2] && p.addingReplicas.isEmpty
        }, deadlineMs: broker.metadata.clock.nowMs() + 30_000)
        #expect(completed)
        p = try #require(partition(broker, "m"))
        #expect(p.replicas == [1, 2] && p.removingReplicas.isEmpty && p.leader == 1)
        let after = try await client.send(ListPartitionReassignmentsRequest(topics: [.init(name: "m", partitionIndexes: [0])]), version: 0)
        #expect(after.errorCode == 0 && after.topics.isEmpty)

        try await fenceSecondBroker(broker, controller: controller, epoch: epoch)
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    @Test func aNodeReassignedAwayStopsTheReplicaAndDeletesItsLog() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "g", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [1, 2]),
        ])]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let logDirectory = (broker.directory as NSString).appendingPathComponent("g-0")
        #expect(FileManager.default.fileExists(atPath: logDirectory))
        #expect(broker.node.replicas.replica(TopicPartition("g", 0)) != nil)

        // Broker 2 is in the ISR already, so dropping broker 1 completes at once: broker 2 leads.
        let moved = try await client.send(AlterPartitionReassignmentsRequest(topics: [.init(name: "g", partitions: [.init(partitionIndex: 0, replicas: [2])])]),
                                          version: 0)
        #expect(moved.responses.first?.partitions.first?.errorCode == 0)
        let p = try #require(partition(broker, "g"))
        #expect(p.replicas == [2] && p.isr == [2] && p.leader == 2 && p.leaderEpoch == 1)
        // Answered once replayed here, so this node has already let go of the partition.
        #expect(broker.node.replicas.replica(TopicPartition("g", 0)) == nil)
        #expect(!FileManager.default.fileExists(atPath: logDirectory), "the removed replica's log is deleted")
        let produced = try await client.send(DataPathTests.produce(try DataPathTests.batch(["x"]), topic: "g"), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == ErrorCode.notLeaderOrFollower.rawValue)

        // Cancelling with nothing in progress, and errors from the controller, reach the client.
        let cancel = try await client.send(AlterPartitionReassignmentsRequest(topics: [.init(name: "g", partitions: [
            .init(partitionIndex: 0, replicas: nil), .init(partitionIndex: 0, replicas: [3]),
        ])]), version: 0)
        #expect(cancel.responses.first?.partitions.map(\.errorCode) == [ErrorCode.noReassignmentInProgress.rawValue,
                                                                         ErrorCode.invalidReplicaAssignment.rawValue])
        try await fenceSecondBroker(broker, controller: controller, epoch: epoch)
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    @Test func describeLogDirsReportsEachDirectoryItsPartitionsAndItsVolume() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("strom-logdirs-\(UUID().uuidString)").path
        let (a, b) = ((root as NSString).appendingPathComponent("a"), (root as NSString).appendingPathComponent("b"))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let broker = try await TestBroker(overrides: ["log.dirs": "\(a),\(b)"], directory: a)
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "d", numPartitions: 2, replicationFactor: 1)]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let produced = try await client.send(DataPathTests.produce(try DataPathTests.batch(["one", "two", "three"]), topic: "d"), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)

        func located(_ response: DescribeLogDirsResponse) -> [String: (dir: String, size: Int64, lag: Int64, future: Bool)] {
            var out: [String: (dir: String, size: Int64, lag: Int64, future: Bool)] = [:]
            for result in response.results {
                for t in result.topics {
                    for p in t.partitions { out["\(t.name)-\(p.partitionIndex)"] = (result.logDir, p.partitionSize, p.offsetLag, p.isFutureKey) }
                }
            }
            return out
        }
        let all = try await client.send(DescribeLogDirsRequest(topics: nil), version: 4)
        #expect(all.errorCode == 0 && all.results.map(\.logDir) == [a, b] && all.results.allSatisfy { $0.errorCode == 0 })
        #expect(all.results.allSatisfy { $0.totalBytes > 0 && $0.usableBytes > 0 && $0.usableBytes <= $0.totalBytes })
        let logs = located(all)
        let d0 = try #require(logs["d-0"]), d1 = try #require(logs["d-1"])
        #expect(d0.dir != d1.dir, "the two partitions went to the two directories")
        // The size is the segment files' bytes on disk; a current replica is not behind its own high watermark.
        let segment = (d0.dir as NSString).appendingPathComponent("d-0/00000000000000000000.log")
        let onDisk = try #require(FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        #expect(d0.size == Int64(onDisk) && d0.size > 0 && d1.size == 0)
        #expect(d0.lag == 0 && !d0.future)

        // Named partitions only; one this node does not hold is absent. Before v4 there are no volume figures.
        let named = try await client.send(DescribeLogDirsRequest(topics: [.init(topic: "d", partitions: [1, 7]), .init(topic: "nope", partitions: [0])]),
                                          version: 1)
        #expect(located(named).keys.sorted() == ["d-1"] && named.results.count == 2)
        #expect(named.results.allSatisfy { $0.totalBytes == -1 && $0.usableBytes == -1 })
        #expect(named.results.first { $0.logDir != d1.dir }?.topics.isEmpty == true, "a topic with nothing to show is left out")

        // A directory that cannot be read any more is offline.
        try FileManager.default.removeItem(atPath: b)
        let offline = try await client.send(DescribeLogDirsRequest(topics: nil), version: 4)
        let gone = try #require(offline.results.first { $0.logDir == b })
        #expect(gone.errorCode == ErrorCode.kafkaStorageError.rawValue && gone.topics.isEmpty)
        #expect(offline.results.first { $0.logDir == a }?.errorCode == 0)

        await client.close()
        await broker.shutdown()
    }

    /// AlterPartitionReassignments v1 (KIP-860) with AllowReplicationFactorChange false: a target of
    /// another size is INVALID_REPLICATION_FACTOR and nothing moves; the answer repeats the flag.
    @Test func version1CanForbidChangingTheReplicationFactor() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "r", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [1]),
        ])]), version: 7)
        let refused = try await client.send(AlterPartitionReassignmentsRequest(allowReplicationFactorChange: false, topics: [
            .init(name: "r", partitions: [.init(partitionIndex: 0, replicas: [1, 2])]),
        ]), version: 1)
        let answer = try #require(refused.responses.first?.partitions.first)
        #expect(ErrorCode(rawValue: answer.errorCode) == .invalidReplicationFactor)
        #expect(answer.errorMessage == "The replication factor is changed from 1 to 2")
        #expect(refused.errorCode == 0 && !refused.allowReplicationFactorChange)
        #expect(partition(broker, "r")?.replicas == [1] && partition(broker, "r")?.addingReplicas.isEmpty == true)
        try await fenceSecondBroker(broker, controller: controller, epoch: epoch)
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    /// Fetch v18 (KIP-1166): a follower that knows an older high watermark than the leader's is answered
    /// at once, without records; one that knows the current one waits for data as before.
    @Test func aFollowerBehindOnTheHighWatermarkIsAnsweredAtOnce() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let epoch = try await broker.registerSecondBroker(controller: controller)
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "h", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 0, brokerIDs: [1, 2]),
        ])]), version: 7)
        let produced = try await client.send(DataPathTests.produce(try DataPathTests.batch(["a", "b"]), topic: "h", acks: 1), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
        let topicID = try #require(broker.metadata.image.topic(named: "h")?.id)
        func fetch(offset: Int64, knows highWatermark: Int64, maxWaitMs: Int32) async throws -> FetchResponse.FetchableTopicResponse.PartitionData {
            var request = FetchRequest(maxWaitMs: maxWaitMs, minBytes: 1, maxBytes: 1 << 20)
            request.replicaState = .init(replicaID: 2, replicaEpoch: epoch)
            request.topics = [.init(topicID: topicID, partitions: [
                .init(partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, highWatermark: highWatermark),
            ])]
            let response = try await client.send(request, version: 18)
            return try #require(response.responses.first?.partitions.first)
        }
        let first = try await fetch(offset: 0, knows: -1, maxWaitMs: 0)
        #expect(first.errorCode == 0 && first.highWatermark == 0)
        #expect(try DataPathTests.values(in: first.records) == ["a", "b"])
        // Fetching at 2 moves the high watermark to 2, past the 0 the follower knows: no wait.
        let clock = ContinuousClock()
        let start = clock.now
        let behind = try await fetch(offset: 2, knows: 0, maxWaitMs: 60_000)
        #expect(clock.now - start < .seconds(30))
        #expect(behind.errorCode == 0 && behind.highWatermark == 2 && (behind.records?.readableBytes ?? 0) == 0)
        // Knowing 2, it waits for records, here until its 200 ms are up.
        let waitStart = clock.now
        let current = try await fetch(offset: 2, knows: 2, maxWaitMs: 200)
        #expect(clock.now - waitStart >= .milliseconds(150))
        #expect(current.errorCode == 0 && current.highWatermark == 2)
        try await fenceSecondBroker(broker, controller: controller, epoch: epoch)
        await controller.close()
        await client.close()
        await broker.shutdown()
    }
}
