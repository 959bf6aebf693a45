import KafkaMetadata
import KafkaProtocol

/// Kafka's `PartitionChangeBuilder`: from a partition's registration, the ISR wanted for it, the kind
/// of election and the leader recovery state wanted, the PartitionChangeRecord that gets there, or nil
/// when nothing would change. Pure.
///
/// The rules, as Kafka's controller applies them at metadata.version 3.9-IV0 without eligible leader
/// replicas (KIP-966, not implemented):
/// - Election. A valid leader is a replica in the target ISR that `isAcceptableLeader` accepts.
///   `.online` (and `.unclean`) keeps the current leader while it is valid, else takes the first valid
///   replica in replica order. `.preferred` tries the first replica before the current leader, then
///   the others. `.unclean`, when no replica is valid, takes the first acceptable replica outside the
///   ISR: the ISR becomes that replica alone and the leader recovery state RECOVERING. Otherwise there is
///   no leader (-1).
/// - The record sets `leader` only when the leader changes, so the leader epoch rises exactly then
///   (`PartitionRegistration.applying`); an ISR change alone bumps only the partition epoch.
/// - The ISR is never made empty: an empty target leaves it as it is, so its last member stays (the
///   replica known to hold every committed record, elected again when it comes back).
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
    }

    /// The leader the election chooses (-1 for none) and whether the choice was unclean.
    public func electLeader() -> (leader: Int32, unclean: Bool) {
        let replicas = targetReplicas
        func isValid(_ replica: Int32) -> Bool { targetISR.contains(replica) && isAcceptableLeader(replica) }
        if election == .preferred, let preferred = replicas.first, isValid(preferred) {
            return (preferred, false)
        }
        if isValid(partition.leader) { return (partition.leader, false) }
        if let online = replicas.first(where: isValid) { return (online, false) }
        if election == .unclean, let any = replicas.first(where: isAcceptableLeader) {
            return (any, true)
        }
        return (-1, false)
    }

    /// The change, or nil when the partition would stay as it is.
    public func build() -> PartitionChangeRecord? {
        var target = self
        target.completeReassignmentIfPossible()
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

    private func record() -> PartitionChangeRecord? {
        var record = PartitionChangeRecord()
        record.topicID = topicID
        record.partitionID = partitionID
        var changed = false
        let (leader, unclean) = electLeader()
        if leader != partition.leader {
            record.leader = leader
            changed = true
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
            changed = true
        }
        if record.isr == nil, !targetISR.isEmpty, targetISR != partition.isr {
            record.isr = targetISR
            changed = true
        }
        if !targetReplicas.isEmpty, targetReplicas != partition.replicas {
            record.replicas = targetReplicas
            changed = true
        }
        if targetRemoving != partition.removingReplicas {
            record.removingReplicas = targetRemoving
            changed = true
        }
        if targetAdding != partition.addingReplicas {
            record.addingReplicas = targetAdding
            changed = true
        }
        if targetLeaderRecoveryState != partition.leaderRecoveryState {
            record.leaderRecoveryState = targetLeaderRecoveryState
            changed = true
        }
        return changed ? record : nil
    }
}
