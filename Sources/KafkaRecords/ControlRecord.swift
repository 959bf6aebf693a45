/// The type in a control record's key. Known values are named; others are kept (Kafka treats them as
/// UNKNOWN rather than rejecting the batch).
public struct ControlRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let abort = ControlRecordType(rawValue: 0)
    public static let commit = ControlRecordType(rawValue: 1)
    public static let leaderChange = ControlRecordType(rawValue: 2)
    public static let snapshotHeader = ControlRecordType(rawValue: 3)
    public static let snapshotFooter = ControlRecordType(rawValue: 4)
    public static let kraftVersion = ControlRecordType(rawValue: 5)
    public static let kraftVoters = ControlRecordType(rawValue: 6)

    public var description: String {
        switch rawValue {
        case 0: "ABORT"
        case 1: "COMMIT"
        case 2: "LEADER_CHANGE"
        case 3: "SNAPSHOT_HEADER"
        case 4: "SNAPSHOT_FOOTER"
        case 5: "KRAFT_VERSION"
        case 6: "KRAFT_VOTERS"
        default: "UNKNOWN(\(rawValue))"
        }
    }
}

/// The record in a control batch (attributes bit 5).
///
/// Key: version int16 (0), type int16. COMMIT and ABORT values are an end-transaction marker: version int16
/// (0), coordinatorEpoch int32. Other types' values are kept as raw bytes. As in Kafka's Java code, a key
/// or marker with a higher version is read by its first fields and extra bytes are ignored; negative
/// versions and short keys/markers are rejected.
public struct ControlRecord: Hashable, Sendable {
    public enum Value: Hashable, Sendable {
        /// The value of COMMIT and ABORT.
        case endTransaction(version: Int16, coordinatorEpoch: Int32)
        /// Any other type's value, undecoded.
        case raw([UInt8]?)
    }

    public static let keySize = 4
    public static let endTransactionMarkerSize = 6

    /// The key's version.
    public var version: Int16
    public var type: ControlRecordType
    public var value: Value

    public init(type: ControlRecordType, version: Int16 = 0, value: Value) {
        self.type = type
        self.version = version
        self.value = value
    }

    public static func commit(coordinatorEpoch: Int32) -> ControlRecord {
        ControlRecord(type: .commit, value: .endTransaction(version: 0, coordinatorEpoch: coordinatorEpoch))
    }

    public static func abort(coordinatorEpoch: Int32) -> ControlRecord {
        ControlRecord(type: .abort, value: .endTransaction(version: 0, coordinatorEpoch: coordinatorEpoch))
    }

    /// Reads the control data from a record of a control batch.
    public init(parsing record: Record) throws(RecordBatchError) {
        guard let key = record.key, key.count >= Self.keySize else {
            throw RecordBatchError(.invalidControlRecord("key must have at least \(Self.keySize) bytes, found \(record.key?.count ?? -1)"))
        }
        let version = Int16(bitPattern: UInt16(key[0]) << 8 | UInt16(key[1]))
        guard version >= 0 else { throw RecordBatchError(.invalidControlRecord("negative key version \(version)")) }
        let type = ControlRecordType(rawValue: Int16(bitPattern: UInt16(key[2]) << 8 | UInt16(key[3])))
        if type == .commit || type == .abort {
            guard let value = record.value, value.count >= Self.endTransactionMarkerSize else {
                throw RecordBatchError(.invalidControlRecord("end transaction marker must have at least \(Self.endTransactionMarkerSize) bytes, found \(record.value?.count ?? -1)"))
            }
            let markerVersion = Int16(bitPattern: UInt16(value[0]) << 8 | UInt16(value[1]))
            guard markerVersion >= 0 else {
                throw RecordBatchError(.invalidControlRecord("negative end transaction marker version \(markerVersion)"))
            }
            var epoch: UInt32 = 0
            for byte in value[2..<6] { epoch = epoch << 8 | UInt32(byte) }
            self.init(type: type, version: version, value: .endTransaction(version: markerVersion, coordinatorEpoch: Int32(bitPattern: epoch)))
        } else {
            self.init(type: type, version: version, value: .raw(record.value))
        }
    }

    /// version int16, type int16.
    public var keyBytes: [UInt8] {
        let v = UInt16(bitPattern: version), t = UInt16(bitPattern: type.rawValue)
        return [UInt8(v >> 8), UInt8(v & 0xFF), UInt8(t >> 8), UInt8(t & 0xFF)]
    }

    public var valueBytes: [UInt8]? {
        switch value {
        case let .endTransaction(version, epoch):
            let v = UInt16(bitPattern: version), e = UInt32(bitPattern: epoch)
            return [UInt8(v >> 8), UInt8(v & 0xFF), UInt8(e >> 24), UInt8((e >> 16) & 0xFF), UInt8((e >> 8) & 0xFF), UInt8(e & 0xFF)]
        case let .raw(bytes):
            return bytes
        }
    }
}
