import NIOCore

/// ConsumerGroupDescribe as Kafka 4.0 serves it, versions 0-1 (all flexible): the request is the same
/// in both; the v1 response adds `MemberType` (int8) to each member after `TargetAssignment`
/// (KIP-1099: -1 unknown, 0 classic member, 1 consumer-protocol member). Kafka 3.9's schemas stop at
/// v0, so these are written by hand around the generated v0 types.
public struct ConsumerGroupDescribeRequestV1: KafkaRequestMessage, Hashable, Sendable {
    public typealias Response = ConsumerGroupDescribeResponseV1
    public static let messageName = "ConsumerGroupDescribeRequest"
    public static let validVersions: ClosedRange<Int16> = 0...1
    public static let lowestFlexibleVersion: Int16? = 0
    public static let apiKey = APIKey(rawValue: 69)

    public var body = ConsumerGroupDescribeRequest()

    public init() {}
    public init(_ body: ConsumerGroupDescribeRequest) { self.body = body }

    public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        body = try ConsumerGroupDescribeRequest(reading: &buffer, version: 0)
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        try body.write(to: &buffer, version: 0)
    }
}

public struct ConsumerGroupDescribeResponseV1: KafkaResponseMessage, Hashable, Sendable {
    public static let messageName = "ConsumerGroupDescribeResponse"
    public static let validVersions: ClosedRange<Int16> = 0...1
    public static let lowestFlexibleVersion: Int16? = 0
    public static let apiKey = APIKey(rawValue: 69)

    public typealias Group = ConsumerGroupDescribeResponse.DescribedGroup
    public typealias Member = ConsumerGroupDescribeResponse.DescribedGroup.Member

    public var body = ConsumerGroupDescribeResponse()
    /// v1: `memberTypes[g][m]` is the MemberType of member m of group g; a missing entry is written
    /// as 1 (consumer), the only kind of member this broker's consumer groups have.
    public var memberTypes: [[Int8]] = []

    public init() {}
    public init(_ body: ConsumerGroupDescribeResponse) { self.body = body }

    public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        guard version >= 1 else {
            body = try ConsumerGroupDescribeResponse(reading: &buffer, version: 0)
            return
        }
        body.throttleTimeMs = try buffer.readKafkaInteger(Int32.self, field: "ThrottleTimeMs")
        guard let groups = try buffer.readKafkaArrayCount(compact: true, field: "Groups") else {
            throw ProtocolError(.nullNotAllowed, field: "Groups")
        }
        for _ in 0..<groups {
            var g = Group()
            g.errorCode = try buffer.readKafkaInteger(Int16.self, field: "ErrorCode")
            g.errorMessage = try buffer.readKafkaNullableString(compact: true, field: "ErrorMessage")
            g.groupID = try buffer.readKafkaString(compact: true, field: "GroupId")
            g.groupState = try buffer.readKafkaString(compact: true, field: "GroupState")
            g.groupEpoch = try buffer.readKafkaInteger(Int32.self, field: "GroupEpoch")
            g.assignmentEpoch = try buffer.readKafkaInteger(Int32.self, field: "AssignmentEpoch")
            g.assignorName = try buffer.readKafkaString(compact: true, field: "AssignorName")
            guard let members = try buffer.readKafkaArrayCount(compact: true, field: "Members") else {
                throw ProtocolError(.nullNotAllowed, field: "Members")
            }
            var types: [Int8] = []
            for _ in 0..<members {
                var m = Member()
                m.memberID = try buffer.readKafkaString(compact: true, field: "MemberId")
                m.instanceID = try buffer.readKafkaNullableString(compact: true, field: "InstanceId")
                m.rackID = try buffer.readKafkaNullableString(compact: true, field: "RackId")
                m.memberEpoch = try buffer.readKafkaInteger(Int32.self, field: "MemberEpoch")
                m.clientID = try buffer.readKafkaString(compact: true, field: "ClientId")
                m.clientHost = try buffer.readKafkaString(compact: true, field: "ClientHost")
                guard let topics = try buffer.readKafkaArrayCount(compact: true, field: "SubscribedTopicNames") else {
                    throw ProtocolError(.nullNotAllowed, field: "SubscribedTopicNames")
                }
                for _ in 0..<topics { m.subscribedTopicNames.append(try buffer.readKafkaString(compact: true, field: "SubscribedTopicNames")) }
                m.subscribedTopicRegex = try buffer.readKafkaNullableString(compact: true, field: "SubscribedTopicRegex")
                m.assignment = try ConsumerGroupDescribeResponse.Assignment(reading: &buffer, version: 0)
                m.targetAssignment = try ConsumerGroupDescribeResponse.Assignment(reading: &buffer, version: 0)
                types.append(try buffer.readKafkaInteger(Int8.self, field: "MemberType"))
                m.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "Member")
                g.members.append(m)
            }
            memberTypes.append(types)
            g.authorizedOperations = try buffer.readKafkaInteger(Int32.self, field: "AuthorizedOperations")
            g.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "DescribedGroup")
            body.groups.append(g)
        }
        body.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "ConsumerGroupDescribeResponse")
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        guard version >= 1 else {
            try body.write(to: &buffer, version: 0)
            return
        }
        buffer.writeInteger(body.throttleTimeMs)
        buffer.writeKafkaArrayCount(body.groups.count, compact: true)
        for (gi, g) in body.groups.enumerated() {
            buffer.writeInteger(g.errorCode)
            try buffer.writeKafkaNullableString(g.errorMessage, compact: true)
            try buffer.writeKafkaString(g.groupID, compact: true)
            try buffer.writeKafkaString(g.groupState, compact: true)
            buffer.writeInteger(g.groupEpoch)
            buffer.writeInteger(g.assignmentEpoch)
            try buffer.writeKafkaString(g.assignorName, compact: true)
            buffer.writeKafkaArrayCount(g.members.count, compact: true)
            for (mi, m) in g.members.enumerated() {
                try buffer.writeKafkaString(m.memberID, compact: true)
                try buffer.writeKafkaNullableString(m.instanceID, compact: true)
                try buffer.writeKafkaNullableString(m.rackID, compact: true)
                buffer.writeInteger(m.memberEpoch)
                try buffer.writeKafkaString(m.clientID, compact: true)
                try buffer.writeKafkaString(m.clientHost, compact: true)
                buffer.writeKafkaArrayCount(m.subscribedTopicNames.count, compact: true)
                for t in m.subscribedTopicNames { try buffer.writeKafkaString(t, compact: true) }
                try buffer.writeKafkaNullableString(m.subscribedTopicRegex, compact: true)
                try m.assignment.write(to: &buffer, version: 0)
                try m.targetAssignment.write(to: &buffer, version: 0)
                let type: Int8 = gi < memberTypes.count && mi < memberTypes[gi].count ? memberTypes[gi][mi] : 1
                buffer.writeInteger(type)
                buffer.writeTaggedFields([], unknown: m.unknownTaggedFields)
            }
            buffer.writeInteger(g.authorizedOperations)
            buffer.writeTaggedFields([], unknown: g.unknownTaggedFields)
        }
        buffer.writeTaggedFields([], unknown: body.unknownTaggedFields)
    }
}
