extension PartitionLeaderState {
    /// Kafka's `isFollowerInSync` for an expansion: the follower reached the high watermark and the start of
    /// the current leader epoch (else, if elected, it could lose records committed between the old
    /// leader's high watermark and this epoch's start).
    public func isFollowerInSync(replicaId: Int32) -> Bool {
        guard let replica = followers[replicaId] else { return false }
        return replica.logEndOffset >= highWatermark && replica.logEndOffset >= leaderEpochStartOffset
    }

    /// Proposes adding `replicaId` to the ISR if nothing is pending, it is not in the committed ISR, it is
    /// eligible, and in sync (Kafka's `maybeExpandIsr`).
    mutating func maybeExpandIsr(replicaId: Int32) -> [PartitionLeaderAction] {
        guard pendingIsrChange == nil, !isr.contains(replicaId), let replica = followers[replicaId],
              replica.isIsrEligible, isFollowerInSync(replicaId: replicaId) else { return [] }
        return propose(.expand(newInSyncReplica: replicaId), newIsr: isr.union([replicaId]))
    }

    /// The followers in the committed ISR that are not caught up (Kafka's `getOutOfSyncReplicas`): stuck or
    /// slow for more than the lag time, and not at the leader's log end offset. Empty while a change is pending.
    public func outOfSyncReplicas(now: Int64) -> Set<Int32> {
        guard pendingIsrChange == nil else { return [] }
        return Set(isr.filter { id in
            guard id != localBrokerId else { return false }
            guard let replica = followers[id] else { return true }
            return !replica.isCaughtUp(leaderLogEndOffset: logEndOffset, now: now, replicaLagTimeMaxMs: replicaLagTimeMaxMs)
        })
    }

    /// The periodic ISR check (Kafka's `maybeShrinkIsr`, every lag time / 2): proposes removing the
    /// out-of-sync followers. The high watermark does not move until the controller commits the removal.
    public mutating func maybeShrinkIsr(now: Int64) -> [PartitionLeaderAction] {
        let outOfSync = outOfSyncReplicas(now: now)
        guard !outOfSync.isEmpty else { return [] }
        return propose(.shrink(outOfSyncReplicas: outOfSync), newIsr: isr.subtracting(outOfSync))
    }

    private mutating func propose(_ kind: PendingIsrChange.Kind, newIsr: Set<Int32>) -> [PartitionLeaderAction] {
        let members = newIsr.sorted().map { id in
            BrokerState(brokerId: id, brokerEpoch: id == localBrokerId ? localBrokerEpoch : (followers[id]?.brokerEpoch ?? -1))
        }
        let proposal = AlterPartitionProposal(
            leader: localBrokerId, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, newIsrWithEpochs: members)
        pendingIsrChange = PendingIsrChange(kind: kind, proposal: proposal, status: .inFlight)
        return [.sendAlterPartition(proposal)]
    }

    /// The controller answered `proposal` (Kafka's `submitAlterPartition` completion). An answer to anything
    /// but the pending proposal is ignored (state moved on since). On success the returned state becomes
    /// the committed one (unless its leader epoch differs or its partition epoch is older: then the change
    /// stays pending until new metadata). On error:
    /// - OPERATION_NOT_ATTEMPTED, INELIGIBLE_REPLICA: the controller refused without applying; back to the
    ///   committed state, so a later fetch or check may propose again.
    /// - UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION,
    ///   INVALID_REQUEST, NEW_LEADER_ELECTED: stay pending until a newer registration arrives.
    /// - anything else: send the same proposal again.
    public mutating func alterPartitionAnswered(
        _ proposal: AlterPartitionProposal, result: Result<LeaderAndIsr, ReplicationError>, now: Int64
    ) -> [PartitionLeaderAction] {
        guard let pending = pendingIsrChange, pending.proposal == proposal, pending.status == .inFlight else { return [] }
        switch result {
        case .success(let committed):
            guard committed.leaderEpoch == leaderEpoch, committed.partitionEpoch >= partitionEpoch else {
                pendingIsrChange?.status = .awaitingMetadata
                return []
            }
            isr = Set(committed.isr)
            partitionEpoch = committed.partitionEpoch
            pendingIsrChange = nil
            return maybeIncrementHighWatermark(now: now)
        case .failure(.operationNotAttempted), .failure(.ineligibleReplica):
            pendingIsrChange = nil
            return []
        case .failure(.unknownTopicOrPartition), .failure(.unknownTopicId), .failure(.fencedLeaderEpoch),
             .failure(.invalidUpdateVersion), .failure(.invalidRequest), .failure(.newLeaderElected):
            pendingIsrChange?.status = .awaitingMetadata
            return []
        case .failure:
            return [.sendAlterPartition(proposal)]
        }
    }
}
