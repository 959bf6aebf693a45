import KafkaProtocol
import NIOCore
import Testing

/// Wire layouts of the Kafka 4.x versions defined in `Protocol/` beyond Kafka 3.9's schemas:
/// ConsumerGroupHeartbeat v1 (SubscribedTopicRegex between the topic names and the assignor) and
/// ConsumerGroupDescribe v1 (MemberType after TargetAssignment). Every version also round-trips random
/// values in `RoundTripTests`.
@Suite struct Kafka4xVersionTests {
    @Test func heartbeatV1PutsTheRegexBeforeTheAssignor() throws {
        let request = ConsumerGroupHeartbeatRequest(groupID: "g", memberID: "m", memberEpoch: 0, rebalanceTimeoutMs: 5,
                                                    subscribedTopicNames: nil, subscribedTopicRegex: "t.*",
                                                    serverAssignor: "uniform", topicPartitions: [])
        var v1 = ByteBuffer()
        try request.write(to: &v1, version: 1)
        // g, m, epoch, instance null, rack null, timeout, names null, regex "t.*", assignor, [], tags
        let expected: [UInt8] = [2, 0x67, 2, 0x6d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 4, 0x74, 0x2e, 0x2a,
                                 8] + Array("uniform".utf8) + [1, 0]
        #expect(Array(v1.readableBytesView) == expected)
        #expect(try ConsumerGroupHeartbeatRequest.decodeExactly(v1, version: 1) == request)
        // v0 has no regex: refusing to drop it silently.
        var refused = ByteBuffer()
        #expect(throws: ProtocolError.self) { try request.write(to: &refused, version: 0) }
        var plain = request
        plain.subscribedTopicRegex = nil
        var v0 = ByteBuffer()
        try plain.write(to: &v0, version: 0)
        // v0 is v1 without the regex (one byte for a null compact string here).
        var plainV1 = ByteBuffer()
        try plain.write(to: &plainV1, version: 1)
        #expect(v0.readableBytes == plainV1.readableBytes - 1)
    }

    @Test func describeV1CarriesTheMemberType() throws {
        let response = ConsumerGroupDescribeResponse(groups: [
            .init(groupID: "g", groupState: "Stable", members: [.init(memberID: "a", memberType: 1), .init(memberID: "b", memberType: 0)]),
        ])
        var v1 = ByteBuffer(), v0 = ByteBuffer()
        try response.write(to: &v1, version: 1)
        try response.write(to: &v0, version: 0)
        #expect(v1.readableBytes == v0.readableBytes + 2)
        #expect(try ConsumerGroupDescribeResponse.decodeExactly(v1, version: 1) == response)
        // MemberType is ignorable: v0 drops it, and reads back the default (-1, unknown).
        let fromV0 = try ConsumerGroupDescribeResponse.decodeExactly(v0, version: 0)
        #expect(fromV0.groups[0].members.map(\.memberType) == [-1, -1])
        #expect(fromV0.groups[0].members.map(\.memberID) == ["a", "b"])
    }
}
