import KafkaProtocol
import KafkaTestKit
import NIOCore
import SeededRandom
import Testing

/// Every version of every message: random value → bytes → value must give the same value, and
/// encoding that value again must give the same bytes.
@Suite struct RoundTripTests {
    static let seedsPerVersion = 25

    @Test func everyVersionOfEveryMessageRoundTrips() throws {
        var checked = 0
        for (type, make) in allRandomMessages {
            for version in type.validVersions {
                for seed in 0..<Self.seedsPerVersion {
                    var rng = SplitMix64(seed: UInt64(seed) &* 7919 &+ UInt64(version) &* 31 &+ UInt64(type.messageName.hashValue & 0xFFFF))
                    let value = make(version, &rng)
                    try roundTrip(value, version: version, seed: seed)
                    checked += 1
                }
            }
        }
        // 235 schemas with a codec (all but the quorum-state file); most have several versions.
        #expect(checked > 236 * Self.seedsPerVersion)
    }

    private func roundTrip<M: KafkaMessage>(_ value: M, version: Int16, seed: Int) throws {
        let bytes = try value.encoded(version: version)
        let decoded = try M.decodeExactly(bytes, version: version)
        // Compared without printing the values: a failure names the message, version and seed to replay.
        if decoded != value { Issue.record("\(M.messageName) v\(version) seed \(seed): value changed in a round trip") }
        let again = try decoded.encoded(version: version)
        if again != bytes { Issue.record("\(M.messageName) v\(version) seed \(seed): bytes changed in a round trip") }
    }

    @Test func defaultValuesEncodeInEveryVersion() throws {
        for (type, _) in allRandomMessages {
            for version in type.validVersions {
                try encodeDefault(type, version: version)
            }
        }
    }

    private func encodeDefault<M: KafkaMessage>(_: M.Type, version: Int16) throws {
        let bytes = try M().encoded(version: version)
        #expect(try M.decodeExactly(bytes, version: version) == M())
    }

    @Test func unknownTaggedFieldsSurviveReencoding() throws {
        var request = MetadataRequest(topics: [.init(name: "t")])
        request.unknownTaggedFields = [RawTaggedField(tag: 90, data: [1, 2, 3]), RawTaggedField(tag: 7, data: [])]
        let bytes = try request.encoded(version: 12)
        let decoded = try MetadataRequest.decodeExactly(bytes, version: 12)
        // Written in ascending tag order, read back in that order.
        #expect(decoded.unknownTaggedFields == [RawTaggedField(tag: 7, data: []), RawTaggedField(tag: 90, data: [1, 2, 3])])
        #expect(decoded.topics?.first?.name == "t")
    }
}
