import KafkaProtocol
import KafkaRecords
import NIOCore

/// A KRaft control record as it sits in a control batch (attributes bit 5) of `__cluster_metadata` or a
/// `.checkpoint` file.
///
/// Key: version int16 (0) + type int16 (2 LEADER_CHANGE, 3 SNAPSHOT_HEADER, 4 SNAPSHOT_FOOTER,
/// 5 KRAFT_VERSION, 6 KRAFT_VOTERS). Value: the message encoded in its version 0 (Kafka's
/// `ControlRecordUtils.*_CURRENT_VERSION`); a reader decodes version 0 too, so a value with more bytes
/// than version 0 uses is refused rather than half read.
public enum KRaftControlRecord: Hashable, Sendable {
    case leaderChange(LeaderChangeMessage)
    case snapshotHeader(SnapshotHeaderRecord)
    case snapshotFooter(SnapshotFooterRecord)
    case kraftVersion(KRaftVersionRecord)
    case voters(VotersRecord)

    /// The version every value is written and read in.
    public static let valueVersion: Int16 = 0

    public var type: ControlRecordType {
        switch self {
        case .leaderChange: .leaderChange
        case .snapshotHeader: .snapshotHeader
        case .snapshotFooter: .snapshotFooter
        case .kraftVersion: .kraftVersion
        case .voters: .kraftVoters
        }
    }

    /// The record's key and value bytes.
    public func controlRecord() throws(ProtocolError) -> ControlRecord {
        let value: ByteBuffer = switch self {
        case let .leaderChange(m): try m.encoded(version: Self.valueVersion)
        case let .snapshotHeader(m): try m.encoded(version: Self.valueVersion)
        case let .snapshotFooter(m): try m.encoded(version: Self.valueVersion)
        case let .kraftVersion(m): try m.encoded(version: Self.valueVersion)
        case let .voters(m): try m.encoded(version: Self.valueVersion)
        }
        return ControlRecord(type: type, value: .raw(Array(value.readableBytesView)))
    }

    /// Reads a KRaft control record from a record of a control batch; other control types (COMMIT,
    /// ABORT, unknown) and undecodable values throw.
    public init(parsing record: Record) throws(KRaftControlRecordError) {
        let control: ControlRecord
        do {
            control = try ControlRecord(parsing: record)
        } catch {
            throw KRaftControlRecordError.invalidKey("\(error)")
        }
        let kraftTypes: Set<ControlRecordType> = [.leaderChange, .snapshotHeader, .snapshotFooter, .kraftVersion, .kraftVoters]
        guard kraftTypes.contains(control.type) else { throw KRaftControlRecordError.notKRaft(control.type) }
        guard case let .raw(bytes) = control.value, let bytes else {
            throw KRaftControlRecordError.invalidValue(control.type, "null value")
        }
        let value = ByteBuffer(bytes: bytes)
        let decoded: KRaftControlRecord?
        do throws(ProtocolError) {
            switch control.type {
            case .leaderChange: decoded = .leaderChange(try .decodeExactly(value, version: Self.valueVersion))
            case .snapshotHeader: decoded = .snapshotHeader(try .decodeExactly(value, version: Self.valueVersion))
            case .snapshotFooter: decoded = .snapshotFooter(try .decodeExactly(value, version: Self.valueVersion))
            case .kraftVersion: decoded = .kraftVersion(try .decodeExactly(value, version: Self.valueVersion))
            case .kraftVoters: decoded = .voters(try .decodeExactly(value, version: Self.valueVersion))
            default: decoded = nil // excluded above
            }
        } catch {
            throw KRaftControlRecordError.invalidValue(control.type, "\(error)")
        }
        guard let decoded else { throw KRaftControlRecordError.notKRaft(control.type) }
        self = decoded
    }

    /// One control batch holding `records` in order, as Kafka's KRaft writes them: magic 2, no compression,
    /// CreateTime, not transactional, producer id/epoch/sequence -1, every record stamped `timestamp`.
    public static func batch(
        _ records: [KRaftControlRecord], baseOffset: Int64, partitionLeaderEpoch: Int32, timestamp: Int64
    ) throws -> RecordBatch {
        var builder = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, isControl: true)
        for record in records { builder.append(try record.controlRecord(), timestamp: timestamp) }
        return try builder.build()
    }
}

public enum KRaftControlRecordError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidKey(String)
    case notKRaft(ControlRecordType)
    case invalidValue(ControlRecordType, String)

    public var description: String {
        switch self {
        case let .invalidKey(why): "control record key: \(why)"
        case let .notKRaft(type): "control record \(type) is not a KRaft control record"
        case let .invalidValue(type, why): "\(type) control record value: \(why)"
        }
    }
}
