import KafkaProtocol

/// The consumer group's `__consumer_offsets` records, as Kafka 3.9 writes them (every value version 0):
///
/// | key version | key | value |
/// | --- | --- | --- |
/// | 3 | ConsumerGroupMetadataKey (group) | ConsumerGroupMetadataValue: group epoch |
/// | 4 | ConsumerGroupPartitionMetadataKey (group) | subscribed topics: id, name, partition count |
/// | 5 | ConsumerGroupMemberMetadataKey (group, member) | the member's subscription |
/// | 6 | ConsumerGroupTargetAssignmentMetadataKey (group) | target assignment epoch |
/// | 7 | ConsumerGroupTargetAssignmentMemberKey (group, member) | the member's target partitions |
/// | 8 | ConsumerGroupCurrentMemberAssignmentKey (group, member) | epochs, state, assigned and pending-revocation partitions |
///
/// A nil value is a tombstone. Partition lists are written sorted, topics by id.
extension CoordinatorRecord {
    public static func consumerGroupMetadata(group: String, epoch: Int32?) -> CoordinatorRecord {
        CoordinatorRecord(key: versioned(ConsumerGroupMetadataKey(groupID: group), 3),
                          value: epoch.map { versioned(ConsumerGroupMetadataValue(epoch: $0), 0) })
    }

    public static func consumerGroupPartitionMetadata(group: String, _ topics: [String: TopicsImage.Topic]?) -> CoordinatorRecord {
        CoordinatorRecord(
            key: versioned(ConsumerGroupPartitionMetadataKey(groupID: group), 4),
            value: topics.map { topics in
                versioned(ConsumerGroupPartitionMetadataValue(topics: topics.keys.sorted().map { name in
                    let t = topics[name]!
                    return .init(topicID: t.id, topicName: t.name, numPartitions: t.partitionCount, partitionMetadata: [])
                }), 0)
            })
    }

    public static func consumerGroupMemberMetadata(group: String, memberID: String, _ member: ConsumerGroupMember?) -> CoordinatorRecord {
        CoordinatorRecord(
            key: versioned(ConsumerGroupMemberMetadataKey(groupID: group, memberID: memberID), 5),
            value: member.map { m in
                versioned(ConsumerGroupMemberMetadataValue(
                    instanceID: m.instanceID, rackID: m.rackID, clientID: m.clientID, clientHost: m.clientHost,
                    subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
                    rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor), 0)
            })
    }

    public static func consumerGroupTargetAssignmentMetadata(group: String, epoch: Int32?) -> CoordinatorRecord {
        CoordinatorRecord(key: versioned(ConsumerGroupTargetAssignmentMetadataKey(groupID: group), 6),
                          value: epoch.map { versioned(ConsumerGroupTargetAssignmentMetadataValue(assignmentEpoch: $0), 0) })
    }

    public static func consumerGroupTargetAssignmentMember(group: String, memberID: String, _ partitions: PartitionAssignment?) -> CoordinatorRecord {
        CoordinatorRecord(
            key: versioned(ConsumerGroupTargetAssignmentMemberKey(groupID: group, memberID: memberID), 7),
            value: partitions.map { a in
                versioned(ConsumerGroupTargetAssignmentMemberValue(topicPartitions: a.sortedTopicIDs.map {
                    .init(topicID: $0, partitions: a[$0]!.sorted())
                }), 0)
            })
    }

    public static func consumerGroupCurrentMemberAssignment(group: String, memberID: String, _ member: ConsumerGroupMember?) -> CoordinatorRecord {
        func list(_ a: PartitionAssignment) -> [ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions] {
            a.sortedTopicIDs.map { .init(topicID: $0, partitions: a[$0]!.sorted()) }
        }
        return CoordinatorRecord(
            key: versioned(ConsumerGroupCurrentMemberAssignmentKey(groupID: group, memberID: memberID), 8),
            value: member.map { m in
                versioned(ConsumerGroupCurrentMemberAssignmentValue(
                    memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state.rawValue,
                    assignedPartitions: list(m.assignedPartitions),
                    partitionsPendingRevocation: list(m.partitionsPendingRevocation)), 0)
            })
    }
}

/// A decoded consumer group record (see the table above).
public enum ConsumerGroupRecord: Hashable, Sendable {
    case metadata(group: String, ConsumerGroupMetadataValue?)
    case partitionMetadata(group: String, ConsumerGroupPartitionMetadataValue?)
    case memberMetadata(group: String, memberID: String, ConsumerGroupMemberMetadataValue?)
    case targetAssignmentMetadata(group: String, ConsumerGroupTargetAssignmentMetadataValue?)
    case targetAssignmentMember(group: String, memberID: String, ConsumerGroupTargetAssignmentMemberValue?)
    case currentMemberAssignment(group: String, memberID: String, ConsumerGroupCurrentMemberAssignmentValue?)

