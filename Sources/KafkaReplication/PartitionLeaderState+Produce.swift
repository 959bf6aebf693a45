/// Where an acks=all produce waiting on offset `requiredOffset` stands (Kafka's
/// `checkEnoughReplicasReachOffset`).
public enum AcksAllOutcome: Hashable, Sendable {
    /// The high watermark has not reached the required offset: keep waiting.
    case notYet
    /// Committed with enough replicas: acknowledge.
    case done
    /// Committed, but the ISR shrank below min.insync.replicas after the append: answer
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    case notEnoughReplicasAfterAppend
}

extension PartitionLeaderState {
    /// The check before a produce is appended (Kafka's `appendRecordsToLeader`): with acks=all (-1) and a
    /// committed ISR below min.insync.replicas (capped at the replication factor), NOT_ENOUGH_REPLICAS.
    public func minIsrCheck(requiredAcks: Int16, minInsyncReplicas: Int) -> ReplicationError? {
        requiredAcks == -1 && isr.count < effectiveMinIsr(minInsyncReplicas) ? .notEnoughReplicas : nil
    }

    /// The acks=all completion check for a produce whose last record is at `requiredOffset - 1`: done once
    /// the high watermark reaches `requiredOffset`, as long as the maximal ISR still meets min.insync.replicas.
    public func acksAllOutcome(requiredOffset: Int64, minInsyncReplicas: Int) -> AcksAllOutcome {
        guard highWatermark >= requiredOffset else { return .notYet }
        return effectiveMinIsr(minInsyncReplicas) <= maximalIsr.count ? .done : .notEnoughReplicasAfterAppend
    }
}
