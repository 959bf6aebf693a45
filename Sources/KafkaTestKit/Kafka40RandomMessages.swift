import KafkaProtocol
import SeededRandom

/// Random instances of the hand-written Kafka 4.0 message types (see `Sources/KafkaProtocol/Kafka40`),
/// in the shape of `allRandomMessages`.
public let kafka40RandomMessages: [(type: any KafkaMessage.Type, make: @Sendable (Int16, inout SplitMix64) -> any KafkaMessage)] = [
    (ConsumerGroupHeartbeatRequestV1.self, { v, rng in ConsumerGroupHeartbeatRequestV1.random(version: v, using: &rng) }),
    (ConsumerGroupHeartbeatResponseV1.self, { v, rng in ConsumerGroupHeartbeatResponseV1(ConsumerGroupHeartbeatResponse.random(version: 0, using: &rng)) }),
    (ConsumerGroupDescribeRequestV1.self, { v, rng in ConsumerGroupDescribeRequestV1(ConsumerGroupDescribeRequest.random(version: 0, using: &rng)) }),
    (ConsumerGroupDescribeResponseV1.self, { v, rng in
        var r = ConsumerGroupDescribeResponseV1(ConsumerGroupDescribeResponse.random(version: 0, using: &rng))
        if v >= 1 { r.memberTypes = r.body.groups.map { g in g.members.map { _ in Int8(rng.below(3)) - 1 } } }
        return r
    }),
]

extension ConsumerGroupHeartbeatRequestV1 {
    public static func random(version: Int16, using rng: inout SplitMix64) -> ConsumerGroupHeartbeatRequestV1 {
        let regex: String? = version >= 1 && !rng.chance(3) ? rng.string() : nil
        return ConsumerGroupHeartbeatRequestV1(ConsumerGroupHeartbeatRequest.random(version: 0, using: &rng), subscribedTopicRegex: regex)
    }
}
