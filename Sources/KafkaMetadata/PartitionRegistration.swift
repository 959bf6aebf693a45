import KafkaProtocol

/// One partition's replica assignment and leadership, as the controller last recorded it.
///
/// Invariant: `leaderEpoch` rises whenever `leader` changes; `partitionEpoch` rises with every change.
/// `elr` and `isr` are disjoint (KIP-966: the ELR holds replicas that left an ISR below
/// min.insync.replicas, and so still hold every committed record).
public struct PartitionRegistration: Hashable, Sendable {
    public var replicas: [Int32]
    public var isr: [Int32]
    /// KIP-966's eligible leader replicas: replicas that left the ISR while it was below
    /// min.insync.replicas (the high watermark could not move since), electable when the ISR is empty.
    public var elr: [Int32]
    /// KIP-966's last known ELR: as Kafka keeps it, the last leader before the partition lost its leader
    /// (electable, marking the election unclean, when the ISR and the ELR are both empty).
    public var lastKnownElr: [Int32]
    public var removingReplicas: [Int32]
    public var addingReplicas: [Int32]
    /// The leader's broker id, or -1 when the partition has none.
    public var leader: Int32
    public var leaderRecoveryState: Int8
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    public var directories: [KafkaUUID]

    public init(
        replicas: [Int32], isr: [Int32], leader: Int32, leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0,
        removingReplicas: [Int32] = [], addingReplicas: [Int32] = [], leaderRecoveryState: Int8 = 0, directories: [KafkaUUID] = [],
        elr: [Int32] = [], lastKnownElr: [Int32] = []
    ) {
        self.replicas = replicas
        self.isr = isr
        self.elr = elr
        self.lastKnownElr = lastKnownElr
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.removingReplicas = removingReplicas
        self.addingReplicas = addingReplicas
        self.leaderRecoveryState = leaderRecoveryState
        self.directories = directories
    }

    public init(_ record: PartitionRecord) {
        self.init(
            replicas: record.replicas, isr: record.isr, leader: record.leader, leaderEpoch: record.leaderEpoch,
            partitionEpoch: record.partitionEpoch, removingReplicas: record.removingReplicas,
            addingReplicas: record.addingReplicas, leaderRecoveryState: record.leaderRecoveryState,
            directories: record.directories, elr: record.eligibleLeaderReplicas ?? [], lastKnownElr: record.lastKnownElr ?? []
        )
    }

    /// The record that creates this registration for `topicID`/`partition`; empty ELR lists stay null.
    public func record(topicID: KafkaUUID, partition: Int32) -> PartitionRecord {
        PartitionRecord(
            partitionID: partition, topicID: topicID, replicas: replicas, isr: isr, removingReplicas: removingReplicas,
            addingReplicas: addingReplicas, leader: leader, leaderRecoveryState: leaderRecoveryState,
            leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, directories: directories,
            eligibleLeaderReplicas: elr.isEmpty ? nil : elr, lastKnownElr: lastKnownElr.isEmpty ? nil : lastKnownElr
        )
    }

    /// This registration with a change applied. Fields the change leaves at their "no change"
    /// defaults (null lists, ELR ones included, leader -2, recovery state -1) keep their values; a new leader bumps the
    /// leader epoch; every change bumps the partition epoch.
    public func applying(_ change: PartitionChangeRecord) -> PartitionRegistration {
        var next = self
        if let isr = change.isr { next.isr = isr }
        if let replicas = change.replicas { next.replicas = replicas }
        if let removing = change.removingReplicas { next.removingReplicas = removing }
        if let adding = change.addingReplicas { next.addingReplicas = adding }
        if let directories = change.directories { next.directories = directories }
        if let elr = change.eligibleLeaderReplicas { next.elr = elr }
        if let lastKnownElr = change.lastKnownElr { next.lastKnownElr = lastKnownElr }
        if change.leaderRecoveryState != -1 { next.leaderRecoveryState = change.leaderRecoveryState }
        if change.leader != -2 {
            next.leader = change.leader
            next.leaderEpoch += 1
        }
        next.partitionEpoch += 1
        return next
    }

    public var hasLeader: Bool { leader >= 0 }

    /// The preferred replica (the first one) leads.
    public var hasPreferredLeader: Bool { leader >= 0 && leader == replicas.first }
}

/// Kafka's `LeaderRecoveryState` values: a leader elected uncleanly is RECOVERING until its ISR grows
/// beyond itself, then RECOVERED. In a PartitionChangeRecord, -1 leaves the state as it is.
public enum LeaderRecoveryState {
    public static let recovered: Int8 = 0
    public static let recovering: Int8 = 1
    public static let noChange: Int8 = -1
}
