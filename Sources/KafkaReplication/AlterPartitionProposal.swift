/// An AlterPartition request the leader wants sent for its partition: the full new ISR with broker epochs,
/// based on the partition epoch and leader epoch the leader holds.
///
/// Invariant: the controller applies it only if `partitionEpoch` and `leaderEpoch` still match its
/// registration, so a proposal built on stale state can never overwrite a newer ISR.
public struct AlterPartitionProposal: Hashable, Sendable, CustomStringConvertible {
    public var leader: Int32
    public var leaderEpoch: Int32
    /// The partition epoch this proposal is based on (the controller rejects it with INVALID_UPDATE_VERSION
    /// if its registration moved on).
    public var partitionEpoch: Int32
    /// The proposed ISR, by broker id, each with its broker epoch.
    public var newIsrWithEpochs: [BrokerState]

    public init(leader: Int32, leaderEpoch: Int32, partitionEpoch: Int32, newIsrWithEpochs: [BrokerState]) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.newIsrWithEpochs = newIsrWithEpochs
    }

    /// The proposed ISR's broker ids.
    public var newIsr: [Int32] { newIsrWithEpochs.map(\.brokerId) }

    public var description: String {
        "AlterPartition(leader \(leader), leaderEpoch \(leaderEpoch), partitionEpoch \(partitionEpoch), isr \(newIsr))"
    }
}

/// The ISR change a leader has proposed and not yet seen committed (Kafka's `PendingExpandIsr` and
/// `PendingShrinkIsr`).
///
/// Invariant: while one exists no other ISR change is proposed; an expansion counts its new member in the
/// maximal ISR at once (stricter for the high watermark, so safe if it fails), a shrink does not (the
/// high watermark must not advance on a removal the controller may refuse).
public struct PendingIsrChange: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case expand(newInSyncReplica: Int32)
        case shrink(outOfSyncReplicas: Set<Int32>)
    }

    /// Whether the proposal is (or should be) on its way, or failed in a way only new metadata resolves.
    public enum Status: Hashable, Sendable {
        case inFlight
        case awaitingMetadata
    }

    public var kind: Kind
    public var proposal: AlterPartitionProposal
    public var status: Status
}
