import KafkaMetadata
import KafkaProtocol

/// Kafka's `PartitionChangeBuilder`: from a partition's registration, the ISR wanted for it, the kind
/// of election and the leader recovery state wanted, the PartitionChangeRecord that gets there, or nil
/// when nothing would change. Pure.
///
/// The rules, as Kafka's controller applies them (4.x, with eligible leader replicas when
/// `eligibleLeaderReplicasEnabled`; see `PartitionChangeBuilder+ELR.swift` for KIP-966's part):
/// - Election. A valid leader is a replica in the target ISR, or in the target ELR when the target ISR
///   is empty, that `isAcceptableLeader` accepts. `.online` (and `.unclean`) keeps the current leader
///   while it is valid, else takes the first valid replica in replica order. `.preferred` tries the
///   first replica before the current leader, then the others. With the ELR on, when nothing is valid,
///   the last known leader (`lastKnownElr`, one member) is elected if acceptable, as an unclean election.
///   `.unclean`, when still nothing is, takes the first acceptable replica outside the ISR. An unclean
///   election makes the ISR that replica alone, the ELR empty, and the leader recovery state RECOVERING.
///   A leader from the ELR becomes the ISR's only member and leaves the ELR. Otherwise there is no
///   leader (-1).
/// - The record sets `leader` only when the leader changes, so the leader epoch rises exactly then
///   (`PartitionRegistration.applying`); an ISR change alone bumps only the partition epoch.
/// - Without the ELR the ISR is never made empty: an empty target leaves it as it is, so its last member
///   stays (the replica known to hold every committed record, elected again when it comes back). With
///   the ELR the ISR may empty: its members went to the ELR.
/// - Reassignment (KIP-455). The target replica set and adding/removing replicas default to the
///   partition's. Before the election, a reassignment in progress completes when the target ISR allows
///   it (`ReassignmentReplicas.completed`): the replicas being removed leave the replica set and the ISR,
///   and the adding/removing lists empty. Elections choose among the target replicas, so a leader that
///   was removed is replaced. When replicas leave the set and the leader stays, the record still sets
///   `leader` (to the same broker), so the leader epoch rises: the removed replicas' fetches are fenced.
public struct PartitionChangeBuilder {
    public enum Election: Sendable, Hashable {
        /// Elect the first replica if it is valid, else keep the partition online from the ISR.
        case preferred
        /// Keep the partition online from the ISR.
        case online
        /// As `.online`, and when no ISR member can lead, any acceptable replica (records may be lost).
        case unclean
    }

    public let partition: PartitionRegistration
    public let topicID: KafkaUUID
    public let partitionID: Int32
    /// Whether a broker may lead (registered, unfenced, not in controlled shutdown, …).
    public let isAcceptableLeader: (Int32) -> Bool
    /// The ISR wanted; the current one unless set.
    public var targetISR: [Int32]
    /// The replica set wanted; the current one unless set.
    public var targetReplicas: [Int32]
    /// The replicas being removed by a reassignment; the current ones unless set.
    public var targetRemoving: [Int32]
    /// The replicas being added by a reassignment; the current ones unless set.
    public var targetAdding: [Int32]
    public var election: Election = .online
    /// The leader recovery state wanted; the current one unless set.
    public var targetLeaderRecoveryState: Int8
    /// Whether the controller keeps KIP-966's eligible leader replicas (`EligibleLeaderReplicas.isEnabled`).
    public var eligibleLeaderReplicasEnabled = false
    /// The partition's effective min.insync.replicas, which the ELR follows; nil for a change that keeps
    /// the ISR (an election among its members or the ELR's): then the ELR is not recomputed.
    public var minISR: Int?
    /// The ELR wanted; the current one unless set (the rules of `PartitionChangeBuilder+ELR.swift` apply).
    public var targetELR: [Int32]
    /// Brokers back from an unclean shutdown: never ELR members (their logs may miss committed records).
    public var uncleanShutdownReplicas: [Int32] = []

