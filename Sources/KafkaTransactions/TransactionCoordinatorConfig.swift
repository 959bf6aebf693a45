/// The transaction coordinator's settings, with Kafka's names and defaults.
public struct TransactionCoordinatorConfig: Hashable, Sendable {
    /// `transaction.state.log.num.partitions`.
    public var transactionStateLogPartitions: Int32 = 50
    /// `transaction.max.timeout.ms`: the longest `transaction.timeout.ms` a producer may ask for.
    public var maxTimeoutMs: Int32 = 900_000
    /// `transactional.id.expiration.ms`: an id idle (no transaction open) this long is removed.
    public var transactionalIDExpirationMs: Int64 = 604_800_000
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`.
    public var abortTimedOutTransactionsIntervalMs: Int64 = 10_000
    /// `transaction.remove.expired.transaction.cleanup.interval.ms`.
    public var removeExpiredTransactionalIDsIntervalMs: Int64 = 3_600_000
    /// `offsets.topic.num.partitions`: AddOffsetsToTxn adds the group's `__consumer_offsets` partition.
    public var offsetsTopicPartitions: Int32 = 50
    /// How long a marker that failed with a retriable error waits before it is sent again.
    public var markerRetryBackoffMs: Int64 = 100

    public init() {}
}
