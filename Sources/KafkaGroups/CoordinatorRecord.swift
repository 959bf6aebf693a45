import KafkaProtocol
import NIOCore

/// One `__consumer_offsets` record: key and value bytes as Kafka writes them, each an int16 version
/// followed by the versioned struct. A nil value is a tombstone.
///
/// Key version 0 or 1: `OffsetCommitKey` (group, topic, partition) — Kafka 3.9 writes 1.
/// Key version 2: `GroupMetadataKey` (group).
/// Values Kafka 3.9 writes: `OffsetCommitValue` v3, or v1 when the commit carries an explicit expire
/// timestamp (OffsetCommit v2-v4 retention); `GroupMetadataValue` v3.
/// Key versions 3-8: the consumer (KIP-848) group records (see `ConsumerGroup+Records.swift`).
public struct CoordinatorRecord: Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]?

    public init(key: [UInt8], value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public static let offsetCommitKeyVersion: Int16 = 1
    public static let groupMetadataKeyVersion: Int16 = 2
    public static let groupMetadataValueVersion: Int16 = 3

    /// An offset commit, or its tombstone when `offset` is nil.
    public static func offsetCommit(group: String, topic: String, partition: Int32, _ offset: OffsetAndMetadata?) -> CoordinatorRecord {
        let key = OffsetCommitKey(group: group, topic: topic, partition: partition)
        return CoordinatorRecord(
            key: versioned(key, offsetCommitKeyVersion),
            value: offset.map { versioned($0.recordValue, $0.recordValueVersion) })
    }

    /// A group's metadata, or its tombstone when `value` is nil.
    public static func groupMetadata(group: String, _ value: GroupMetadataValue?) -> CoordinatorRecord {
        CoordinatorRecord(
            key: versioned(GroupMetadataKey(group: group), groupMetadataKeyVersion),
            value: value.map { versioned($0, groupMetadataValueVersion) })
    }

    /// A record decoded by its key version.
    public enum Decoded: Hashable, Sendable {
        case offsetCommit(OffsetCommitKey, OffsetCommitValue?)
        case groupMetadata(GroupMetadataKey, GroupMetadataValue?)
        /// A consumer (KIP-848) group record, key versions 3-8.
        case consumerGroup(ConsumerGroupRecord)
        /// A record type this coordinator does not know (e.g. share group records); skipped on load.
        case unknown(keyVersion: Int16)
    }

    public func decode() throws(ProtocolError) -> Decoded {
        var keyBuffer = ByteBuffer(bytes: key)
        let keyVersion = try keyBuffer.readKafkaInteger(Int16.self, field: "CoordinatorRecord.key.version")
        switch keyVersion {
        case 0, 1:
            let k = try OffsetCommitKey.decodeExactly(keyBuffer, version: keyVersion)
            return .offsetCommit(k, try value.map { bytes throws(ProtocolError) in try Self.decodeValue(OffsetCommitValue.self, bytes) })
        case 2:
            let k = try GroupMetadataKey.decodeExactly(keyBuffer, version: keyVersion)
            return .groupMetadata(k, try value.map { bytes throws(ProtocolError) in try Self.decodeValue(GroupMetadataValue.self, bytes) })
        case 3:
            let k = try ConsumerGroupMetadataKey.decodeExactly(keyBuffer, version: keyVersion)
            return .consumerGroup(.metadata(group: k.groupID, try decodeValue(ConsumerGroupMetadataValue.self)))
        case 4:
            let k = try ConsumerGroupPartitionMetadataKey.decodeExactly(keyBuffer, version: keyVersion)
            return .consumerGroup(.partitionMetadata(group: k.groupID, try decodeValue(ConsumerGroupPartitionMetadataValue.self)))
        case 5:
            let k = try ConsumerGroupMemberMetadataKey.decodeExactly(keyBuffer, version: keyVersion)
            return .consumerGroup(.memberMetadata(group: k.groupID, memberID: k.memberID, try decodeValue(ConsumerGroupMemberMetadataValue.self)))
        case 6:
            let k = try ConsumerGroupTargetAssignmentMetadataKey.decodeExactly(keyBuffer, version: keyVersion)
            return .consumerGroup(.targetAssignmentMetadata(group: k.groupID, try decodeValue(ConsumerGroupTargetAssignmentMetadataValue.self)))
        case 7:
            let k = try ConsumerGroupTargetAssignmentMemberKey.decodeExactly(keyBuffer, version: keyVersion)
            return .consumerGroup(.targetAssignmentMember(group: k.groupID, memberID: k.memberID, try decodeValue(ConsumerGroupTargetAssignmentMemberValue.self)))
        case 8:
            let k = try ConsumerGroupCurrentMemberAssignmentKey.decodeExactly(keyBuffer, version: keyVersion)
            return .consumerGroup(.currentMemberAssignment(group: k.groupID, memberID: k.memberID, try decodeValue(ConsumerGroupCurrentMemberAssignmentValue.self)))
        default:
            return .unknown(keyVersion: keyVersion)
        }
    }

    func decodeValue<M: KafkaMessage>(_ type: M.Type) throws(ProtocolError) -> M? {
        try value.map { bytes throws(ProtocolError) in try Self.decodeValue(type, bytes) }
    }

    static func decodeValue<M: KafkaMessage>(_: M.Type, _ bytes: [UInt8]) throws(ProtocolError) -> M {
        try M.decodeVersionPrefixed(bytes)
    }

    static func versioned<M: KafkaMessage>(_ message: M, _ version: Int16) -> [UInt8] {
        message.versionPrefixedBytes(version: version)
    }
}
