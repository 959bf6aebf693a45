import KafkaProtocol
import NIOCore
import Testing

/// Byte strings written out by hand from the schemas and Kafka's encoding rules, checked against the
/// interpreter (so the interpreter itself is checked) and against the generated codec both ways.
@Suite struct GoldenLiteralTests {
    /// `__cluster_metadata` as a non-flexible string: int16 length 18, then the bytes.
    static let topicInt16: [UInt8] = [0x00, 0x12] + Array("__cluster_metadata".utf8)
    /// The same as a compact string: uvarint 18 + 1.
    static let topicCompact: [UInt8] = [0x13] + Array("__cluster_metadata".utf8)

    func check<M: KafkaMessage>(_ message: M, _ values: [String: GoldenValue], version: Int16, literal: [UInt8], schema name: String) throws {
        let schema = try GoldenSchemaSource.load(name)
        #expect(try GoldenEncoder.encode(schema, values, version: version) == literal, "interpreter")
        #expect(Array(try message.encoded(version: version).readableBytesView) == literal, "generated encoder")
        #expect(try M.decodeExactly(ByteBuffer(bytes: literal), version: version) == message, "generated decoder")
    }

    @Test func voteRequestV0() throws {
        let literal: [UInt8] = [0x00] // ClusterId: null compact string
            + [0x02] + Self.topicCompact // Topics: one; TopicName
            + [0x02] // Partitions: one
            + [0, 0, 0, 0] // PartitionIndex 0
            + [0, 0, 0, 5] // CandidateEpoch 5
            + [0, 0, 0, 1] // CandidateId 1
            + [0, 0, 0, 4] // LastOffsetEpoch 4
            + [0, 0, 0, 0, 0, 0, 0, 100] // LastOffset 100
            + [0x00, 0x00, 0x00] // empty tagged sections: partition, topic, message
        let message = VoteRequest(topics: [.init(topicName: "__cluster_metadata", partitions: [
            .init(partitionIndex: 0, candidateEpoch: 5, candidateID: 1, lastOffsetEpoch: 4, lastOffset: 100),
        ])])
        let values: [String: GoldenValue] = ["Topics": .array([.object([
            "TopicName": .string("__cluster_metadata"),
            "Partitions": .array([.object(["CandidateEpoch": .int(5), "CandidateId": .int(1), "LastOffsetEpoch": .int(4), "LastOffset": .int(100)])]),
        ])])]
        try check(message, values, version: 0, literal: literal, schema: "VoteRequest")
    }

