extension PartitionLeaderState {
    /// A partition registration from the metadata image (Kafka's `makeLeader`/`makeFollower` on a delta).
    /// - Older partition epoch than held: ignored (an AlterPartition answer may already have told us more).
    /// - Another leader: `.resigned`; the caller drops this state and follows.
    /// - Same leader, newer leader epoch: a new epoch starting at the log end offset (`.leaderEpochStarted`);
    ///   followers keep their positions, ISR members count as caught up now, the others as never.
    /// - Then: replicas and the committed ISR are replaced, any pending ISR change is dropped, and the
    ///   high watermark may rise.
    public mutating func applyRegistration(_ registration: LeaderAndIsr, now: Int64) -> [PartitionLeaderAction] {
        guard registration.partitionEpoch >= partitionEpoch else { return [] }
        guard registration.leader == localBrokerId else {
            return [.resigned(leader: registration.leader, leaderEpoch: registration.leaderEpoch)]
        }
        guard registration.leaderEpoch >= leaderEpoch else { return [] }
        var actions: [PartitionLeaderAction] = []
        if !registration.replicas.isEmpty {
            replicas = registration.replicas
            var kept: [Int32: ReplicaState] = [:]
            for id in registration.replicas where id != localBrokerId {
                kept[id] = followers[id] ?? ReplicaState()
            }
            followers = kept
        }
        if registration.leaderEpoch > leaderEpoch {
            leaderEpoch = registration.leaderEpoch
            leaderEpochStartOffset = logEndOffset
            for id in followers.keys {
                followers[id]!.resetForNewLeaderEpoch(
                    now: now, leaderEpochStartOffset: logEndOffset, isInSync: registration.isr.contains(id))
            }
            actions.append(.leaderEpochStarted(leaderEpoch: leaderEpoch, startOffset: logEndOffset))
        }
        isr = Set(registration.isr)
        partitionEpoch = registration.partitionEpoch
        pendingIsrChange = nil
        return actions + maybeIncrementHighWatermark(now: now)
    }
}