    public init(partition: PartitionRegistration, topicID: KafkaUUID, partitionID: Int32,
                isAcceptableLeader: @escaping (Int32) -> Bool) {
        self.partition = partition
        self.topicID = topicID
        self.partitionID = partitionID
        self.isAcceptableLeader = isAcceptableLeader
        targetISR = partition.isr
        targetReplicas = partition.replicas
        targetRemoving = partition.removingReplicas
        targetAdding = partition.addingReplicas
        targetLeaderRecoveryState = partition.leaderRecoveryState
        targetELR = partition.elr
    }

    /// The leader the election chooses (-1 for none) and whether the choice was unclean.
    public func electLeader() -> (leader: Int32, unclean: Bool) {
        let replicas = targetReplicas
        if election == .preferred, let preferred = replicas.first, isValidLeader(preferred) {
            return (preferred, false)
        }
        if isValidLeader(partition.leader) { return (partition.leader, false) }
        if let online = replicas.first(where: isValidLeader) { return (online, false) }
        if let lastKnown = electableLastKnownLeader { return (lastKnown, true) }
        if election == .unclean, let any = replicas.first(where: isAcceptableLeader) {
            return (any, true)
        }
        return (-1, false)
    }

    /// A target ISR member, or (the target ISR empty) a target ELR member, that may lead.
    func isValidLeader(_ replica: Int32) -> Bool {
        let eligible = targetISR.contains(replica) || (eligibleLeaderReplicasEnabled && targetISR.isEmpty && targetELR.contains(replica))
        return eligible && isAcceptableLeader(replica)
    }

    /// The change, or nil when the partition would stay as it is.
    public func build() -> PartitionChangeRecord? {
        var target = self
        target.completeReassignmentIfPossible()
        target.populateTargetELR()
        return target.record()
    }

    /// Takes the completed replica set and ISR when the target ISR completes a reassignment in progress.
    mutating func completeReassignmentIfPossible() {
        let ongoing = ReassignmentReplicas(removing: targetRemoving, adding: targetAdding, replicas: targetReplicas)
        guard let completed = ongoing.completed(isr: targetISR) else { return }
        targetISR = completed.isr
        targetReplicas = completed.replicas
        targetRemoving = []
        targetAdding = []
    }

    private mutating func record() -> PartitionChangeRecord? {
        var record = PartitionChangeRecord()
        record.topicID = topicID
        record.partitionID = partitionID
        let (leader, unclean) = electLeader()
        if leader != partition.leader {
            record.leader = leader
            if eligibleLeaderReplicasEnabled, targetELR.contains(leader) {
                // Elected from the ELR: it holds every committed record, and alone is the ISR.
                targetISR = [leader]
                targetELR.removeAll { $0 == leader }
            }
            if unclean {
                // Only the new leader's log is known; it recovers before others may join.
                record.isr = [leader]
                if partition.leaderRecoveryState != LeaderRecoveryState.recovering {
                    record.leaderRecoveryState = LeaderRecoveryState.recovering
                }
            }
        }
        if record.leader == -2, !Set(targetReplicas).isSuperset(of: partition.replicas) {
            // Replicas leave the set under the same leader: a new leader epoch all the same.
            record.leader = partition.leader
        }
        recordELR(&record)
        if record.isr == nil, !targetISR.isEmpty || eligibleLeaderReplicasEnabled, targetISR != partition.isr {
            record.isr = targetISR
        }
        recordLastKnownLeader(&record)
        if !targetReplicas.isEmpty, targetReplicas != partition.replicas {
            record.replicas = targetReplicas
        }
        if targetRemoving != partition.removingReplicas {
            record.removingReplicas = targetRemoving
        }
        if targetAdding != partition.addingReplicas {
            record.addingReplicas = targetAdding
        }
        if targetLeaderRecoveryState != partition.leaderRecoveryState {
            record.leaderRecoveryState = targetLeaderRecoveryState
        }
        return record == PartitionChangeRecord(partitionID: partitionID, topicID: topicID) ? nil : record
    }
}
