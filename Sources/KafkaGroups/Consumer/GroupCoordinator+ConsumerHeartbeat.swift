import KafkaProtocol

/// ConsumerGroupHeartbeat (KIP-848), Kafka's `GroupMetadataManager.consumerGroupHeartbeat`.
///
/// One request does everything: join (epoch 0), heartbeat and acknowledge revocations (the current
/// epoch, with the partitions the member still owns), leave (epoch -1) or leave for a while as a
/// static member (epoch -2). Each call writes, in this order and only when something changed: the
/// member's subscription, the subscribed topics' metadata, the bumped group epoch, the recomputed
/// target assignment (changed members, then its epoch), the member's new current assignment. The
/// records are replayed into the group as they are produced, so memory equals a reload of the log.
extension GroupCoordinator {
    public typealias HeartbeatOutcome = GroupOutcome<ConsumerGroupHeartbeatResponse>

    public mutating func consumerGroupHeartbeat(
        _ r: ConsumerGroupHeartbeatRequest, version: Int16, context: GroupRequestContext,
        topics: TopicsImage, now: Int64
    ) -> HeartbeatOutcome {
        if let error = validate(r, version: version) { return Self.heartbeatError(error.0, error.1) }
        if r.memberEpoch == ConsumerGroupMember.leaveEpoch || r.memberEpoch == ConsumerGroupMember.leaveStaticEpoch {
            return consumerGroupLeave(r)
        }
        return consumerGroupJoinOrHeartbeat(r, version: version, context: context, topics: topics, now: now)
    }

