import KafkaMetadata

/// A partition's replica sets during a reassignment (KIP-455), as Kafka's `PartitionReassignmentReplicas`
/// keeps them: `replicas` is the target followed by the replicas being removed; `adding` are the target's
/// replicas that were not replicas before, `removing` the old replicas not in the target (both in
/// ascending broker id order). Pure.
///
/// A reassignment is in progress while `adding` or `removing` is non-empty. It is complete once the ISR,
/// without the replicas being removed, is non-empty and holds every replica that stays: the replica set
/// then becomes those that stay, and the ISR loses the removed ones.
public struct ReassignmentReplicas: Hashable, Sendable {
    public var removing: [Int32]
    public var adding: [Int32]
    public var replicas: [Int32]

    public init(removing: [Int32], adding: [Int32], replicas: [Int32]) {
        self.removing = removing
        self.adding = adding
        self.replicas = replicas
    }

    /// The replica sets that take a partition from `current` replicas to `target`.
    public init(current: [Int32], target: [Int32]) {
        removing = Set(current).subtracting(target).sorted()
        adding = Set(target).subtracting(current).sorted()
        replicas = target + removing
    }

    /// The sets a partition registration holds now.
    public init(_ partition: PartitionRegistration) {
        self.init(removing: partition.removingReplicas, adding: partition.addingReplicas, replicas: partition.replicas)
    }

    public var isInProgress: Bool { !removing.isEmpty || !adding.isEmpty }

    /// The replica set and ISR once the reassignment completes with `isr`; nil while it cannot (none is
    /// in progress, a replica that stays is not in the ISR yet, or nothing would remain).
    public func completed(isr: [Int32]) -> (replicas: [Int32], isr: [Int32])? {
        guard isInProgress else { return nil }
        let remainingISR = isr.filter { !removing.contains($0) }
        let remainingReplicas = replicas.filter { !removing.contains($0) }
        guard !remainingISR.isEmpty, !remainingReplicas.isEmpty,
              remainingReplicas.allSatisfy(remainingISR.contains) else { return nil }
        return (remainingReplicas, remainingISR)
    }

    /// The replicas before the reassignment began: every replica but those being added.
    public var originalReplicas: [Int32] { replicas.filter { !adding.contains($0) } }
}

/// What cancelling a reassignment goes back to (Kafka's `PartitionReassignmentRevert`): the original
/// replicas, and the ISR without the replicas being added. Should that leave the ISR empty (only added
/// replicas were in sync), the first original replica becomes the ISR, which is an unclean election:
/// `unclean` says so, and the caller allows it only where unclean leader election is enabled.
public struct ReassignmentRevert: Hashable, Sendable {
    public var replicas: [Int32]
    public var isr: [Int32]
    public var unclean: Bool

    /// Nil when the original replica set would be empty (every replica is being added), which a
    /// registration made by the controller never holds.
    public init?(_ partition: PartitionRegistration) {
        let ongoing = ReassignmentReplicas(partition)
        replicas = ongoing.originalReplicas
        isr = partition.isr.filter { !ongoing.adding.contains($0) }
        unclean = isr.isEmpty
        if unclean {
            guard let first = replicas.first else { return nil }
            isr = [first]
        }
    }
}
