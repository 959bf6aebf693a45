import Foundation
import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import Testing

/// AlterClientQuotas and DescribeClientQuotas through a running node, in every advertised version.
@Suite struct ClientQuotaAPITests {
    static let rate = "controller_mutation_rate"

    static func set(_ client: TestKafkaClient, clientID: String?, rate: Double, version: Int16 = 1,
                    validateOnly: Bool = false) async throws -> AlterClientQuotasResponse {
        try await client.send(AlterClientQuotasRequest(entries: [
            .init(entity: [.init(entityType: "client-id", entityName: clientID)], ops: [.init(key: Self.rate, value: rate, remove: false)]),
        ], validateOnly: validateOnly), version: version)
    }

    static func describeAll(_ client: TestKafkaClient, version: Int16 = 1) async throws -> [String: Double] {
        let r = try await client.send(DescribeClientQuotasRequest(components: [], strict: false), version: version)
        var out: [String: Double] = [:]
        for e in r.entries ?? [] {
            let name = e.entity.map { "\($0.entityType)=\($0.entityName ?? "<default>")" }.joined(separator: ",")
            for v in e.values { out["\(name)/\(v.key)"] = v.value }
        }
        return out
    }

    @Test(arguments: [Int16(0), 1]) func alterDescribeAndRemoveInEveryVersion(version: Int16) async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let set = try await client.send(AlterClientQuotasRequest(entries: [
            .init(entity: [.init(entityType: "user", entityName: "ANONYMOUS"), .init(entityType: "client-id", entityName: "app")],
                  ops: [.init(key: Self.rate, value: 5, remove: false)]),
            .init(entity: [.init(entityType: "client-id", entityName: nil)], ops: [.init(key: Self.rate, value: 2.5, remove: false)]),
            .init(entity: [.init(entityType: "user", entityName: nil)], ops: [.init(key: "connection_creation_rate", value: 1024, remove: false)]),
        ]), version: version)
        #expect(set.entries.map(\.errorCode) == [0, 0, ErrorCode.invalidRequest.rawValue])
        #expect(set.entries[2].errorMessage?.contains("Invalid configuration key") == true)
        #expect(set.entries[0].entity.map(\.entityName) == ["ANONYMOUS", "app"])
        #expect(try await Self.describeAll(client, version: version) == [
            "client-id=app,user=ANONYMOUS/\(Self.rate)": 5, "client-id=<default>/\(Self.rate)": 2.5,
        ])

        let exact = try await client.send(DescribeClientQuotasRequest(components: [.init(entityType: "client-id", matchType: 0, match: "app")],
                                                                      strict: true), version: version)
        #expect(exact.errorCode == 0 && exact.entries?.isEmpty == true)
        let bad = try await client.send(DescribeClientQuotasRequest(components: [.init(entityType: "client-id", matchType: 0, match: nil)]),
                                        version: version)
        #expect(bad.errorCode == ErrorCode.invalidRequest.rawValue)

        let tried = try await Self.set(client, clientID: nil, rate: 9, version: version, validateOnly: true)
        #expect(tried.entries.first?.errorCode == 0)
        #expect(try await Self.describeAll(client, version: version)["client-id=<default>/\(Self.rate)"] == 2.5)

        let removed = try await client.send(AlterClientQuotasRequest(entries: [
            .init(entity: [.init(entityType: "client-id", entityName: "")], ops: [.init(key: Self.rate, value: 0, remove: true)]),
        ]), version: version)
        #expect(removed.entries.first?.errorCode == 0)
        #expect(try await Self.describeAll(client, version: version) == ["client-id=app,user=ANONYMOUS/\(Self.rate)": 5])
        await client.close()
        await broker.shutdown()
    }

    @Test func theQuotaWindowIsABrokerConfig() async throws {
        let broker = try await TestBroker(overrides: ["controller.quota.window.num": "3"])
        let client = try await broker.client()
        let r = try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "1", configurationKeys: [
            "controller.quota.window.num", "controller.quota.window.size.seconds",
        ])]), version: 4)
        let configs = r.results.first?.configs ?? []
        #expect(configs.map(\.name) == ["controller.quota.window.num", "controller.quota.window.size.seconds"])
        #expect(configs.map(\.value) == ["3", "1"])
        #expect(configs.map(\.configSource) == [4, 5])
        await client.close()
        await broker.shutdown()
    }

    @Test func quotasSurviveARestartFromASnapshot() async throws {
        // A snapshot after every commit: the restart loads the quota from a .checkpoint file.
        let overrides = ["metadata.log.max.record.bytes.between.snapshots": "1"]
        let broker = try await TestBroker(overrides: overrides)
        let client = try await broker.client()
        #expect(try await Self.set(client, clientID: "slow", rate: 0.01).entries.first?.errorCode == 0)
        let quotaOffset = broker.metadata.image.provenance.offset
        // A snapshot already being written when the quota committed skips that commit, so keep
        // committing (a filler quota, removed after) until a snapshot holds the quota's offset.
        var filler = 1.0
        while try Self.snapshotEndOffsets(in: broker.directory).allSatisfy({ $0 <= quotaOffset }) {
            #expect(try await Self.set(client, clientID: "filler", rate: filler).entries.first?.errorCode == 0)
            filler += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = try await client.send(AlterClientQuotasRequest(entries: [
            .init(entity: [.init(entityType: "client-id", entityName: "filler")], ops: [.init(key: Self.rate, value: 0, remove: true)]),
        ]), version: 1)
        await client.close()
        await broker.shutdown(keepData: true)

        let restarted = try await TestBroker(overrides: overrides, directory: broker.directory)
        let again = try await restarted.client()
        #expect(try await Self.describeAll(again) == ["client-id=slow/\(Self.rate)": 0.01])
        // And it is enforced: 0.01/s has a burst of 0.11, so the second topic waits.
        let created = try await again.send(CreateTopicsRequest(topics: [
            .init(name: "first", numPartitions: 2, replicationFactor: 1), .init(name: "second", numPartitions: 1, replicationFactor: 1),
        ]), version: 7, clientID: "slow")
        #expect(created.topics.map(\.errorCode) == [0, ErrorCode.throttlingQuotaExceeded.rawValue])
        await again.close()
        await restarted.shutdown()
    }

    /// The end offsets of the `.checkpoint` files in a node's metadata log directory.
    static func snapshotEndOffsets(in logDir: String) throws -> [Int64] {
        let dir = logDir + "/__cluster_metadata-0"
        return try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasSuffix(".checkpoint") }
            .compactMap { Int64($0.split(separator: "-").first ?? "") }
    }
}
