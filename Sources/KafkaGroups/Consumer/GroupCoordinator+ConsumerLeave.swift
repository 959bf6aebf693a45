import KafkaProtocol

/// Leaving a consumer group: epoch -1 (Kafka's `consumerGroupFenceMember`, also used when a session
/// or revocation deadline passes) and epoch -2, a static member stepping out for a while: it keeps its
/// partitions, unassigned to others, until it rejoins under its instance id or its session expires.
extension GroupCoordinator {
    mutating func consumerGroupLeave(_ r: ConsumerGroupHeartbeatRequest) -> HeartbeatOutcome {
        guard var group = consumerGroups[r.groupID] else {
            return Self.heartbeatError(.groupIDNotFound, "Group \(r.groupID) not found.")
        }
        let member: ConsumerGroupMember
        if let instance = r.instanceID {
            guard let holderID = group.staticMembers[instance], let holder = group.members[holderID] else {
                return Self.heartbeatError(.unknownMemberID, "Instance id \(instance) is unknown.")
            }
            if holderID != r.memberID {
                return Self.heartbeatError(.fencedInstanceID, "Static member \(r.memberID) with instance id \(instance) was fenced by member \(holderID).")
            }
            member = holder
        } else {
            guard let m = group.members[r.memberID] else {
                return Self.heartbeatError(.unknownMemberID, "Member \(r.memberID) is not a member of group \(r.groupID).")
            }
            member = m
        }
        let response = ConsumerGroupHeartbeatResponse(memberID: member.memberID, memberEpoch: r.memberEpoch, heartbeatIntervalMs: 0)
        if r.memberEpoch == ConsumerGroupMember.leaveStaticEpoch {
            // A static member leaving for a while keeps its partitions until its session expires.
            var left = member
            left.updateMemberEpoch(ConsumerGroupMember.leaveStaticEpoch)
            let records = [CoordinatorRecord.consumerGroupCurrentMemberAssignment(group: group.groupID, memberID: member.memberID, left)]
            apply(records, to: &group)
            group.rebalanceDeadlines[member.memberID] = nil
            consumerGroups[group.groupID] = group
            return GroupOutcome(response, actions: [.append(partition: group.partition, records)])
        }
        let records = fenceRecords(member.memberID, in: group)
        apply(records, to: &group)
        consumerGroups[group.groupID] = group
        return GroupOutcome(response, actions: [.append(partition: group.partition, records)])
    }

    /// Kafka's `consumerGroupFenceMember`: the member's tombstones, new subscription metadata if it
    /// changed, and a new group epoch. Removing a member can only drop topics, so the group's own
    /// subscription metadata serves as the topic image.
    func fenceRecords(_ memberID: String, in group: ConsumerGroup) -> [CoordinatorRecord] {
        var records = group.memberTombstones(memberID)
        let known = TopicsImage(Array(group.subscriptionMetadata.values))
        let metadata = group.computeSubscriptionMetadata(removing: memberID, topics: known)
        if metadata != group.subscriptionMetadata {
            records.append(.consumerGroupPartitionMetadata(group: group.groupID, metadata))
        }
        records.append(.consumerGroupMetadata(group: group.groupID, epoch: group.groupEpoch + 1))
        return records
    }
}
