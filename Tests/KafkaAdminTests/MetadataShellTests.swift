import BrokerTestKit
import Foundation
import KafkaAdmin
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// `strom metadata-shell`: a snapshot file written here, loaded by replaying its records, and Kafka
/// 3.9's paths and command output over the image.
@Suite struct MetadataShellTests {
    static let topicID = KafkaUUID("bASOea5GQaKKvtnwdCdrOw")!

    static func records() -> [MetadataRecordAndVersion] {
        [
            .init(FeatureLevelRecord(name: "metadata.version", featureLevel: 21), version: 0),
            .init(TopicRecord(name: "orders", topicID: topicID), version: 0),
            .init(PartitionRecord(partitionID: 0, topicID: topicID, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0), version: 0),
            .init(PartitionRecord(partitionID: 1, topicID: topicID, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0), version: 0),
            .init(ConfigRecord(resourceType: 2, resourceName: "orders", name: "retention.ms", value: "1000"), version: 0),
        ]
    }

    /// A `.checkpoint` of the records (one data batch), in a fresh directory.
    static func snapshotFile() throws -> String {
        var b = RecordBatchBuilder(baseOffset: 0, partitionLeaderEpoch: 3)
        for r in records() { b.append(timestamp: 1, key: nil, value: Array(buffer: try MetadataRecordSerde.encode(r))) }
        let batch = try b.build()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("00000000000000000005-0000000003.checkpoint").path
        FileManager.default.createFile(atPath: path, contents: Data(batch.bytes.getBytes(at: 0, length: batch.bytes.readableBytes)!))
        return path
    }

    static func shell(_ path: String, _ command: String...) async -> (Int32, String, String) {
        let console = Console.capturing()
        let status = await MetadataShellCommand.main(arguments: ["--snapshot", path] + command, console: console)
        return (status, console.output, console.errors)
    }

    @Test func commandsOverASnapshot() async throws {
        let path = try Self.snapshotFile()
        #expect(await Self.shell(path, "ls", "/").1 == "image\nlocal\n")
        #expect(await Self.shell(path, "ls", "/image/topics/byName/orders").1 == "0\n1\nid\nname\n")
        #expect(await Self.shell(path, "cat", "/image/topics/byName/orders/id").1 == "bASOea5GQaKKvtnwdCdrOw\n")
        #expect(await Self.shell(path, "cat", "/image/topics/byId/bASOea5GQaKKvtnwdCdrOw/1").1 ==
            "PartitionRegistration(replicas=[1], directories=[], isr=[1], removingReplicas=[], addingReplicas=[], elr=[], lastKnownElr=[], leader=1, leaderRecoveryState=RECOVERED, leaderEpoch=0, partitionEpoch=0)\n")
        #expect(await Self.shell(path, "cat", "/image/configs/TOPIC:orders/retention.ms").1 == "1000\n")
        #expect(await Self.shell(path, "cat", "/image/topics").1 == "cat: /image/topics: Is a directory\n")
        #expect(await Self.shell(path, "cat", "/image/nope").1 == "cat: /image/nope: No such file or directory.\n")
        #expect(await Self.shell(path, "cat", "/image/provenance").1 == "offset 4, epoch 3\n")
        #expect(await Self.shell(path, "find", "/image/configs").1 == "/image/configs\n/image/configs/TOPIC:orders\n/image/configs/TOPIC:orders/retention.ms\n")
        #expect(await Self.shell(path, "tree", "/image/configs").1 == "TOPIC:orders:\n  retention.ms:\n    1000\n")
        #expect(await Self.shell(path, "ls", "/image/topics/byName/orders/name", "/image/cluster").1 == "name\n\ncluster:\nbrokers\ncontrollers\n")
        #expect(await Self.shell(path, "ls", "/image/topics/*/orders").1 == "0\n1\nid\nname\n") // byId has ids, not names
        #expect(await Self.shell(path, "ls", "/image/topics/*").1 == "byId:\nbASOea5GQaKKvtnwdCdrOw\n\nbyName:\norders\n")
        #expect(await Self.shell(path, "ls", "/image/topics/byName/o*").1 == "0\n1\nid\nname\n")
    }

    @Test func interactiveLinesAndAWorkingDirectory() async throws {
        let path = try Self.snapshotFile()
        var lines = ["cd /image/topics/byName/orders", "pwd", "cat name", "ls ..", "exit", "pwd"][...]
        let console = Console.capturing()
        let status = await MetadataShellCommand.main(arguments: ["--snapshot", path], console: console, input: { lines.popFirst() })
        #expect(status == 0)
        #expect(console.output == "/image/topics/byName/orders\norders\norders\n")
    }

    /// `--directory` over a real node's own `__cluster_metadata-0`, after the node stopped: the
    /// records it wrote (in its log segments, after its snapshot if it took one) replay into the
    /// topic it created, as the node itself had it.
    @Test func commandsOverANodesMetadataLog() async throws {
        let broker = try await TestBroker()
        defer { try? FileManager.default.removeItem(atPath: broker.directory) }
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "orders", numPartitions: 2, replicationFactor: 1)]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        await client.close()
        await broker.shutdown(keepData: true)
        let topic = try #require(broker.metadata.image.topic(named: "orders"))

        let directory = broker.directory + "/__cluster_metadata-0"
        func shell(_ command: String...) async -> (status: Int32, output: String, errors: String) {
            let console = Console.capturing()
            let status = await MetadataShellCommand.main(arguments: ["--directory", directory] + command, console: console)
            return (status, console.output, console.errors)
        }
        let listed = await shell("ls", "/image/topics/byName")
        #expect(listed.status == 0 && listed.errors == "")
        #expect(listed.output.split(separator: "\n").contains("orders"))
        #expect(await shell("ls", "/image/topics/byName/orders").output == "0\n1\nid\nname\n")
        #expect(await shell("cat", "/image/topics/byName/orders/id").output == "\(topic.id)\n")
        #expect(await shell("ls", "/image/cluster/brokers").output == "1\n")
        // The whole topic, partitions included, as the node last applied it.
        #expect(try MetadataShellLoader.load(directory: directory).topic(named: "orders") == topic)
    }

    @Test func missingInputsAreReported() async {
        let console = Console.capturing()
        #expect(await MetadataShellCommand.main(arguments: ["--snapshot", "/nonexistent/x.checkpoint", "ls"], console: console) == 1)
        #expect(console.errors == "Unable to read /nonexistent/x.checkpoint\n")
    }
}
