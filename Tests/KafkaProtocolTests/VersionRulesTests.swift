import KafkaProtocol
import KafkaTestKit
import NIOCore
import Testing

/// Kafka's version rules beyond plain round trips: ignorable fields, tagged defaults, nullability.
@Suite struct VersionRulesTests {
    @Test func nonIgnorableFieldInVersionWithoutItIsAnError() {
        // FetchRequest.LastFetchedEpoch (12+) is not ignorable.
        var request = FetchRequest()
        request.topics = [.init(topic: "t", partitions: [.init(partition: 0, lastFetchedEpoch: 5)])]
        #expect(throws: ProtocolError.self) { try request.encoded(version: 11) }
        do {
            _ = try request.encoded(version: 11)
        } catch {
            #expect(error.kind == .fieldNotInVersion)
            #expect(error.message == "FetchRequest")
            #expect(error.version == 11)
            #expect(error.field.hasSuffix("LastFetchedEpoch"))
        }
    }

    @Test func ignorableFieldIsDroppedInVersionWithoutIt() throws {
        // FetchRequest.RackId (11+) is ignorable.
        let request = FetchRequest(maxWaitMs: 500, rackID: "rack-a")
        let bytes = try request.encoded(version: 10)
        let decoded = try FetchRequest.decodeExactly(bytes, version: 10)
        #expect(decoded.rackID == "")
        #expect(decoded.maxWaitMs == 500)
    }

    @Test func taggedFieldAtDefaultIsNotWritten() throws {
        // FetchRequest.ClusterId is tagged 0 in 12+, default null: the tagged section stays empty.
        let plain = try FetchRequest().encoded(version: 12)
        let tagged = try FetchRequest(clusterID: "abc").encoded(version: 12)
        #expect(tagged.readableBytes > plain.readableBytes)
        #expect(plain.getInteger(at: plain.writerIndex - 1, as: UInt8.self) == 0)
    }

    @Test func nullWhereTheVersionForbidsItIsAnError() {
        // MetadataRequest.Topics is nullable from v1 only.
        let request = MetadataRequest(topics: nil)
        #expect(throws: ProtocolError.self) { try request.encoded(version: 0) }
        #expect((try? request.encoded(version: 1)) != nil)
    }

    @Test func unsupportedVersionIsRefused() {
        var buffer = ByteBuffer()
        // Produce's last version is 13 (Kafka 4.1's).
        #expect(throws: ProtocolError(.unsupportedVersion, field: "", message: "ProduceRequest", version: 14)) {
            _ = try ProduceRequest.decode(from: &buffer, version: 14)
        }
    }

    @Test func apiVersionsResponsesAlwaysUseHeaderVersionZero() {
        for version in ApiVersionsResponse.validVersions {
            #expect(APIKey.apiVersions.responseHeaderVersion(apiVersion: version) == 0)
        }
        #expect(APIKey.fetch.responseHeaderVersion(apiVersion: 12) == 1)
        #expect(APIKey.fetch.responseHeaderVersion(apiVersion: 11) == 0)
        #expect(APIKey.fetch.requestHeaderVersion(apiVersion: 12) == 2)
        #expect(APIKey.fetch.requestHeaderVersion(apiVersion: 11) == 1)
        #expect(APIKey.controlledShutdown.requestHeaderVersion(apiVersion: 0) == 0)
    }

    @Test func requestHeaderClientIDIsNeverCompact() throws {
        // In header v2 the client id keeps its int16 length; only the tagged section is added.
        let header = RequestHeader(requestApiKey: 18, requestApiVersion: 3, correlationID: 1, clientID: "ab")
        let bytes = try header.encoded(version: 2)
        #expect(Array(bytes.readableBytesView) == [0, 18, 0, 3, 0, 0, 0, 1, 0, 2, 0x61, 0x62, 0])
    }

    @Test func errorCodesAndAPIKeysCarryKafkasNames() {
        #expect(ErrorCode.notLeaderOrFollower.rawValue == 6)
        #expect(ErrorCode.notLeaderOrFollower.isRetriable)
        #expect(ErrorCode.unsupportedVersion.name == "UNSUPPORTED_VERSION")
        #expect(!ErrorCode.unsupportedVersion.isRetriable)
        #expect(ErrorCode(rawValue: 999).name == nil)
        #expect(APIKey.produce.rawValue == 0)
        #expect(APIKey.updateRaftVoter.rawValue == 82)
        #expect(APIKey.allKnown.count == 88)
        #expect(APIKey(rawValue: 3).requestType == MetadataRequest.self)
    }
}
