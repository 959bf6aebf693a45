import BrokerTestKit
import KafkaBroker
import KafkaProtocol
import KafkaRecords
import Testing

/// Dynamic broker configs (KIP-226) on a real node: altered with IncrementalAlterConfigs and AlterConfigs
/// on the broker resources, in force for every topic without its own value, described with their
/// sources, and kept across a restart.
@Suite struct DynamicBrokerConfigTests {
    typealias Op = IncrementalAlterConfigsRequest.AlterConfigsResource.AlterableConfig

    @Test func messageMaxBytesFollowsTheDynamicLayers() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "dyn", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let big = try DataPathTests.batch([String(repeating: "x", count: 3_000)])
        func produce() async throws -> Int16? {
            try await client.send(DataPathTests.produce(big, topic: "dyn"), version: 9).responses.first?.partitionResponses.first?.errorCode
        }
        func alter(_ name: String, _ ops: [Op]) async throws -> IncrementalAlterConfigsResponse.AlterConfigsResourceResponse? {
            try await client.send(IncrementalAlterConfigsRequest(resources: [.init(resourceType: 4, resourceName: name, configs: ops)]), version: 1)
                .responses.first
        }
        func maxMessageBytes() async throws -> DescribeConfigsResponse.DescribeConfigsResult.DescribeConfigsResourceResult? {
            try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "dyn", configurationKeys: ["max.message.bytes"])],
                                                         includeSynonyms: true), version: 4).results.first?.configs.first
        }
        #expect(try await produce() == 0)

        // The cluster default: every topic without its own max.message.bytes follows it at once.
        #expect(try await alter("", [Op(name: "message.max.bytes", configOperation: 0, value: "2000")])?.errorCode == 0)
        #expect(try await produce() == ErrorCode.messageTooLarge.rawValue)
        #expect(try await maxMessageBytes()?.value == "2000")
        #expect(try await maxMessageBytes()?.configSource == 3)  // DYNAMIC_DEFAULT_BROKER_CONFIG

        // This node's own value wins over the default; every level is a synonym, most specific first.
        #expect(try await alter("1", [Op(name: "message.max.bytes", configOperation: 0, value: "5000")])?.errorCode == 0)
        #expect(try await produce() == 0)
        let described = try #require(try await maxMessageBytes())
        #expect(described.value == "5000" && described.configSource == 2)  // DYNAMIC_BROKER_CONFIG
        #expect(described.synonyms.map(\.source) == [2, 3, 5])

        // The broker resources describe themselves: "" only what is set there; this node everything.
        let defaults = try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "", configurationKeys: nil)]), version: 4)
        #expect(defaults.results.first?.configs.map(\.name) == ["message.max.bytes"])
        #expect(defaults.results.first?.configs.first?.configSource == 3)
        let own = try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "1", configurationKeys: nil)]), version: 4)
        let entry = try #require(own.results.first?.configs.first { $0.name == "message.max.bytes" })
        #expect(entry.value == "5000" && entry.configSource == 2 && !entry.readOnly)
        #expect(own.results.first?.configs.first { $0.name == "log.dirs" }?.readOnly == true)
        let other = try await client.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "7", configurationKeys: nil)]), version: 4)
        #expect(other.results.first?.errorCode == ErrorCode.invalidRequest.rawValue)
        #expect(other.results.first?.errorMessage == "Unexpected broker id, expected 1 or empty string, but received 7")

        // Another node's resource is that node's to alter; a static key is refused.
        let foreign = try await alter("7", [Op(name: "message.max.bytes", configOperation: 0, value: "1")])
        #expect(foreign?.errorCode == ErrorCode.invalidRequest.rawValue && foreign?.errorMessage == "Unexpected broker id, expected 1, but received 7")
        let static_ = try await alter("1", [Op(name: "log.dirs", configOperation: 0, value: "/elsewhere")])
        #expect(static_?.errorCode == ErrorCode.invalidRequest.rawValue)

        // The legacy AlterConfigs replaces this node's set: message.max.bytes is gone, the default applies again.
        let legacy = try await client.send(AlterConfigsRequest(resources: [
            .init(resourceType: 4, resourceName: "1", configs: [.init(name: "sasl.kerberos.min.time.before.relogin", value: "58000")]),
        ]), version: 1)
        #expect(legacy.responses.map(\.errorCode) == [0])
        #expect(try await produce() == ErrorCode.messageTooLarge.rawValue)

        // Kept as metadata records: a restart has them.
        let directory = broker.directory
        await client.close()
        await broker.shutdown(keepData: true)
        let restarted = try await TestBroker(directory: directory)
        let again = try await restarted.client()
        let after = try await again.send(DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "1",
                                                                                  configurationKeys: ["message.max.bytes", "sasl.kerberos.min.time.before.relogin"])]),
                                         version: 4)
        #expect(after.results.first?.configs.map { "\($0.name)=\($0.value ?? "")/\($0.configSource)" }.sorted()
            == ["message.max.bytes=2000/3", "sasl.kerberos.min.time.before.relogin=58000/2"])
        let produced = try await again.send(DataPathTests.produce(big, topic: "dyn"), version: 9)
        #expect(produced.responses.first?.partitionResponses.first?.errorCode == ErrorCode.messageTooLarge.rawValue)
        await again.close()
        await restarted.shutdown()
    }
}
