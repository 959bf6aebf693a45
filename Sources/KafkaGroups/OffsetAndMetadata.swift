import KafkaProtocol

/// A committed offset, as `OffsetCommitValue` stores it.
///
/// `expireTimestamp` is set only by OffsetCommit v2-v4 with an explicit retention time (and is then
/// written as value v1); such an offset expires at that time. Otherwise the offset expires
/// `offsets.retention.minutes` after a base time: when its group became Empty, or its commit timestamp.
public struct OffsetAndMetadata: Hashable, Sendable {
    public var offset: Int64
    /// The leader epoch the consumer saw, if it sent one (v6+).
    public var leaderEpoch: Int32?
    public var metadata: String
    public var commitTimestamp: Int64
    public var expireTimestamp: Int64?

    public init(offset: Int64, leaderEpoch: Int32? = nil, metadata: String = "", commitTimestamp: Int64, expireTimestamp: Int64? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }

    /// Kafka's `OffsetAndMetadata.fromRecord`.
    public init(_ value: OffsetCommitValue) {
        self.init(
            offset: value.offset, leaderEpoch: value.leaderEpoch == -1 ? nil : value.leaderEpoch,
            metadata: value.metadata, commitTimestamp: value.commitTimestamp,
            expireTimestamp: value.expireTimestamp == -1 ? nil : value.expireTimestamp)
    }

    var recordValue: OffsetCommitValue {
        OffsetCommitValue(
            offset: offset, leaderEpoch: leaderEpoch ?? -1, metadata: metadata,
            commitTimestamp: commitTimestamp, expireTimestamp: expireTimestamp ?? -1)
    }

    /// Kafka 3.9's `offsetCommitValueVersion(expireTimestamp present)`: v1 keeps the expire timestamp.
    var recordValueVersion: Int16 { expireTimestamp == nil ? 3 : 1 }

    /// Kafka's `OffsetExpirationConditionImpl.isOffsetExpired`.
    func isExpired(now: Int64, baseTimestamp: Int64, retentionMs: Int64) -> Bool {
        if let expireTimestamp { return now >= expireTimestamp }
        // The base may be a client's commit timestamp (OffsetCommit v1): any Int64, so no trapping arithmetic.
        let (age, overflow) = now.subtractingReportingOverflow(baseTimestamp)
        return overflow ? baseTimestamp < 0 : age >= retentionMs
    }
}
