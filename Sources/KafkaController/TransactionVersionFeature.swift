/// Kafka's `transaction.version` feature: 0 is the original transaction protocol, 1 writes flexible
/// `__transaction_state` values, 2 is KIP-890 part 2 (every end of a transaction bumps the producer's
/// epoch and partition leaders add partitions to transactions). Strom serves all three and finalizes
/// 2, as `kafka-storage format` does for a Kafka 4.0 cluster, at the first broker registration that
/// finds it unset (`BrokerLifecycle.register`). Clients read the finalized level from ApiVersions to
/// choose EndTxn v5, Produce v12 and TxnOffsetCommit v5; the broker follows the version of each
/// request, as Kafka's does.
public enum TransactionVersionFeature {
    public static let featureName = "transaction.version"
    public static let supportedLevels: ClosedRange<Int16> = 0...2
    public static let finalizedLevel: Int16 = 2
}
