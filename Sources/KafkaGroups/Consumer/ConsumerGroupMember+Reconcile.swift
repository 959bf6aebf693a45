import KafkaProtocol

/// Reconciliation: Kafka's `CurrentAssignmentBuilder`, moving a member's current assignment towards
/// its target one step at a time.
///
/// A member first gives up what is no longer its (UNREVOKED_PARTITIONS, staying in its epoch) until its
/// heartbeat no longer reports those partitions; it then moves to the target epoch and receives the
/// target partitions that are free, waiting (UNRELEASED_PARTITIONS) for those still held by others.
/// So no partition ever has two owners: a partition enters `assignedPartitions` only when
/// `partitionEpoch` says no member holds it.
extension ConsumerGroupMember {
    /// The member's next state. `owned` is the heartbeat's TopicPartitions (nil: not sent, which
    /// counts as still owning everything); `partitionEpoch` tells whether a partition is held;
    /// `subscribedTopicIDs` drops target partitions of topics the member left.
    func reconciled(targetEpoch: Int32, target: PartitionAssignment, owned: PartitionAssignment?,
                    subscribedTopicIDs: Set<KafkaUUID>, partitionEpoch: (KafkaUUID, Int32) -> Int32?) -> ConsumerGroupMember {
        switch state {
        case .stable:
            return memberEpoch == targetEpoch ? self
                : nextAssignment(targetEpoch: targetEpoch, target: target, owned: owned, subscribed: subscribedTopicIDs, partitionEpoch: partitionEpoch)
        case .unrevokedPartitions:
            if ownsAny(of: partitionsPendingRevocation, owned: owned) { return self }
            return nextAssignment(targetEpoch: targetEpoch, target: target, owned: owned, subscribed: subscribedTopicIDs, partitionEpoch: partitionEpoch)
        case .unreleasedPartitions:
            return nextAssignment(targetEpoch: targetEpoch, target: target, owned: owned, subscribed: subscribedTopicIDs, partitionEpoch: partitionEpoch)
        case .unknown:
            // Handled by the caller (FENCED_MEMBER_EPOCH unless the member reports no partitions).
            var m = self
            m.memberEpoch = targetEpoch
            return m.nextAssignment(targetEpoch: targetEpoch, target: target, owned: owned, subscribed: subscribedTopicIDs, partitionEpoch: partitionEpoch)
        }
    }

    private func ownsAny(of pending: PartitionAssignment, owned: PartitionAssignment?) -> Bool {
        guard let owned else { return true }
        return pending.contains { topic, partitions in !partitions.isDisjoint(with: owned[topic] ?? []) }
    }

    private func nextAssignment(targetEpoch: Int32, target: PartitionAssignment, owned: PartitionAssignment?,
                                subscribed: Set<KafkaUUID>, partitionEpoch: (KafkaUUID, Int32) -> Int32?) -> ConsumerGroupMember {
        var newAssigned: PartitionAssignment = [:]
        var newPendingRevocation: PartitionAssignment = [:]
        var newPendingAssignment: PartitionAssignment = [:]
        var hasUnreleased = false
        for topic in Set(target.keys).union(assignedPartitions.keys) {
            let wanted = subscribed.contains(topic) ? (target[topic] ?? []) : []
            let current = assignedPartitions[topic] ?? []
            let kept = current.intersection(wanted)
            let revoke = current.subtracting(kept)
            var toAssign = wanted.subtracting(kept)
            let pendingHere = partitionsPendingRevocation[topic] ?? []
            let unreleased = toAssign.filter { partitionEpoch(topic, $0) != nil && !pendingHere.contains($0) }
            if !unreleased.isEmpty { hasUnreleased = true }
            toAssign.subtract(unreleased)
            if !kept.isEmpty { newAssigned[topic] = kept }
            if !revoke.isEmpty { newPendingRevocation[topic] = revoke }
            if !toAssign.isEmpty { newPendingAssignment[topic] = toAssign }
        }
        var next = self
        if !newPendingRevocation.isEmpty && ownsAny(of: newPendingRevocation, owned: owned) {
            // Revoke first, staying in the current epoch.
            next.state = .unrevokedPartitions
            next.updateMemberEpoch(memberEpoch)
            next.assignedPartitions = newAssigned
            next.partitionsPendingRevocation = newPendingRevocation
            return next
        }
        for (topic, partitions) in newPendingAssignment { newAssigned[topic, default: []].formUnion(partitions) }
        next.state = hasUnreleased ? .unreleasedPartitions : .stable
        next.updateMemberEpoch(targetEpoch)
        next.assignedPartitions = newAssigned
        next.partitionsPendingRevocation = [:]
        return next
    }
}
