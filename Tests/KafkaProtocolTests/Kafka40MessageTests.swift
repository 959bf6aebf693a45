import KafkaProtocol
import KafkaTestKit
import NIOCore
import SeededRandom
import Testing

/// The hand-written Kafka 4.0 versions: ConsumerGroupHeartbeat v1 (SubscribedTopicRegex between the
/// topic names and the assignor) and ConsumerGroupDescribe v1 (MemberType after TargetAssignment).
@Suite struct Kafka40MessageTests {
    @Test func heartbeatV1PutsTheRegexBeforeTheAssignor() throws {
        let request = ConsumerGroupHeartbeatRequestV1(
            ConsumerGroupHeartbeatRequest(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 5,
                                          subscribedTopicNames: nil, serverAssignor: "uniform", topicPartitions: []),
            subscribedTopicRegex: "t.*")
        var v1 = ByteBuffer()
        try request.write(to: &v1, version: 1)
        // g, m, epoch, instance null, rack null, timeout, names null, regex "t.*", assignor, [], tags
        let expected: [UInt8] = [2, 0x67, 2, 0x6d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 4, 0x74, 0x2e, 0x2a,
                                 8] + Array("uniform".utf8) + [1, 0]
        #expect(Array(v1.readableBytesView) == expected)
        #expect(try ConsumerGroupHeartbeatRequestV1.decodeExactly(v1, version: 1) == request)
        // v0 has no regex: refusing to drop it silently.
        var v0 = ByteBuffer()
        #expect(throws: ProtocolError.self) { try request.write(to: &v0, version: 0) }
        var plain = request
        plain.subscribedTopicRegex = nil
        try plain.write(to: &v0, version: 0)
        var generated = ByteBuffer()
        try plain.body.write(to: &generated, version: 0)
        #expect(v0 == generated)
    }

    @Test func randomMessagesRoundTripInBothVersions() throws {
        for (type, make) in kafka40RandomMessages {
            for version in type.validVersions {
                for seed in 0..<50 {
                    var rng = SplitMix64(seed: UInt64(seed))
                    let message = make(version, &rng)
                    var buffer = ByteBuffer()
                    try message.write(to: &buffer, version: version)
                    let decoded = try type.decodeExactly(buffer, version: version)
                    #expect(AnyHashable(decoded) == AnyHashable(message), "\(type) v\(version) seed \(seed)")
                }
            }
        }
    }

    @Test func describeV1CarriesTheMemberType() throws {
        var response = ConsumerGroupDescribeResponseV1(ConsumerGroupDescribeResponse(groups: [
            .init(groupID: "g", groupState: "Stable", members: [.init(memberID: "a"), .init(memberID: "b")]),
        ]))
        response.memberTypes = [[1, 0]]
        var v1 = ByteBuffer(), v0 = ByteBuffer()
        try response.write(to: &v1, version: 1)
        try response.write(to: &v0, version: 0)
        #expect(v1.readableBytes == v0.readableBytes + 2)
        #expect(try ConsumerGroupDescribeResponseV1.decodeExactly(v1, version: 1) == response)
        #expect(try ConsumerGroupDescribeResponseV1.decodeExactly(v0, version: 0).body == response.body)
    }
}