    public var groupID: String {
        switch self {
        case .metadata(let g, _), .partitionMetadata(let g, _), .memberMetadata(let g, _, _),
             .targetAssignmentMetadata(let g, _), .targetAssignmentMember(let g, _, _), .currentMemberAssignment(let g, _, _):
            g
        }
    }
}

extension ConsumerGroup {
    /// Kafka's `GroupMetadataManager.replay` for one consumer group record (the group tombstone is the
    /// coordinator's: it removes the group).
    mutating func replay(_ record: ConsumerGroupRecord) {
        switch record {
        case .metadata(_, let value):
            if let value { groupEpoch = value.epoch }
        case .partitionMetadata(_, let value):
            subscriptionMetadata = [:]
            for t in value?.topics ?? [] {
                subscriptionMetadata[t.topicName] = .init(id: t.topicID, name: t.topicName, partitionCount: t.numPartitions)
            }
        case .memberMetadata(_, let memberID, let value):
            guard let value else { removeMember(memberID); return }
            var m = members[memberID] ?? ConsumerGroupMember(memberID: memberID)
            m.instanceID = value.instanceID
            m.rackID = value.rackID
            m.clientID = value.clientID
            m.clientHost = value.clientHost
            m.subscribedTopicNames = value.subscribedTopicNames
            m.subscribedTopicRegex = value.subscribedTopicRegex
            m.rebalanceTimeoutMs = value.rebalanceTimeoutMs
            m.serverAssignor = value.serverAssignor
            setMember(m)
        case .targetAssignmentMetadata(_, let value):
            assignmentEpoch = value?.assignmentEpoch ?? 0
        case .targetAssignmentMember(_, let memberID, let value):
            var a: PartitionAssignment = [:]
            for t in value?.topicPartitions ?? [] where !t.partitions.isEmpty { a[t.topicID, default: []].formUnion(t.partitions) }
            targetAssignment[memberID] = value == nil ? nil : a
        case .currentMemberAssignment(_, let memberID, let value):
            if value == nil && members[memberID] == nil { return }
            var m = members[memberID] ?? ConsumerGroupMember(memberID: memberID)
            func set(_ list: [ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions]) -> PartitionAssignment {
                var a: PartitionAssignment = [:]
                for t in list where !t.partitions.isEmpty { a[t.topicID, default: []].formUnion(t.partitions) }
                return a
            }
            if let value {
                m.memberEpoch = value.memberEpoch
                m.previousMemberEpoch = value.previousMemberEpoch
                m.state = ConsumerGroupMember.State(rawValue: value.state) ?? .unknown
                m.assignedPartitions = set(value.assignedPartitions)
                m.partitionsPendingRevocation = set(value.partitionsPendingRevocation)
            } else {
                m.memberEpoch = ConsumerGroupMember.leaveEpoch
                m.previousMemberEpoch = ConsumerGroupMember.leaveEpoch
                m.assignedPartitions = [:]
                m.partitionsPendingRevocation = [:]
            }
            setMember(m)
        }
    }

    /// Tombstones for a member (Kafka's `removeMember`): current assignment, target, subscription.
    func memberTombstones(_ memberID: String) -> [CoordinatorRecord] {
        [.consumerGroupCurrentMemberAssignment(group: groupID, memberID: memberID, nil),
         .consumerGroupTargetAssignmentMember(group: groupID, memberID: memberID, nil),
         .consumerGroupMemberMetadata(group: groupID, memberID: memberID, nil)]
    }

    /// Tombstones for the whole group (Kafka's `createGroupTombstoneRecords`), members first.
    func groupTombstones() -> [CoordinatorRecord] {
        var out: [CoordinatorRecord] = []
        for id in members.keys.sorted() { out.append(.consumerGroupCurrentMemberAssignment(group: groupID, memberID: id, nil)) }
        for id in targetAssignment.keys.sorted() { out.append(.consumerGroupTargetAssignmentMember(group: groupID, memberID: id, nil)) }
        out.append(.consumerGroupTargetAssignmentMetadata(group: groupID, epoch: nil))
        for id in members.keys.sorted() { out.append(.consumerGroupMemberMetadata(group: groupID, memberID: id, nil)) }
        out.append(.consumerGroupPartitionMetadata(group: groupID, nil))
        out.append(.consumerGroupMetadata(group: groupID, epoch: nil))
        return out
    }
}

extension ConsumerGroupRecord {
    var isTombstone: Bool {
        switch self {
        case .metadata(_, let v): v == nil
        case .partitionMetadata(_, let v): v == nil
        case .memberMetadata(_, _, let v): v == nil
        case .targetAssignmentMetadata(_, let v): v == nil
        case .targetAssignmentMember(_, _, let v): v == nil
        case .currentMemberAssignment(_, _, let v): v == nil
        }
    }
}
