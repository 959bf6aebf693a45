import KafkaProtocol

/// The group's `__consumer_offsets` form: GroupMetadataValue v3, and the group a load rebuilds from it.
///
/// Kafka writes it when a new group is created, when the leader's assignment arrives, when a Stable
/// static member is replaced, and when a group becomes Empty. It holds the generation, the protocol
/// type and selected protocol, the leader, `currentStateTimestamp`, and each member's id, instance id,
/// client id and host, timeouts, metadata for the selected protocol, and assignment. A loaded group is
/// Stable when it has members and Empty otherwise; its members support only the selected protocol.
extension ClassicGroup {
    /// The GroupMetadataValue for the current generation with `assignments` (Kafka's `newGroupMetadataRecord`).
    func groupMetadataValue(assignments: [String: [UInt8]]) -> GroupMetadataValue {
        GroupMetadataValue(
            protocolType: protocolType ?? "",
            generation: generationID,
            protocol: protocolName,
            leader: leaderID,
            currentStateTimestamp: currentStateTimestamp ?? -1,
            members: members.map { m in
                .init(
                    memberID: m.memberID, groupInstanceID: m.groupInstanceID, clientID: m.clientID,
                    clientHost: m.clientHost, rebalanceTimeout: m.rebalanceTimeoutMs,
                    sessionTimeout: m.sessionTimeoutMs,
                    subscription: protocolName.flatMap(m.metadata(for:)) ?? [],
                    assignment: assignments[m.memberID] ?? [])
            })
    }

    func groupMetadataRecord(assignments: [String: [UInt8]]) -> CoordinatorRecord {
        .groupMetadata(group: groupID, groupMetadataValue(assignments: assignments))
    }

    /// Kafka's `newEmptyGroupMetadataRecord`, written when a JoinGroup creates a group but changes
    /// nothing else worth persisting.
    func emptyGroupMetadataRecord() -> CoordinatorRecord {
        .groupMetadata(group: groupID, GroupMetadataValue(
            protocolType: protocolType ?? "", generation: 0, protocol: nil, leader: nil,
            currentStateTimestamp: currentStateTimestamp ?? -1, members: []))
    }

    /// The group as Kafka's `replay(GroupMetadataKey, GroupMetadataValue)` rebuilds it.
    public init(groupID: String, loading value: GroupMetadataValue, offsetsTopicPartitions: Int32) {
        self.init(groupID: groupID, now: value.currentStateTimestamp == -1 ? nil : value.currentStateTimestamp,
                  offsetsTopicPartitions: offsetsTopicPartitions)
        state = value.members.isEmpty ? .empty : .stable
        generationID = value.generation
        protocolType = value.protocolType.isEmpty ? nil : value.protocolType
        protocolName = value.protocol
        for m in value.members {
            add(ClassicGroupMember(
                memberID: m.memberID, groupInstanceID: m.groupInstanceID, clientID: m.clientID,
                clientHost: m.clientHost,
                rebalanceTimeoutMs: m.rebalanceTimeout == -1 ? m.sessionTimeout : m.rebalanceTimeout,
                sessionTimeoutMs: m.sessionTimeout, protocolType: value.protocolType,
                supportedProtocols: [GroupProtocol(name: value.protocol ?? "", metadata: m.subscription)],
                assignment: m.assignment))
        }
        // `add` elects the first member; the record's leader wins, as Kafka sets it before adding.
        leaderID = value.leader ?? leaderID
        if let leader = leaderID, !hasMember(leader) { leaderID = memberOrder.first }
        subscribedTopics = computeSubscribedTopics()
    }
}
