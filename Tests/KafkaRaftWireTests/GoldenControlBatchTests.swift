import KafkaProtocol
import KafkaRaftWire
import KafkaRecords
import NIOCore
import Testing

/// KRaft control records inside control batches, byte for byte against batches assembled by hand from the
/// v2 layout, with values encoded by the schema interpreter.
@Suite struct GoldenControlBatchTests {
    static let timestamp: Int64 = 1_700_000_123_456

    /// A control record, the same message as interpreter values, its schema and its control type.
    struct Sample {
        var record: KRaftControlRecord
        var schema: String
        var values: [String: GoldenValue]
        var type: Int16
    }

    static func samples() -> [Sample] {
        var leaderChange = LeaderChangeMessage()
        leaderChange.leaderID = 3
        leaderChange.voters = ([1, 2, 3] as [Int32]).map { var v = LeaderChangeMessage.Voter(); v.voterID = $0; return v }
        leaderChange.grantingVoters = ([3, 1] as [Int32]).map { var v = LeaderChangeMessage.Voter(); v.voterID = $0; return v }

        var voters = VotersRecord()
        var voter = VotersRecord.Voter()
        voter.voterID = 2
        voter.voterDirectoryID = KafkaUUID(mostSignificantBits: 0x1122_3344_5566_7788, leastSignificantBits: 0x99AA_BBCC_DDEE_FF00)
        var endpoint = VotersRecord.Voter.Endpoint()
        endpoint.name = "CONTROLLER"
        endpoint.host = "node-2"
        endpoint.port = 9093
        voter.endpoints = [endpoint]
        voter.kRaftVersionFeature.minSupportedVersion = 0
        voter.kRaftVersionFeature.maxSupportedVersion = 1
        voters.voters = [voter]

        var kraftVersion = KRaftVersionRecord()
        kraftVersion.kRaftVersion = 1

        let voterValue: GoldenValue = .object([
            "VoterId": .int(2), "VoterDirectoryId": .uuid(voter.voterDirectoryID.bytes),
            "Endpoints": .array([.object(["Name": .string("CONTROLLER"), "Host": .string("node-2"), "Port": .int(9093)])]),
            "KRaftVersionFeature": .object(["MinSupportedVersion": .int(0), "MaxSupportedVersion": .int(1)]),
        ])
        return [
            Sample(record: .leaderChange(leaderChange), schema: "LeaderChangeMessage", values: [
                "LeaderId": .int(3),
                "Voters": .array([1, 2, 3].map { .object(["VoterId": .int($0)]) }),
                "GrantingVoters": .array([3, 1].map { .object(["VoterId": .int($0)]) }),
            ], type: 2),
            Sample(record: .snapshotHeader(SnapshotHeaderRecord(version: 0, lastContainedLogTimestamp: 1_699_999_000_000)),
                   schema: "SnapshotHeaderRecord", values: ["LastContainedLogTimestamp": .int(1_699_999_000_000)], type: 3),
            Sample(record: .snapshotFooter(SnapshotFooterRecord(version: 0)), schema: "SnapshotFooterRecord", values: [:], type: 4),
            Sample(record: .kraftVersion(kraftVersion), schema: "KRaftVersionRecord", values: ["KRaftVersion": .int(1)], type: 5),
            Sample(record: .voters(voters), schema: "VotersRecord", values: ["Voters": .array([voterValue])], type: 6),
        ]
    }

    func valueBytes(_ s: Sample) throws -> [UInt8] {
        try GoldenEncoder.encode(try GoldenSchemaSource.load(s.schema), s.values, version: 0)
    }

    @Test func handCRC32CMatchesTheKnownCheckValue() {
        #expect(HandBatch.crc32c(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func eachControlRecordAloneInABatchMatchesTheHandAssembledBatch() throws {
        for s in Self.samples() {
            let record = HandBatch.record(offsetDelta: 0, key: HandBatch.controlKey(type: s.type), value: try valueBytes(s))
            let hand = HandBatch.batch(baseOffset: 42, partitionLeaderEpoch: 7, attributes: 0x20,
                                       baseTimestamp: Self.timestamp, maxTimestamp: Self.timestamp, records: [record])
            let built = try KRaftControlRecord.batch([s.record], baseOffset: 42, partitionLeaderEpoch: 7, timestamp: Self.timestamp)
            #expect(Array(built.bytes.readableBytesView) == hand, "\(s.schema)")
            #expect(built.header.isControl && built.hasValidCRC)
            let decoded = try built.decodeRecords(decompressionLimit: 1 << 20)
            #expect(try decoded.map(KRaftControlRecord.init(parsing:)) == [s.record], "\(s.schema)")
        }
    }

    @Test func snapshotHeaderBatchWithKRaftVersionAndVotersMatchesByHand() throws {
        // As Kafka's snapshot writer starts a snapshot when kraft.version is 1: three records, one batch.
        let samples = Self.samples()
        let chosen = [samples[1], samples[3], samples[4]]
        let records = try chosen.enumerated().map { i, s in
            HandBatch.record(offsetDelta: Int64(i), key: HandBatch.controlKey(type: s.type), value: try valueBytes(s))
        }
        let hand = HandBatch.batch(baseOffset: 0, partitionLeaderEpoch: 5, attributes: 0x20,
                                   baseTimestamp: Self.timestamp, maxTimestamp: Self.timestamp, records: records)
        let built = try KRaftControlRecord.batch(chosen.map(\.record), baseOffset: 0, partitionLeaderEpoch: 5, timestamp: Self.timestamp)
        #expect(Array(built.bytes.readableBytesView) == hand)
        #expect(built.header.lastOffsetDelta == 2)
    }

    @Test func literalHeaderAndFooterValues() throws {
        // SnapshotHeaderRecord v0: Version int16, LastContainedLogTimestamp int64, empty tagged fields.
        let header = try KRaftControlRecord.snapshotHeader(SnapshotHeaderRecord(version: 0, lastContainedLogTimestamp: 0x0102_0304_0506_0708)).controlRecord()
        #expect(header.keyBytes == [0, 0, 0, 3])
        #expect(header.valueBytes == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0])
        let footer = try KRaftControlRecord.snapshotFooter(SnapshotFooterRecord(version: 0)).controlRecord()
        #expect(footer.keyBytes == [0, 0, 0, 4])
        #expect(footer.valueBytes == [0, 0, 0])
    }

    @Test func nonKRaftOrMalformedControlRecordsAreRefused() {
        let commit = Record(key: [0, 0, 0, 1], value: [0, 0, 0, 0, 0, 0])
        #expect(throws: KRaftControlRecordError.notKRaft(.commit)) { try KRaftControlRecord(parsing: commit) }
        let shortKey = Record(key: [0, 0, 3], value: [0, 0, 0])
        #expect(throws: KRaftControlRecordError.self) { try KRaftControlRecord(parsing: shortKey) }
        // A footer value with a byte too many for version 0.
        let longFooter = Record(key: [0, 0, 0, 4], value: [0, 0, 0, 9])
        #expect(throws: KRaftControlRecordError.self) { try KRaftControlRecord(parsing: longFooter) }
        let nullValue = Record(key: [0, 0, 0, 3], value: nil)
        #expect(throws: KRaftControlRecordError.self) { try KRaftControlRecord(parsing: nullValue) }
    }
}
