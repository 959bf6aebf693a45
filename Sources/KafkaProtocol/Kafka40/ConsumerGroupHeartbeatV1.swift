import NIOCore

/// ConsumerGroupHeartbeat as Kafka 4.0 serves it, versions 0-1 (all flexible).
///
/// Wire layout: GroupId, MemberId, MemberEpoch, InstanceId?, RackId?, RebalanceTimeoutMs,
/// SubscribedTopicNames[]?, SubscribedTopicRegex? (v1+), ServerAssignor?, TopicPartitions[]?, tags.
/// v1 (KIP-848 GA, KIP-1082) adds the regex and makes the client mint its own member id. Kafka 3.9's
/// schemas (`Protocol/`) stop at v0, which librdkafka 2.16 no longer sends, so this type is written by
/// hand over the generated v0 body: `body` holds every v0 field, `subscribedTopicRegex` the v1 one.
public struct ConsumerGroupHeartbeatRequestV1: KafkaRequestMessage, Hashable, Sendable {
    public typealias Response = ConsumerGroupHeartbeatResponseV1
    public static let messageName = "ConsumerGroupHeartbeatRequest"
    public static let validVersions: ClosedRange<Int16> = 0...1
    public static let lowestFlexibleVersion: Int16? = 0
    public static let apiKey = APIKey(rawValue: 68)

    public var body = ConsumerGroupHeartbeatRequest()
    /// v1+: null if unchanged since the last heartbeat.
    public var subscribedTopicRegex: String?

    public init() {}

    public init(_ body: ConsumerGroupHeartbeatRequest, subscribedTopicRegex: String? = nil) {
        self.body = body
        self.subscribedTopicRegex = subscribedTopicRegex
    }

    public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        var b = ConsumerGroupHeartbeatRequest()
        b.groupID = try buffer.readKafkaString(compact: true, field: "GroupId")
        b.memberID = try buffer.readKafkaString(compact: true, field: "MemberId")
        b.memberEpoch = try buffer.readKafkaInteger(Int32.self, field: "MemberEpoch")
        b.instanceID = try buffer.readKafkaNullableString(compact: true, field: "InstanceId")
        b.rackID = try buffer.readKafkaNullableString(compact: true, field: "RackId")
        b.rebalanceTimeoutMs = try buffer.readKafkaInteger(Int32.self, field: "RebalanceTimeoutMs")
        if let count = try buffer.readKafkaArrayCount(compact: true, field: "SubscribedTopicNames") {
            var names: [String] = []
            names.reserveCapacity(Swift.min(count, 1024))
            for _ in 0..<count { names.append(try buffer.readKafkaString(compact: true, field: "SubscribedTopicNames")) }
            b.subscribedTopicNames = names
        }
        if version >= 1 {
            subscribedTopicRegex = try buffer.readKafkaNullableString(compact: true, field: "SubscribedTopicRegex")
        }
        b.serverAssignor = try buffer.readKafkaNullableString(compact: true, field: "ServerAssignor")
        if let count = try buffer.readKafkaArrayCount(compact: true, field: "TopicPartitions") {
            var items: [ConsumerGroupHeartbeatRequest.TopicPartitions] = []
            items.reserveCapacity(Swift.min(count, 1024))
            for _ in 0..<count { items.append(try ConsumerGroupHeartbeatRequest.TopicPartitions(reading: &buffer, version: 0)) }
            b.topicPartitions = items
        }
        b.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "ConsumerGroupHeartbeatRequest")
        body = b
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        if version < 1 && subscribedTopicRegex != nil {
            throw ProtocolError(.unsupportedVersion, field: "SubscribedTopicRegex")
        }
        try buffer.writeKafkaString(body.groupID, compact: true)
        try buffer.writeKafkaString(body.memberID, compact: true)
        buffer.writeInteger(body.memberEpoch)
        try buffer.writeKafkaNullableString(body.instanceID, compact: true)
        try buffer.writeKafkaNullableString(body.rackID, compact: true)
        buffer.writeInteger(body.rebalanceTimeoutMs)
        if let names = body.subscribedTopicNames {
            buffer.writeKafkaArrayCount(names.count, compact: true)
            for n in names { try buffer.writeKafkaString(n, compact: true) }
        } else {
            buffer.writeKafkaArrayCount(nil, compact: true)
        }
        if version >= 1 { try buffer.writeKafkaNullableString(subscribedTopicRegex, compact: true) }
        try buffer.writeKafkaNullableString(body.serverAssignor, compact: true)
        if let items = body.topicPartitions {
            buffer.writeKafkaArrayCount(items.count, compact: true)
            for item in items { try item.write(to: &buffer, version: 0) }
        } else {
            buffer.writeKafkaArrayCount(nil, compact: true)
        }
        buffer.writeTaggedFields([], unknown: body.unknownTaggedFields)
    }
}

/// The ConsumerGroupHeartbeat response in versions 0-1: v1 has the v0 layout (it only adds the error
/// INVALID_REGULAR_EXPRESSION), so both versions encode `body` as the generated v0 codec does.
public struct ConsumerGroupHeartbeatResponseV1: KafkaResponseMessage, Hashable, Sendable {
    public static let messageName = "ConsumerGroupHeartbeatResponse"
    public static let validVersions: ClosedRange<Int16> = 0...1
    public static let lowestFlexibleVersion: Int16? = 0
    public static let apiKey = APIKey(rawValue: 68)

    public var body = ConsumerGroupHeartbeatResponse()

    public init() {}
    public init(_ body: ConsumerGroupHeartbeatResponse) { self.body = body }

    public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        body = try ConsumerGroupHeartbeatResponse(reading: &buffer, version: 0)
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        try body.write(to: &buffer, version: 0)
    }
}

extension ErrorCode {
    /// Kafka 4.0's INVALID_REGULAR_EXPRESSION (ConsumerGroupHeartbeat v1+): not in Kafka 3.9's table.
    public static let invalidRegularExpression = ErrorCode(rawValue: 128)
}
