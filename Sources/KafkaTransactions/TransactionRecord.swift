import KafkaProtocol

/// One `__transaction_state` record: key `TransactionLogKey` v0 (the transactional id) and value
/// `TransactionLogValue` (v1, flexible, as Kafka 3.x and 4.x write it), each prefixed by its int16
/// version. A nil value is the tombstone of an expired transactional id.
///
/// The value lists partitions only while a transaction is open; an Empty transaction writes null.
/// Kafka 4.0's tagged fields are written when they are not their defaults: the producer id before a
/// rotation (tag 0), the one a transaction version 2 end rotates to (tag 1; Kafka 4.0 keeps both in
/// memory only, so a coordinator that takes over mid-rotation would lose them), and the producer's
/// transaction version (tag 2). Readers that predate them skip them. The last epoch is not written.
public struct TransactionRecord: Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]?

    public static let keyVersion: Int16 = 0
    public static let valueVersion: Int16 = 1

    public init(key: [UInt8], value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// The record for a transition of `transactionalID` (a tombstone for Dead).
    public init(transactionalID: String, _ t: TransactionMetadata.Transition) {
        key = TransactionLogKey(transactionalID: transactionalID).versionPrefixedBytes(version: Self.keyVersion)
        guard t.state != .dead else {
            value = nil
            return
        }
        var v = TransactionLogValue()
        v.producerID = t.producerID
        v.producerEpoch = t.producerEpoch
        v.transactionTimeoutMs = t.timeoutMs
        v.transactionStatus = t.state.rawValue
        v.transactionPartitions = t.state == .empty ? nil : Dictionary(grouping: t.partitions, by: \.topic)
            .sorted { $0.key < $1.key }
            .map { TransactionLogValue.PartitionsSchema(topic: $0.key, partitionIDs: $0.value.map(\.partition).sorted()) }
        v.transactionLastUpdateTimestampMs = t.lastUpdateTimestamp
        v.transactionStartTimestampMs = t.startTimestamp
        v.previousProducerID = t.previousProducerID
        v.nextProducerID = t.nextProducerID
        v.clientTransactionVersion = t.clientTransactionVersion
        value = v.versionPrefixedBytes(version: Self.valueVersion)
    }

    /// What a loader reads: the transactional id and its state, or nil for a tombstone.
    public struct Decoded: Hashable, Sendable {
        public var transactionalID: String
        public var value: TransactionLogValue?
    }

    public func decode() throws(ProtocolError) -> Decoded {
        let k = try TransactionLogKey.decodeVersionPrefixed(key)
        return Decoded(transactionalID: k.transactionalID, value: try value.map { bytes throws(ProtocolError) in
            try TransactionLogValue.decodeVersionPrefixed(bytes)
        })
    }
}