    /// Kafka's `throwIfConsumerGroupHeartbeatRequestIsInvalid`.
    private func validate(_ r: ConsumerGroupHeartbeatRequest, version: Int16) -> (ErrorCode, String)? {
        if r.groupID.isEmpty { return (.invalidRequest, "GroupId can't be empty.") }
        if r.instanceID?.isEmpty == true { return (.invalidRequest, "InstanceId can't be empty.") }
        if r.rackID?.isEmpty == true { return (.invalidRequest, "RackId can't be empty.") }
        if version >= 1 && r.memberID.isEmpty { return (.invalidRequest, "MemberId can't be empty.") }
        if r.memberEpoch > 0 || r.memberEpoch == ConsumerGroupMember.leaveEpoch {
            if r.memberID.isEmpty { return (.invalidRequest, "MemberId can't be empty.") }
        } else if r.memberEpoch == 0 {
            if r.rebalanceTimeoutMs == -1 { return (.invalidRequest, "RebalanceTimeoutMs must be provided in first request.") }
            if r.topicPartitions?.isEmpty != true { return (.invalidRequest, "TopicPartitions must be empty when (re-)joining.") }
            let hasNames = r.subscribedTopicNames?.isEmpty == false
            let hasRegex = r.subscribedTopicRegex?.isEmpty == false
            if !hasNames && !hasRegex {
                return (.invalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
            }
        } else if r.memberEpoch == ConsumerGroupMember.leaveStaticEpoch {
            if r.instanceID == nil { return (.invalidRequest, "InstanceId can't be null.") }
        } else {
            return (.invalidRequest, "MemberEpoch is invalid.")
        }
        if let assignor = r.serverAssignor, ConsumerGroupAssignors.named(assignor) == nil {
            return (.unsupportedAssignor, "ServerAssignor \(assignor) is not supported. Supported assignors: \(ConsumerGroupAssignors.all.map(\.name).joined(separator: ", ")).")
        }
        if let regex = r.subscribedTopicRegex, !regex.isEmpty, !TopicRegex.isValid(regex) {
            return (.invalidRegularExpression, "SubscribedTopicRegex \(regex) is not a valid regular expression.")
        }
        return nil
    }

    static func heartbeatError(_ code: ErrorCode, _ message: String) -> HeartbeatOutcome {
        GroupOutcome(ConsumerGroupHeartbeatResponse(errorCode: code.rawValue, errorMessage: message))
    }

    // MARK: Join and heartbeat

    private mutating func consumerGroupJoinOrHeartbeat(
        _ r: ConsumerGroupHeartbeatRequest, version: Int16, context: GroupRequestContext,
        topics: TopicsImage, now: Int64
    ) -> HeartbeatOutcome {
        let joining = r.memberEpoch == 0
        var records: [CoordinatorRecord] = []

        // The group: a consumer group, or created from nothing or from an Empty classic group.
        var group: ConsumerGroup
        if let existing = consumerGroups[r.groupID] {
            group = existing
        } else if let classic = groups[r.groupID] {
            guard joining, classic.state == .empty else {
                return Self.heartbeatError(.groupIDNotFound, "Group \(r.groupID) is not a consumer group.")
            }
            records.append(.groupMetadata(group: r.groupID, nil))
            group = ConsumerGroup(groupID: r.groupID, offsetsTopicPartitions: config.offsetsTopicPartitions)
        } else if joining {
            group = ConsumerGroup(groupID: r.groupID, offsetsTopicPartitions: config.offsetsTopicPartitions)
        } else {
            return Self.heartbeatError(.groupIDNotFound, "Group \(r.groupID) not found.")
        }

        // The member: new, rejoining, replacing a static member that left, or an existing one.
        let memberID = r.memberID.isEmpty ? memberIDs.nextKafkaUUIDString() : r.memberID
        var member: ConsumerGroupMember
        var replacedStaticMember: ConsumerGroupMember?
        if joining {
            if let instance = r.instanceID, let holderID = group.staticMembers[instance], holderID != memberID {
                let holder = group.members[holderID]!
                guard holder.memberEpoch == ConsumerGroupMember.leaveStaticEpoch else {
                    return Self.heartbeatError(.unreleasedInstanceID, "Static member \(holderID) with instance id \(instance) is still using it.")
                }
                replacedStaticMember = holder
                member = ConsumerGroupMember(memberID: memberID)
                member.assignedPartitions = holder.assignedPartitions
                member.partitionsPendingRevocation = holder.partitionsPendingRevocation
                member.state = holder.state
                member.subscribedTopicNames = holder.subscribedTopicNames
                member.subscribedTopicRegex = holder.subscribedTopicRegex
                member.serverAssignor = holder.serverAssignor
                member.rebalanceTimeoutMs = holder.rebalanceTimeoutMs
                member.rackID = holder.rackID
            } else if let existing = group.members[memberID] {
                member = existing
            } else {
                if group.members.count >= Int(config.consumerMaxGroupSize) {
                    return Self.heartbeatError(.groupMaxSizeReached, "The consumer group has reached its maximum capacity of \(config.consumerMaxGroupSize) members.")
                }
                member = ConsumerGroupMember(memberID: memberID)
            }
        } else {
            guard let existing = group.members[memberID] else {
                return Self.heartbeatError(.unknownMemberID, "Member \(memberID) is not a member of group \(r.groupID).")
            }
            if let instance = r.instanceID, existing.instanceID != instance {
                return Self.heartbeatError(.fencedInstanceID, "Static member \(memberID) with instance id \(instance) was fenced.")
            }
            if let error = Self.memberEpochError(received: r.memberEpoch, member: existing, owned: r.topicPartitions) {
                return Self.heartbeatError(.fencedMemberEpoch, error)
            }
            member = existing
        }
        let isNewMember = group.members[memberID] == nil

        // The subscription as this request updates it (null fields keep their value).
        var updated = member
        if let v = r.instanceID { updated.instanceID = v }
        if let v = r.rackID { updated.rackID = v }
        if r.rebalanceTimeoutMs != -1 { updated.rebalanceTimeoutMs = r.rebalanceTimeoutMs }
        if let v = r.subscribedTopicNames { updated.subscribedTopicNames = Array(Set(v)).sorted() }
        if let v = r.subscribedTopicRegex { updated.subscribedTopicRegex = v.isEmpty ? nil : v }
        if let v = r.serverAssignor { updated.serverAssignor = v }
        updated.clientID = context.clientID
        updated.clientHost = context.clientHost

        if let old = replacedStaticMember {
            // Kafka's static member replacement: the old id's records go, the new id inherits its
            // target and current assignment at epoch 0, without a new group epoch.
            records += group.memberTombstones(old.memberID)
            records.append(.consumerGroupMemberMetadata(group: group.groupID, memberID: memberID, updated))
            records.append(.consumerGroupTargetAssignmentMember(group: group.groupID, memberID: memberID, group.targetAssignment[old.memberID] ?? [:]))
            records.append(.consumerGroupCurrentMemberAssignment(group: group.groupID, memberID: memberID, updated))
        }

        var bumpGroupEpoch = false
        if replacedStaticMember == nil && (isNewMember || updated.subscription != member.subscription) {
            records.append(.consumerGroupMemberMetadata(group: group.groupID, memberID: memberID, updated))
            bumpGroupEpoch = isNewMember
                || updated.subscribedTopicNames != member.subscribedTopicNames
                || updated.subscribedTopicRegex != member.subscribedTopicRegex
                || updated.serverAssignor != member.serverAssignor
        } else if replacedStaticMember != nil {
            bumpGroupEpoch = updated.subscribedTopicNames != replacedStaticMember!.subscribedTopicNames
                || updated.subscribedTopicRegex != replacedStaticMember!.subscribedTopicRegex
                || updated.serverAssignor != replacedStaticMember!.serverAssignor
        }
        let metadata = group.computeSubscriptionMetadata(replacing: updated, removing: replacedStaticMember?.memberID, topics: topics)
        if metadata != group.subscriptionMetadata {
            records.append(.consumerGroupPartitionMetadata(group: group.groupID, metadata))
            bumpGroupEpoch = true
        }
        if bumpGroupEpoch || (isNewMember && consumerGroups[group.groupID] == nil) {
            records.append(.consumerGroupMetadata(group: group.groupID, epoch: group.groupEpoch + (bumpGroupEpoch ? 1 : 0)))
        }
        apply(records, to: &group)

        // A new target assignment for a new group epoch.
        if group.groupEpoch > group.assignmentEpoch {
            let target = targetAssignmentRecords(group, topics: topics)
            apply(target, to: &group)
            records += target
        }

        // Reconcile the member towards its target.
        let current = group.members[memberID]!
        if current.state == .unknown && r.topicPartitions?.isEmpty != true && !joining {
            return Self.heartbeatError(.fencedMemberEpoch, "The consumer group member is in a unknown state. The member must abandon all its partitions and rejoin.")
        }
        let owned = r.topicPartitions.map { list in
            var a: PartitionAssignment = [:]
            for t in list where !t.partitions.isEmpty { a[t.topicID, default: []].formUnion(t.partitions) }
            return a
        }
        let subscribedIDs = Set(current.subscribedTopics(in: topics).compactMap { group.subscriptionMetadata[$0]?.id })
        let next = current.reconciled(
            targetEpoch: group.assignmentEpoch, target: group.targetAssignment[memberID] ?? [:], owned: owned,
            subscribedTopicIDs: subscribedIDs, partitionEpoch: { group.partitionEpoch($0, $1) })
        if next.currentAssignment != current.currentAssignment {
            let rec = CoordinatorRecord.consumerGroupCurrentMemberAssignment(group: group.groupID, memberID: memberID, next)
            apply([rec], to: &group)
            records.append(rec)
        }

        // Timers: the session always; the revocation deadline when the member starts owing revocations.
        var actions: [GroupAction] = []
        scheduleSession(memberID, in: &group, now: now, actions: &actions)
        if next.state == .unrevokedPartitions {
            if current.state != .unrevokedPartitions || current.memberEpoch != next.memberEpoch || group.rebalanceDeadlines[memberID] == nil {
                let deadline = now + Int64(max(next.rebalanceTimeoutMs, 0))
                group.rebalanceDeadlines[memberID] = .init(deadline: deadline, epoch: next.memberEpoch)
                actions.append(.scheduleTimeout(.consumerRebalance(groupID: group.groupID, memberID: memberID), deadline: deadline))
            }
        } else {
            group.rebalanceDeadlines[memberID] = nil
        }
        consumerGroups[group.groupID] = group
        if !records.isEmpty { actions.insert(.append(partition: group.partition, records), at: 0) }

        var response = ConsumerGroupHeartbeatResponse(
            memberID: memberID, memberEpoch: next.memberEpoch, heartbeatIntervalMs: config.consumerHeartbeatIntervalMs)
        let fullRequest = r.rebalanceTimeoutMs != -1 && r.subscribedTopicNames != nil && r.topicPartitions != nil
        if joining || fullRequest || next.assignedPartitions != member.assignedPartitions || replacedStaticMember != nil {
            response.assignment = .init(topicPartitions: next.assignedPartitions.sortedTopicIDs.map {
                .init(topicID: $0, partitions: next.assignedPartitions[$0]!.sorted())
            })
        }
        return GroupOutcome(response, actions: actions)
    }

    /// Kafka's `throwIfMemberEpochIsInvalid`: a newer epoch than known is fenced; an older one only
    /// passes when it is the previous epoch and the member owns a subset of its assignment (the
    /// response that bumped it was lost).
    static func memberEpochError(received: Int32, member: ConsumerGroupMember,
                                 owned: [ConsumerGroupHeartbeatRequest.TopicPartitions]?) -> String? {
        if received > member.memberEpoch {
            return "The consumer group member has a greater member epoch (\(received)) than the one known by the group coordinator (\(member.memberEpoch)). The member must abandon all its partitions and rebalance."
        }
        if received < member.memberEpoch {
            var ownedSet: PartitionAssignment = [:]
            for t in owned ?? [] where !t.partitions.isEmpty { ownedSet[t.topicID, default: []].formUnion(t.partitions) }
            if received != member.previousMemberEpoch || owned == nil || !ownedSet.isSubset(of: member.assignedPartitions) {
                return "The consumer group member has a smaller member epoch (\(received)) than the one known by the group coordinator (\(member.memberEpoch)). The member must abandon all its partitions and rebalance."
            }
        }
        return nil
    }

    /// The records of a new target assignment for the group's epoch: each member whose target
    /// changed, then the assignment epoch (Kafka's `TargetAssignmentBuilder`).
    func targetAssignmentRecords(_ group: ConsumerGroup, topics: TopicsImage) -> [CoordinatorRecord] {
        let assignor = ConsumerGroupAssignors.named(group.preferredAssignor(default: ConsumerGroupAssignors.defaultName))
            ?? ConsumerGroupAssignors.all[0]
        let input = AssignmentInput(
            members: group.sortedMembers.map { m in
                .init(memberID: m.memberID, instanceID: m.instanceID,
                      subscribedTopicIDs: Set(m.subscribedTopics(in: topics).compactMap { group.subscriptionMetadata[$0]?.id }),
                      previous: group.targetAssignment[m.memberID] ?? [:])
            },
            partitionCounts: Dictionary(uniqueKeysWithValues: group.subscriptionMetadata.values.map { ($0.id, $0.partitionCount) }))
        let target = assignor.assign(input)
        var records: [CoordinatorRecord] = []
        for id in group.members.keys.sorted() {
            let new = (target[id] ?? [:]).normalized
            if group.targetAssignment[id] != new {
                records.append(.consumerGroupTargetAssignmentMember(group: group.groupID, memberID: id, new))
            }
        }
        records.append(.consumerGroupTargetAssignmentMetadata(group: group.groupID, epoch: group.groupEpoch))
        return records
    }
}
