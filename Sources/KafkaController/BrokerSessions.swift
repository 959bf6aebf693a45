import KafkaMetadata

/// What the active controller remembers of each broker between heartbeats (Kafka's
/// `BrokerHeartbeatManager`): when it last heartbeated, the metadata offset it reported, and, for a broker
/// in controlled shutdown, the offset of the records that moved its leaderships away. A new active
/// controller starts every known broker's session afresh (`reset`), as Kafka's does, so a failover
/// fences no one by itself.
public struct BrokerSessions: Sendable {
    public private(set) var lastContact: [Int32: Int64] = [:]
    /// The metadata offset each broker last reported replaying.
    public private(set) var metadataOffsets: [Int32: Int64] = [:]
    /// For brokers in controlled shutdown: the offset they entered it at.
    public private(set) var controlledShutdownOffsets: [Int32: Int64] = [:]

    public init() {}

    public mutating func reset(brokers: some Sequence<Int32>, now: Int64) {
        lastContact = Dictionary(brokers.map { ($0, now) }, uniquingKeysWith: { a, _ in a })
        metadataOffsets = [:]
        controlledShutdownOffsets = [:]
    }

    public mutating func touch(_ broker: Int32, now: Int64, metadataOffset: Int64? = nil) {
        lastContact[broker] = now
        if let metadataOffset { metadataOffsets[broker] = metadataOffset }
    }

    /// Drops what is remembered of `broker` (unregistered: Kafka's `BrokerHeartbeatManager.remove`).
    public mutating func forget(_ broker: Int32) {
        lastContact[broker] = nil
        metadataOffsets[broker] = nil
        controlledShutdownOffsets[broker] = nil
    }

    /// Keeps the controlled-shutdown offset of `broker` in step with `image`: the first `offset` seen
    /// while the image shows it in controlled shutdown (and unfenced), none otherwise.
    public mutating func track(_ broker: Int32, image: MetadataImage, offset: Int64) {
        if let b = image.brokers[broker], b.inControlledShutdown, !b.fenced {
            if controlledShutdownOffsets[broker] == nil { controlledShutdownOffsets[broker] = offset }
        } else {
            controlledShutdownOffsets[broker] = nil
        }
    }

    /// The lowest metadata offset reported by the brokers that are unfenced and not shutting down
    /// (one not heard from since `reset` counts as -1); `Int64.max` when there are none. A broker in
    /// controlled shutdown stops once this reaches its controlled-shutdown offset, so every other broker
    /// knows of the leaderships it handed over.
    public func lowestActiveOffset(image: MetadataImage) -> Int64 {
        image.brokers.keys.filter { image.isAcceptableLeader($0) }.map { metadataOffsets[$0] ?? -1 }.min() ?? .max
    }

    /// Unfenced brokers whose last contact is older than `sessionTimeoutMs`.
    public func expired(image: MetadataImage, now: Int64, sessionTimeoutMs: Int64) -> [BrokerRegistration] {
        image.brokers.values.filter { b in
            !b.fenced && now - (lastContact[b.id] ?? now) > sessionTimeoutMs
        }.sorted { $0.id < $1.id }
    }
}
