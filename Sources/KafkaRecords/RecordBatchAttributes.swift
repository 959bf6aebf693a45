/// Whether a batch's timestamps are the producer's (CreateTime) or the broker's (LogAppendTime):
/// attributes bit 3.
public enum TimestampType: Int8, Hashable, Sendable {
    case createTime = 0
    case logAppendTime = 1
}

/// A v2 batch's int16 attributes: bits 0-2 compression codec, bit 3 timestamp type (1 = LogAppendTime),
/// bit 4 transactional, bit 5 control, bit 6 has delete horizon (baseTimestamp is then the delete horizon).
/// Other bits are unused and kept as they came.
public struct RecordBatchAttributes: Hashable, Sendable {
    public let rawValue: Int16

    static let codecMask: Int16 = 0x07
    static let timestampTypeBit: Int16 = 0x08
    static let transactionalBit: Int16 = 0x10
    static let controlBit: Int16 = 0x20
    static let deleteHorizonBit: Int16 = 0x40

    /// Nil when bits 0-2 name no codec (5, 6, 7).
    public init?(rawValue: Int16) {
        guard CompressionCodec(rawValue: Int8(rawValue & Self.codecMask)) != nil else { return nil }
        self.rawValue = rawValue
    }

    public init(
        compression: CompressionCodec = .none,
        timestampType: TimestampType = .createTime,
        isTransactional: Bool = false,
        isControl: Bool = false,
        hasDeleteHorizon: Bool = false
    ) {
        var raw = Int16(compression.rawValue)
        if timestampType == .logAppendTime { raw |= Self.timestampTypeBit }
        if isTransactional { raw |= Self.transactionalBit }
        if isControl { raw |= Self.controlBit }
        if hasDeleteHorizon { raw |= Self.deleteHorizonBit }
        self.rawValue = raw
    }

    public var compression: CompressionCodec { CompressionCodec(rawValue: Int8(rawValue & Self.codecMask)) ?? .none }
    public var timestampType: TimestampType { rawValue & Self.timestampTypeBit != 0 ? .logAppendTime : .createTime }
    public var isTransactional: Bool { rawValue & Self.transactionalBit != 0 }
    public var isControl: Bool { rawValue & Self.controlBit != 0 }
    public var hasDeleteHorizon: Bool { rawValue & Self.deleteHorizonBit != 0 }

    /// The same attributes with the timestamp type replaced.
    public func with(timestampType: TimestampType) -> RecordBatchAttributes {
        let cleared = rawValue & ~Self.timestampTypeBit
        return RecordBatchAttributes(unchecked: timestampType == .logAppendTime ? cleared | Self.timestampTypeBit : cleared)
    }

    init(unchecked rawValue: Int16) { self.rawValue = rawValue }
}
