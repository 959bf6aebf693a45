import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import NIOCore
import Testing

@Suite struct ApiVersionsTests {
    @Test func everyVersionAnswersWithTheAdvertisedRanges() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        for version in ApiVersionsRequest.validVersions {
            var request = ApiVersionsRequest()
            request.clientSoftwareName = "strom-test"
            request.clientSoftwareVersion = "1.0"
            let response = try await client.send(request, version: version)
            #expect(response.errorCode == 0)
            let keys = Set(response.apiKeys.map(\.apiKey))
            #expect(keys.contains(APIKey.apiVersions.rawValue))
            #expect(keys.contains(APIKey.metadata.rawValue))
            for entry in response.apiKeys {
                let supported = BrokerAssembly.clientAPIs.versions(for: APIKey(rawValue: entry.apiKey))
                #expect(supported == entry.minVersion...entry.maxVersion)
            }
        }
        await client.close()
        await broker.shutdown()
    }

    @Test func aTooNewVersionGetsAVersionZeroReplyWithUnsupportedVersion() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        // An ApiVersions v9 request header (v2: flexible) with an empty body.
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        frame.writeInteger(Int16(18))
        frame.writeInteger(Int16(9))
        frame.writeInteger(Int32(42))
        try frame.writeKafkaNullableString("future-client", compact: false)
        frame.writeInteger(UInt8(0))
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        var payload = try await client.sendRaw(frame)
        #expect(payload.readInteger(as: Int32.self) == 42)   // response header v0: correlation id only
        let response = try ApiVersionsResponse.decodeExactly(payload, version: 0)
        #expect(response.errorCode == ErrorCode.unsupportedVersion.rawValue)
        #expect(response.apiKeys.contains { $0.apiKey == 18 && $0.maxVersion == 4 })
        await client.close()
        await broker.shutdown()
    }

    /// As Kafka 3.9: kraft.version is supported at levels 0-1 (v4 only: before v4 a range from 0 is
    /// left out, KAFKA-17492) and finalized at the level the quorum's log holds, once above 0.
    @Test func theQuorumsKRaftVersionIsReportedAsKafkaReportsIt() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        #expect(broker.metadata.quorumStatus.kraftVersion == 1)
        let v4 = try await client.send(ApiVersionsRequest(clientSoftwareName: "strom-test", clientSoftwareVersion: "1"), version: 4)
        let supported = try #require(v4.supportedFeatures.first { $0.name == "kraft.version" })
        #expect(supported.minVersion == 0 && supported.maxVersion == 1)
        let finalized = try #require(v4.finalizedFeatures.first { $0.name == "kraft.version" })
        #expect(finalized.minVersionLevel == 1 && finalized.maxVersionLevel == 1)
        let v3 = try await client.send(ApiVersionsRequest(clientSoftwareName: "strom-test", clientSoftwareVersion: "1"), version: 3)
        #expect(!v3.supportedFeatures.contains { $0.name == "kraft.version" })
        #expect(v3.finalizedFeatures.contains { $0.name == "kraft.version" && $0.maxVersionLevel == 1 })
        await client.close()
        await broker.shutdown()
    }

    @Test func invalidClientSoftwareNameIsInvalidRequest() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let response = try await client.send(ApiVersionsRequest(clientSoftwareName: "bad name!", clientSoftwareVersion: "1"), version: 3)
        #expect(response.errorCode == ErrorCode.invalidRequest.rawValue)
        await client.close()
        await broker.shutdown()
    }
}

@Suite struct ConnectionHandlingTests {
    @Test func unknownAPIKeyClosesTheConnection() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        var frame = ByteBuffer()
        frame.writeInteger(Int32(10))
        frame.writeInteger(Int16(999))
        frame.writeInteger(Int16(0))
        frame.writeInteger(Int32(1))
        frame.writeInteger(Int16(-1))
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await client.sendRaw(frame) }
        // The broker still serves new connections.
        let other = try await broker.client()
        #expect(try await other.send(ApiVersionsRequest(), version: 0).errorCode == 0)
        await other.close()
        await broker.shutdown()
    }

    @Test func oversizedFrameClosesTheConnectionWithoutReadingIt() async throws {
        let broker = try await TestBroker(overrides: ["socket.request.max.bytes": "1024"])
        let client = try await broker.client()
        var frame = ByteBuffer()
        frame.writeInteger(Int32(100_000_000))
        frame.writeBytes([UInt8](repeating: 0, count: 64))
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await client.sendRaw(frame) }
        await broker.shutdown()
    }

    @Test func unadvertisedVersionClosesTheConnection() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        // Fetch v19 is past every version Strom (and Kafka 4.2, whose last is v18) serves: a header and nothing else.
        #expect(!BrokerAssembly.clientAPIs.versions(for: .fetch)!.contains(19))
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        frame.writeInteger(Int16(1))      // Fetch
        frame.writeInteger(Int16(19))
        frame.writeInteger(Int32(1))
        frame.writeInteger(Int16(3))
        frame.writeString("new")
        frame.writeInteger(UInt8(0))      // no tagged fields
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await client.sendRaw(frame) }
        await broker.shutdown()
    }

    @Test func malformedBodyClosesTheConnection() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        var frame = ByteBuffer()
        frame.writeInteger(Int32(0))
        frame.writeInteger(Int16(3))      // Metadata
        frame.writeInteger(Int16(1))
        frame.writeInteger(Int32(7))
        frame.writeInteger(Int16(-1))
        frame.writeInteger(Int32(5))      // five topics promised, none sent
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await client.sendRaw(frame) }
        await broker.shutdown()
    }
}
