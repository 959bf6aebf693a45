import NIOCore

/// Vote as Kafka 4.0 serves it, versions 0-2 (all flexible).
///
/// Wire layout of each partition: PartitionIndex, ReplicaEpoch (CandidateEpoch before v2), ReplicaId
/// (CandidateId), ReplicaDirectoryId (v1+), VoterDirectoryId (v1+), LastOffsetEpoch, LastOffset,
/// PreVote (v2+, KIP-996), tags. Kafka 3.9's schemas (`Protocol/`) stop at v1, which cannot carry a
/// pre-vote, so this type is written by hand over the generated v1 body: `body` holds every v1 field and
/// `preVote[t][p]` the v2 flag of topic t's partition p.
public struct VoteRequestV2: KafkaRequestMessage, Hashable, Sendable {
    public typealias Response = VoteResponseV2
    public static let messageName = "VoteRequest"
    public static let validVersions: ClosedRange<Int16> = 0...2
    public static let lowestFlexibleVersion: Int16? = 0
    public static let apiKey = APIKey(rawValue: 52)

    public var body = VoteRequest()
    /// Per topic, per partition: whether it is a pre-vote (v2+; false in older versions).
    public var preVote: [[Bool]] = []

    public init() {}

    public init(_ body: VoteRequest, preVote: [[Bool]]) {
        self.body = body
        self.preVote = preVote
    }

    public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        guard version >= 2 else {
            body = try VoteRequest(reading: &buffer, version: version)
            preVote = body.topics.map { $0.partitions.map { _ in false } }
            return
        }
        body.clusterID = try buffer.readKafkaNullableString(compact: true, field: "ClusterId")
        body.voterID = try buffer.readKafkaInteger(Int32.self, field: "VoterId")
        guard let topicCount = try buffer.readKafkaArrayCount(compact: true, field: "Topics") else {
            throw ProtocolError(.nullNotAllowed, field: "Topics")
        }
        for _ in 0..<topicCount {
            var topic = VoteRequest.TopicData()
            var flags: [Bool] = []
            topic.topicName = try buffer.readKafkaString(compact: true, field: "TopicData.TopicName")
            guard let count = try buffer.readKafkaArrayCount(compact: true, field: "TopicData.Partitions") else {
                throw ProtocolError(.nullNotAllowed, field: "TopicData.Partitions")
            }
            for _ in 0..<count {
                var p = VoteRequest.TopicData.PartitionData()
                p.partitionIndex = try buffer.readKafkaInteger(Int32.self, field: "PartitionData.PartitionIndex")
                p.candidateEpoch = try buffer.readKafkaInteger(Int32.self, field: "PartitionData.ReplicaEpoch")
                p.candidateID = try buffer.readKafkaInteger(Int32.self, field: "PartitionData.ReplicaId")
                p.candidateDirectoryID = try buffer.readKafkaUUID(field: "PartitionData.ReplicaDirectoryId")
                p.voterDirectoryID = try buffer.readKafkaUUID(field: "PartitionData.VoterDirectoryId")
                p.lastOffsetEpoch = try buffer.readKafkaInteger(Int32.self, field: "PartitionData.LastOffsetEpoch")
                p.lastOffset = try buffer.readKafkaInteger(Int64.self, field: "PartitionData.LastOffset")
                flags.append(try buffer.readKafkaBool(field: "PartitionData.PreVote"))
                p.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "PartitionData")
                topic.partitions.append(p)
            }
            topic.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "TopicData")
            body.topics.append(topic)
            preVote.append(flags)
        }
        body.unknownTaggedFields = try buffer.readUnknownTaggedFields(field: "VoteRequest")
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        guard version >= 2 else {
            if preVote.contains(where: { $0.contains(true) }) { throw ProtocolError(.unsupportedVersion, field: "PreVote") }
            try body.write(to: &buffer, version: version)
            return
        }
        try buffer.writeKafkaNullableString(body.clusterID, compact: true)
        buffer.writeInteger(body.voterID)
        buffer.writeKafkaArrayCount(body.topics.count, compact: true)
        for (t, topic) in body.topics.enumerated() {
            try buffer.writeKafkaString(topic.topicName, compact: true)
            buffer.writeKafkaArrayCount(topic.partitions.count, compact: true)
            for (i, p) in topic.partitions.enumerated() {
                buffer.writeInteger(p.partitionIndex)
                buffer.writeInteger(p.candidateEpoch)
                buffer.writeInteger(p.candidateID)
                buffer.writeKafkaUUID(p.candidateDirectoryID)
                buffer.writeKafkaUUID(p.voterDirectoryID)
                buffer.writeInteger(p.lastOffsetEpoch)
                buffer.writeInteger(p.lastOffset)
                let flag = t < preVote.count && i < preVote[t].count ? preVote[t][i] : false
                buffer.writeKafkaBool(flag)
                buffer.writeTaggedFields([], unknown: p.unknownTaggedFields)
            }
            buffer.writeTaggedFields([], unknown: topic.unknownTaggedFields)
        }
        buffer.writeTaggedFields([], unknown: body.unknownTaggedFields)
    }
}

/// VoteResponse versions 0-2: v2 has v1's layout (Kafka 4.0 bumped it together with the request).
public struct VoteResponseV2: KafkaResponseMessage, Hashable, Sendable {
    public static let messageName = "VoteResponse"
    public static let validVersions: ClosedRange<Int16> = 0...2
    public static let lowestFlexibleVersion: Int16? = 0
    public static let apiKey = APIKey(rawValue: 52)

    public var body = VoteResponse()

    public init() {}
    public init(_ body: VoteResponse) { self.body = body }

    public init(reading buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        body = try VoteResponse(reading: &buffer, version: Swift.min(version, 1))
    }

    public func write(to buffer: inout ByteBuffer, version: Int16) throws(ProtocolError) {
        try body.write(to: &buffer, version: Swift.min(version, 1))
    }
}
