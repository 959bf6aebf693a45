/// The leader's view of one partition it leads (the leader half of Kafka's `Partition`): the committed
/// ISR and partition epoch, the leader epoch and the offset it started at, each follower's fetch progress,
/// the leader's log end offset and the high watermark, and at most one in-flight ISR change.
///
/// Invariants:
/// - `highWatermark` only rises within a leadership and never exceeds `logEndOffset`; it stays below
///   the log end offset of every member of the maximal ISR, and of every eligible replica caught up within
///   `replicaLagTimeMaxMs`, and does not move at all while the committed ISR is below min.insync.replicas.
/// - At most one AlterPartition proposal is pending (`pendingIsrChange`); a new one is proposed only
///   from a committed state.
/// - A follower joins the ISR only with a log end offset at or past both the high watermark and
///   `leaderEpochStartOffset`.
///
/// It is pure: every input carries `now` (ms) where time matters, and each returns the actions for the
/// shell ([`PartitionLeaderAction`]). Reads of the log are the shell's; it reports appends here.
public struct PartitionLeaderState: Hashable, Sendable {
    public let localBrokerId: Int32
    public internal(set) var localBrokerEpoch: Int64
    /// The assigned replicas, in assignment order (the leader among them).
    public internal(set) var replicas: [Int32]
    public internal(set) var leaderEpoch: Int32
    /// The leader's log end offset when it started `leaderEpoch`.
    public internal(set) var leaderEpochStartOffset: Int64
    /// The partition epoch of the registration (or AlterPartition answer) last applied.
    public internal(set) var partitionEpoch: Int32
    /// The ISR the controller committed.
    public internal(set) var isr: Set<Int32>
    public internal(set) var pendingIsrChange: PendingIsrChange?
    /// Every assigned replica but the leader.
    public internal(set) var followers: [Int32: ReplicaState]
    public internal(set) var logEndOffset: Int64
    public internal(set) var highWatermark: Int64
    /// The topic's `min.insync.replicas`, for the high watermark rule (the produce checks take theirs).
    public var minInsyncReplicas: Int
    /// `replica.lag.time.max.ms`.
    public var replicaLagTimeMaxMs: Int64

    /// Becomes the leader of a partition it did not lead before (Kafka's `makeLeader` for a new leader):
    /// the leader epoch starts at `logEndOffset`; followers' progress is unknown, those in the ISR count
    /// as caught up `now`. The high watermark may rise at once (a lone ISR member): read `highWatermark`.
    /// - Parameter brokerStatus: the metadata image's view of each follower's broker.
    public init(
        localBrokerId: Int32, localBrokerEpoch: Int64, registration: LeaderAndIsr, logEndOffset: Int64,
        highWatermark: Int64, now: Int64, minInsyncReplicas: Int, replicaLagTimeMaxMs: Int64 = 30_000,
        brokerStatus: [Int32: FollowerBrokerStatus] = [:]
    ) {
        precondition(registration.leader == localBrokerId, "not the leader in \(registration)")
        self.localBrokerId = localBrokerId
        self.localBrokerEpoch = localBrokerEpoch
        self.replicas = registration.replicas
        self.leaderEpoch = registration.leaderEpoch
        self.leaderEpochStartOffset = logEndOffset
        self.partitionEpoch = registration.partitionEpoch
        self.isr = Set(registration.isr)
        self.logEndOffset = logEndOffset
        self.highWatermark = min(highWatermark, logEndOffset)
        self.minInsyncReplicas = minInsyncReplicas
        self.replicaLagTimeMaxMs = replicaLagTimeMaxMs
        var followers: [Int32: ReplicaState] = [:]
        for id in registration.replicas where id != localBrokerId {
            var state = ReplicaState.newLeader(now: now, isInSync: registration.isr.contains(id))
            state.brokerStatus = brokerStatus[id] ?? state.brokerStatus
            followers[id] = state
        }
        self.followers = followers
        _ = maybeIncrementHighWatermark(now: now)
    }

    /// The ISR the high watermark and acks=all count: the committed ISR plus a pending addition.
    public var maximalIsr: Set<Int32> {
        if let pendingIsrChange, case .expand(let id) = pendingIsrChange.kind { return isr.union([id]) }
        return isr
    }

    /// Whether an AlterPartition is pending (sent, or failed awaiting metadata): no new ISR change until
    /// it resolves.
    public var isIsrChangeInFlight: Bool { pendingIsrChange != nil }

    /// min.insync.replicas capped at the replication factor (Kafka's `effectiveMinIsr`).
    func effectiveMinIsr(_ minInsyncReplicas: Int) -> Int {
        min(minInsyncReplicas, followers.count + 1)
    }

    /// Whether the committed ISR is below the effective min.insync.replicas (Kafka's `isUnderMinIsr`).
    public var isUnderMinIsr: Bool { isr.count < effectiveMinIsr(minInsyncReplicas) }

    /// The broker's epoch changed (it re-registered); later proposals carry the new one.
    public mutating func localBrokerEpochChanged(to epoch: Int64) {
        localBrokerEpoch = epoch
    }
}

/// What the leader asks the shell to do, in order.
public enum PartitionLeaderAction: Hashable, Sendable {
    /// The high watermark rose to this offset: complete delayed produces (acks=all) and fetches waiting on it.
    case highWatermarkAdvanced(to: Int64)
    /// Send this AlterPartition to the controller (again, after a retriable error) and report the answer
    /// with `alterPartitionAnswered`.
    case sendAlterPartition(AlterPartitionProposal)
    /// Still the leader, in a new leader epoch: record `(leaderEpoch, startOffset)` in the leader epoch cache.
    case leaderEpochStarted(leaderEpoch: Int32, startOffset: Int64)
    /// No longer the leader (a newer registration names another leader, or none): drop this state and
    /// become a follower of `leader` in `leaderEpoch`.
    case resigned(leader: Int32, leaderEpoch: Int32)
}
