import KafkaProtocol
import NIOCore

/// A metadata record with the version it is (or will be) written in.
public struct MetadataRecordAndVersion: Sendable {
    public var record: any KafkaMetadataRecord
    public var version: Int16

    public init(_ record: any KafkaMetadataRecord, version: Int16) {
        self.record = record
        self.version = version
    }
}

/// The value of a `__cluster_metadata` record, as Kafka frames it:
/// unsigned varint frame version (1), unsigned varint record type, unsigned varint record version,
/// then the record body in that version. The record key is always null.
public enum MetadataRecordSerde {
    public static let frameVersion: UInt32 = 1

    public static func encode(_ item: MetadataRecordAndVersion) throws(ProtocolError) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeUnsignedVarint(frameVersion)
        out.writeUnsignedVarint(UInt32(UInt16(bitPattern: type(of: item.record).recordType)))
        out.writeUnsignedVarint(UInt32(UInt16(bitPattern: item.version)))
        try encodeBody(item.record, version: item.version, into: &out)
        return out
    }

    private static func encodeBody<R: KafkaMetadataRecord>(_ record: R, version: Int16, into out: inout ByteBuffer) throws(ProtocolError) {
        try record.encode(to: &out, version: version)
    }

    public static func decode(_ value: ByteBuffer) throws(ProtocolError) -> MetadataRecordAndVersion {
        var b = value
        let frame = try b.readUnsignedVarint(field: "MetadataRecord.FrameVersion")
        guard frame == frameVersion else {
            throw ProtocolError(.invalidValue("frame version \(frame)"), field: "MetadataRecord.FrameVersion")
        }
        let rawType = try b.readUnsignedVarint(field: "MetadataRecord.Type")
        let rawVersion = try b.readUnsignedVarint(field: "MetadataRecord.Version")
        guard rawType <= UInt32(Int16.max), rawVersion <= UInt32(Int16.max) else {
            throw ProtocolError(.invalidValue("type \(rawType) version \(rawVersion)"), field: "MetadataRecord.Type")
        }
        guard let type = MetadataRecordType.type(for: Int16(rawType)) else {
            throw ProtocolError(.invalidValue("unknown metadata record type \(rawType)"), field: "MetadataRecord.Type")
        }
        let version = Int16(rawVersion)
        let record = try decodeBody(type, from: b, version: version)
        return MetadataRecordAndVersion(record, version: version)
    }

    private static func decodeBody<R: KafkaMetadataRecord>(_: R.Type, from buffer: ByteBuffer, version: Int16) throws(ProtocolError) -> any KafkaMetadataRecord {
        try R.decodeExactly(buffer, version: version)
    }
}
