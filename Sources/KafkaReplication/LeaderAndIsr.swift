/// A partition's leadership and ISR as the controller committed them: what a partition registration in
/// the metadata image says, and what a successful AlterPartition returns (Kafka's `LeaderAndIsr`).
///
/// Invariant (the controller's): `partitionEpoch` rises with every change to the registration and
/// `leaderEpoch` with every change of leader; `isr` is a subset of `replicas` and holds the leader.
public struct LeaderAndIsr: Hashable, Sendable, CustomStringConvertible {
    public var leader: Int32
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    public var isr: [Int32]
    /// The assigned replicas, in assignment order. Empty in an AlterPartition answer (unchanged then).
    public var replicas: [Int32]

    public init(leader: Int32, leaderEpoch: Int32, partitionEpoch: Int32, isr: [Int32], replicas: [Int32] = []) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.isr = isr
        self.replicas = replicas
    }

    public var description: String {
        "LeaderAndIsr(leader \(leader), leaderEpoch \(leaderEpoch), partitionEpoch \(partitionEpoch), isr \(isr))"
    }
}

/// One ISR member of an AlterPartition request with the broker epoch the leader saw it fetch with
/// (Kafka's `BrokerState`); -1 when the leader has not seen a fetch from it in this leadership.
public struct BrokerState: Hashable, Sendable {
    public var brokerId: Int32
    public var brokerEpoch: Int64

    public init(brokerId: Int32, brokerEpoch: Int64) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
    }
}

/// What the leader's metadata image says of a follower's broker: the facts behind Kafka's
/// `isReplicaIsrEligible` (KRaft mode).
///
/// Invariant: a replica may join the ISR (or hold back the high watermark while out of it) only when its
/// broker is registered and alive (`aliveBrokerEpoch` set), not fenced, not in controlled shutdown, and
/// the broker epoch of its latest fetch is -1 or equals `aliveBrokerEpoch`.
public struct FollowerBrokerStatus: Hashable, Sendable {
    /// The broker epoch of the broker's live registration; nil when it has none.
    public var aliveBrokerEpoch: Int64?
    public var isFenced: Bool
    public var isShuttingDown: Bool

    public init(aliveBrokerEpoch: Int64?, isFenced: Bool = false, isShuttingDown: Bool = false) {
        self.aliveBrokerEpoch = aliveBrokerEpoch
        self.isFenced = isFenced
        self.isShuttingDown = isShuttingDown
    }

    /// A live, unfenced broker with this epoch.
    public static func alive(brokerEpoch: Int64) -> FollowerBrokerStatus {
        FollowerBrokerStatus(aliveBrokerEpoch: brokerEpoch)
    }

    /// Kafka's `isReplicaIsrEligible` given the broker epoch stored from the replica's latest fetch.
    public func isIsrEligible(fetchBrokerEpoch: Int64?) -> Bool {
        guard !isFenced, !isShuttingDown, let fetchBrokerEpoch, let aliveBrokerEpoch else { return false }
        return fetchBrokerEpoch == -1 || fetchBrokerEpoch == aliveBrokerEpoch
    }
}
