@testable import KafkaLogDump
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// `--cluster-metadata-decoder`: `__cluster_metadata` records (segments and `.checkpoint` snapshots)
/// as Kafka's ClusterMetadataLogMessageParser prints them.
@Suite struct ClusterMetadataDumpTests {
    static let topicID = KafkaUUID("bASOea5GQaKKvtnwdCdrOw")!

    func snapshotBytes() throws -> [UInt8] {
        var b = RecordBatchBuilder(baseOffset: 3, partitionLeaderEpoch: 1)
        let topic = try MetadataRecordSerde.encode(MetadataRecordAndVersion(TopicRecord(name: "orders", topicID: Self.topicID), version: 0))
        let feature = try MetadataRecordSerde.encode(MetadataRecordAndVersion(FeatureLevelRecord(name: "metadata.version", featureLevel: 21), version: 0))
        b.append(timestamp: 1_000, key: nil, value: Array(buffer: topic))
        b.append(timestamp: 1_000, key: nil, value: Array(buffer: feature))
        b.append(timestamp: 1_000, key: nil, value: [9, 9])
        let batch = try b.build()
        return batch.bytes.getBytes(at: batch.bytes.readerIndex, length: batch.bytes.readableBytes)!
    }

    @Test func snapshotRecordsAsKafkasJSON() throws {
        let out = DumpLog.dump(fileName: "00000000000000000134-0000000001.checkpoint", bytes: try snapshotBytes(),
                               options: .init(clusterMetadataDecoder: true))
        #expect(out.lines[0] == "Snapshot end offset: 134, epoch: 1")
        #expect(out.lines[1].hasPrefix("baseOffset: 3 lastOffset: 5 count: 3 "))
        #expect(out.lines[2].hasSuffix(" payload: {\"type\":\"TOPIC_RECORD\",\"version\":0,\"data\":{\"name\":\"orders\",\"topicId\":\"bASOea5GQaKKvtnwdCdrOw\"}}"))
        #expect(out.lines[3].hasSuffix(" payload: {\"type\":\"FEATURE_LEVEL_RECORD\",\"version\":0,\"data\":{\"name\":\"metadata.version\",\"featureLevel\":21}}"))
        #expect(out.lines[4].contains(" payload: Error at 5, skipping. "))
        #expect(out.lines.count == 5 && out.errors.isEmpty)
        // Without the decoder a .checkpoint is still a snapshot: the header and the batch lines.
        #expect(DumpLog.dump(fileName: "00000000000000000134-0000000001.checkpoint", bytes: try snapshotBytes()).lines.count == 2)
    }

    @Test func kraftControlRecordsAreDecoded() throws {
        var value = ByteBuffer()
        try KRaftVersionRecord(version: 0, kRaftVersion: 1).encode(to: &value, version: 0)
        #expect(ClusterMetadataDecoder.control(type: 5, value: Array(buffer: value)) == " KRaftVersion {\"version\":0,\"kRaftVersion\":1}")
        #expect(ClusterMetadataDecoder.control(type: 2, value: []) == nil)
        #expect(MessageJSON.kafkaName("brokerIDs") == "brokerIds" && MessageJSON.kafkaName("isrNodes") == "isrNodes")
        #expect(MessageJSON.typeName("RegisterBrokerRecord") == "REGISTER_BROKER_RECORD")
        #expect(Base64.encoded([1, 2, 3, 4]) == "AQIDBA==")
    }
}
