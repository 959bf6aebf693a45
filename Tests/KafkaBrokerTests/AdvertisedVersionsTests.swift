import KafkaBroker
import KafkaProtocol
import BrokerTestKit
import KafkaTestKit
import SeededRandom
import Testing

/// "An API advertised in ApiVersions works in every advertised version": for each advertised API
/// and version, random well-formed requests get a response that decodes in that version (or, for
/// acks=0 produce, none), and the connection stays usable.
@Suite struct AdvertisedVersionsTests {
    @Test func everyAdvertisedVersionAnswersRandomRequests() async throws {
        let broker = try await TestBroker()
        var client = try await broker.client()
        let advertised = try await client.send(ApiVersionsRequest(), version: 0).apiKeys
        var answered = 0
        for entry in advertised {
            let key = APIKey(rawValue: entry.apiKey)
            let type = try #require(key.requestType)
            let make = try #require(allRandomMessages.first { $0.type == type }?.make)
            for version in entry.minVersion...entry.maxVersion {
                for seed in 0..<4 {
                    var rng = SplitMix64(seed: UInt64(seed) << 16 | UInt64(entry.apiKey) << 4 | UInt64(version))
                    let request = make(version, &rng)
                    do {
                        if try await roundTrip(request, version: version, client: client) { answered += 1 }
                    } catch {
                        Issue.record("\(key) v\(version) seed \(seed): \(error)")
                        client = try await broker.client()
                    }
                }
            }
        }
        #expect(answered > 100)
        // Still serving on the same connection.
        #expect(try await client.send(ApiVersionsRequest(clientSoftwareName: "test", clientSoftwareVersion: "1"), version: 3).errorCode == 0)
        await client.close()
        await broker.shutdown()
    }

    private func roundTrip(_ request: any KafkaMessage, version: Int16, client: TestKafkaClient) async throws -> Bool {
        guard let r = request as? any KafkaRequestMessage else { return false }
        return try await send(r, version: version, client: client)
    }

    private func send<R: KafkaRequestMessage>(_ request: R, version: Int16, client: TestKafkaClient) async throws -> Bool {
        if let produce = request as? ProduceRequest, produce.acks == 0 { return false }
        var r = request
        if var fetch = r as? FetchRequest {
            // A random max_wait_ms can be weeks long, and the broker rightly honours it.
            fetch.maxWaitMs = 0
            r = fetch as! R
        }
        if var apiVersions = r as? ApiVersionsRequest {
            apiVersions.clientSoftwareName = "test"
            apiVersions.clientSoftwareVersion = "1"
            r = apiVersions as! R
        }
        _ = try await client.send(r, version: version)
        return true
    }
}
