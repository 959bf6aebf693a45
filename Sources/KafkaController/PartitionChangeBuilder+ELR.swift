import KafkaMetadata
import KafkaProtocol

/// KIP-966's eligible leader replicas in a partition change, as Kafka's `PartitionChangeBuilder` keeps
/// them (4.x, `useLastKnownLeaderInBalancedRecovery` on, as Kafka's controller always runs it). With
/// `eligibleLeaderReplicasEnabled`:
/// - An ISR at or above min.insync.replicas has no ELR: the ELR empties (the high watermark moves again,
///   so a replica outside the ISR may miss committed records).
/// - An ISR below it (the high watermark stands still): the ELR becomes the current ELR and current ISR
///   members that are not in the target ISR, without `uncleanShutdownReplicas`, in ascending broker
///   order. So the ISR and the ELR stay disjoint, and every ELR member held every committed record when
///   it left the ISR. Members no longer in the target replica set are dropped (only replicas are
///   elected; Kafka keeps them, to no effect).
/// - An unclean election (the ISR set to the new leader alone) empties the ELR.
/// - LastKnownElr holds the leader the partition had when it lost its leader the first time (set when the
///   leader becomes -1 and LastKnownElr is empty); it empties once the partition has a leader again.
/// Without it, an ELR left from before is emptied; LastKnownElr stays as it is.
extension PartitionChangeBuilder {
    /// Computes the target ELR from the target ISR (before the election; `minISR` nil: left as it is).
    mutating func populateTargetELR() {
        guard eligibleLeaderReplicasEnabled, let minISR else { return }
        if targetISR.count >= minISR {
            targetELR = []
            return
        }
        let candidates = Set(targetELR).union(partition.isr)
            .subtracting(targetISR).subtracting(uncleanShutdownReplicas)
        targetELR = candidates.filter(targetReplicas.contains).sorted()
    }

    /// The last known leader, when it may be elected: the ELR on, the target ISR and ELR empty, one last
    /// known leader, acceptable (Kafka since KAFKA-19522 does not elect a fenced one).
    var electableLastKnownLeader: Int32? {
        guard eligibleLeaderReplicasEnabled, targetISR.isEmpty, targetELR.isEmpty, partition.lastKnownElr.count == 1,
              let lastKnown = partition.lastKnownElr.first, isAcceptableLeader(lastKnown) else { return nil }
        return lastKnown
    }

    /// Sets the record's ELR when it changes (after the election: an unclean one empties it).
    mutating func recordELR(_ record: inout PartitionChangeRecord) {
        if record.isr != nil || !eligibleLeaderReplicasEnabled { targetELR = [] }
        if targetELR != partition.elr { record.eligibleLeaderReplicas = targetELR }
    }

    /// Sets LastKnownElr to the leader the partition loses, or empties it once there is a leader.
    func recordLastKnownLeader(_ record: inout PartitionChangeRecord) {
        guard eligibleLeaderReplicasEnabled else { return }
        if record.leader == -1, partition.lastKnownElr.isEmpty {
            record.lastKnownElr = [partition.leader]
        } else if record.leader >= 0 || (partition.leader != -1 && record.leader != -1), !partition.lastKnownElr.isEmpty {
            record.lastKnownElr = []
        }
    }
}
