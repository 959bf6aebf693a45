/// The broker settings the group coordinator reads, with Kafka 3.9's defaults.
///
/// Times are milliseconds. Names follow `server.properties` (`group.min.session.timeout.ms` is
/// `minSessionTimeoutMs`), so the shell can fill this from its parsed configuration.
public struct GroupCoordinatorConfig: Hashable, Sendable {
    /// `group.min.session.timeout.ms`: a JoinGroup with a shorter session timeout gets INVALID_SESSION_TIMEOUT.
    public var minSessionTimeoutMs: Int32 = 6_000
    /// `group.max.session.timeout.ms`: a JoinGroup with a longer session timeout gets INVALID_SESSION_TIMEOUT.
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an Empty group waits for more members.
    public var initialRebalanceDelayMs: Int32 = 3_000
    /// `group.max.size`: members beyond this get GROUP_MAX_SIZE_REACHED.
    public var maxGroupSize: Int32 = .max
    /// How long a new member's JoinGroup may stay parked before the member is dropped (Kafka's
    /// `CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS`, five minutes, not configurable there).
    public var newMemberJoinTimeoutMs: Int32 = 300_000
    /// `offsets.retention.minutes` in milliseconds (7 days).
    public var offsetsRetentionMs: Int64 = 7 * 24 * 60 * 60 * 1000
    /// `offsets.retention.check.interval.ms`: how often the shell should call `expireOffsets(now:)`.
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offset.metadata.max.bytes`: longer commit metadata gets OFFSET_METADATA_TOO_LARGE (counted, as Kafka
    /// does, in UTF-16 code units).
    public var offsetMetadataMaxSize: Int = 4096
    /// `offsets.topic.num.partitions`: the partition count of `__consumer_offsets`.
    public var offsetsTopicPartitions: Int32 = 50

    /// `group.consumer.session.timeout.ms`: a consumer-protocol member not heard from for this long is fenced.
    public var consumerSessionTimeoutMs: Int32 = 45_000
    /// `group.consumer.heartbeat.interval.ms`: how often consumer-protocol members are told to heartbeat.
    public var consumerHeartbeatIntervalMs: Int32 = 5_000
    /// `group.consumer.max.size`: a consumer group's member limit (GROUP_MAX_SIZE_REACHED beyond it).
    public var consumerMaxGroupSize: Int32 = .max

    public init() {}
}