    @Test func voteRequestV1CarriesVoterIDAndDirectoryIDs() throws {
        let candidateDir = KafkaUUID(mostSignificantBits: 0x0102_0304_0506_0708, leastSignificantBits: 0x090A_0B0C_0D0E_0F10)
        let voterDir = KafkaUUID(mostSignificantBits: 0xA0, leastSignificantBits: 0xB0)
        let literal: [UInt8] = [0x04] + Array("abc".utf8) // ClusterId "abc": uvarint 4
            + [0, 0, 0, 2] // VoterId 2 (v1+)
            + [0x02] + Self.topicCompact + [0x02]
            + [0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3] // PartitionIndex 0, CandidateEpoch 7, CandidateId 3
            + Array(1...16) // CandidateDirectoryId
            + [0, 0, 0, 0, 0, 0, 0, 0xA0, 0, 0, 0, 0, 0, 0, 0, 0xB0] // VoterDirectoryId
            + [0, 0, 0, 6] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] // LastOffsetEpoch 6, LastOffset -1
            + [0x00, 0x00, 0x00]
        let message = VoteRequest(clusterID: "abc", voterID: 2, topics: [.init(topicName: "__cluster_metadata", partitions: [
            .init(partitionIndex: 0, candidateEpoch: 7, candidateID: 3, candidateDirectoryID: candidateDir, voterDirectoryID: voterDir, lastOffsetEpoch: 6, lastOffset: -1),
        ])])
        let values: [String: GoldenValue] = ["ClusterId": .string("abc"), "VoterId": .int(2), "Topics": .array([.object([
            "TopicName": .string("__cluster_metadata"),
            "Partitions": .array([.object([
                "CandidateEpoch": .int(7), "CandidateId": .int(3), "CandidateDirectoryId": .uuid(Array(1...16)),
                "VoterDirectoryId": .uuid(voterDir.bytes), "LastOffsetEpoch": .int(6), "LastOffset": .int(-1),
            ])]),
        ])])]
        try check(message, values, version: 1, literal: literal, schema: "VoteRequest")
    }

    @Test func beginQuorumEpochRequestV0IsNotFlexible() throws {
        let literal: [UInt8] = [0xFF, 0xFF] // ClusterId: null as int16 -1
            + [0, 0, 0, 1] + Self.topicInt16 // Topics: int32 count 1
            + [0, 0, 0, 1] // Partitions: int32 count 1
            + [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 9] // PartitionIndex 0, LeaderId 2, LeaderEpoch 9
        let message = BeginQuorumEpochRequest(topics: [.init(topicName: "__cluster_metadata", partitions: [
            .init(partitionIndex: 0, leaderID: 2, leaderEpoch: 9),
        ])])
        let values: [String: GoldenValue] = ["Topics": .array([.object([
            "TopicName": .string("__cluster_metadata"),
            "Partitions": .array([.object(["LeaderId": .int(2), "LeaderEpoch": .int(9)])]),
        ])])]
        try check(message, values, version: 0, literal: literal, schema: "BeginQuorumEpochRequest")
    }

    @Test func fetchSnapshotResponseV0TaggedCurrentLeader() throws {
        let literal: [UInt8] = [0, 0, 0, 0, 0, 0] // ThrottleTimeMs 0, ErrorCode 0
            + [0x02] + Self.topicCompact + [0x02]
            + [0, 0, 0, 0, 0, 0] // Index 0, ErrorCode 0
            + [0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 3, 0x00] // SnapshotId: EndOffset 256, Epoch 3, no tags
            + [0, 0, 0, 0, 0, 0, 0, 10] // Size 10
            + [0, 0, 0, 0, 0, 0, 0, 4] // Position 4
            + [0x04, 0xAA, 0xBB, 0xCC] // UnalignedRecords: compact bytes of 3
            + [0x01, 0x00, 0x09, 0, 0, 0, 1, 0, 0, 0, 3, 0x00] // 1 tagged field: tag 0, size 9, LeaderId 1, LeaderEpoch 3, no tags
            + [0x00, 0x00] // topic and message tagged sections
        var partition = FetchSnapshotResponse.TopicSnapshot.PartitionSnapshot()
        partition.snapshotID = .init(endOffset: 256, epoch: 3)
        partition.currentLeader = .init(leaderID: 1, leaderEpoch: 3)
        partition.size = 10
        partition.position = 4
        partition.unalignedRecords = ByteBuffer(bytes: [0xAA, 0xBB, 0xCC])
        let message = FetchSnapshotResponse(topics: [.init(name: "__cluster_metadata", partitions: [partition])])
        let values: [String: GoldenValue] = ["Topics": .array([.object([
            "Name": .string("__cluster_metadata"),
            "Partitions": .array([.object([
                "SnapshotId": .object(["EndOffset": .int(256), "Epoch": .int(3)]),
                "CurrentLeader": .object(["LeaderId": .int(1), "LeaderEpoch": .int(3)]),
                "Size": .int(10), "Position": .int(4), "UnalignedRecords": .bytes([0xAA, 0xBB, 0xCC]),
            ])]),
        ])])]
        try check(message, values, version: 0, literal: literal, schema: "FetchSnapshotResponse")
    }

    @Test func interpreterRefusesWhatKafkaRefuses() throws {
        let vote = try GoldenSchemaSource.load("VoteRequest")
        // A null in a non-nullable field.
        #expect(throws: GoldenEncoder.Failure.self) {
            try GoldenEncoder.encode(vote, ["Topics": .null], version: 0)
        }
        // A non-ignorable field with a value in a version without it (BeginQuorumEpochResponse v0 has no
        // NodeEndpoints) is refused; an ignorable one (VoteRequest.VoterId in v0) is dropped.
        let begin = try GoldenSchemaSource.load("BeginQuorumEpochResponse")
        let endpoint: GoldenValue = .object(["NodeId": .int(1), "Host": .string("h"), "Port": .int(9093)])
        #expect(throws: GoldenEncoder.Failure.self) {
            try GoldenEncoder.encode(begin, ["NodeEndpoints": .array([endpoint])], version: 0)
        }
        #expect(try GoldenEncoder.encode(vote, ["VoterId": .int(3)], version: 0) == [0x00, 0x01, 0x00])
        // Out-of-range integers.
        #expect(throws: GoldenEncoder.Failure.self) {
            try GoldenEncoder.encode(begin, ["ErrorCode": .int(40000)], version: 1)
        }
    }
}
