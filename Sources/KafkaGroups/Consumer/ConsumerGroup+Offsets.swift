import KafkaProtocol

/// A consumer group's say over offsets (Kafka's `ConsumerGroup.validateOffsetCommit/Fetch/Delete`).
///
/// Members commit and fetch with their member id and current member epoch (OffsetCommit/OffsetFetch
/// v9+); a stale epoch is STALE_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID. Without a member
/// (epoch -1, as admin clients send) commits are taken only while the group has no members, and
/// fetches always. Offsets expire by their commit time unless a member subscribes to their topic.
extension ConsumerGroup {
    /// A transactional commit (TxnOffsetCommit) is not tied to OffsetCommit's versions, and a stale
    /// epoch is ILLEGAL_GENERATION for it, as in Kafka.
    public func validateOffsetCommit(memberID: String, memberEpoch: Int32, apiVersion: Int16, isTransactional: Bool = false) -> ErrorCode? {
        if memberEpoch < 0 && members.isEmpty { return nil }
        guard let member = members[memberID] else { return .unknownMemberID }
        if isTransactional { return memberEpoch == member.memberEpoch ? nil : .illegalGeneration }
        // Members of the consumer protocol must commit with v9+, which carries the member epoch.
        if apiVersion < 9 { return .unsupportedVersion }
        return memberEpoch == member.memberEpoch ? nil : .staleMemberEpoch
    }

    public func validateOffsetFetch(memberID: String?, memberEpoch: Int32) -> ErrorCode? {
        if memberID == nil && memberEpoch < 0 { return nil }
        guard let memberID, let member = members[memberID] else { return .unknownMemberID }
        return memberEpoch == member.memberEpoch ? nil : .staleMemberEpoch
    }

    /// Kafka's `validateDeleteGroup`: only an Empty consumer group may be deleted.
    public func validateDeleteGroup() -> ErrorCode? {
        state == .empty ? nil : .nonEmptyGroup
    }

    public var listedGroup: ListGroupsResponse.ListedGroup {
        .init(groupID: groupID, protocolType: "consumer", groupState: state.rawValue, groupType: "consumer")
    }
}

extension GroupCoordinator {
    mutating func commitConsumerGroupOffsets(_ request: OffsetCommitRequest, group: ConsumerGroup, version: Int16, now: Int64) -> GroupOutcome<OffsetCommitResponse> {
        if let error = group.validateOffsetCommit(memberID: request.memberID, memberEpoch: request.generationIDOrMemberEpoch, apiVersion: version) {
            return GroupOutcome(OffsetStore.commitError(request, error))
        }
        let (response, records) = OffsetStore.commit(request, config: config, now: now)
        guard !records.isEmpty else { return GroupOutcome(response) }
        apply(records)
        return GroupOutcome(response, actions: [.append(partition: group.partition, records)])
    }

    /// Offset retention for consumer groups: offsets of unsubscribed topics expire from their commit
    /// time; an Empty group left without offsets is deleted.
    mutating func expireConsumerGroupOffsets(now: Int64) -> [Int32: [CoordinatorRecord]] {
        var byPartition: [Int32: [CoordinatorRecord]] = [:]
        for id in consumerGroups.keys.sorted() {
            guard var group = consumerGroups[id] else { continue }
            let store = offsets[id] ?? OffsetStore()
            var records: [CoordinatorRecord] = []
            var allExpired = true
            for (topic, partition) in store.partitions {
                let o = store.offset(topic: topic, partition: partition)!
                if !group.isSubscribed(to: topic), o.isExpired(now: now, baseTimestamp: o.commitTimestamp, retentionMs: config.offsetsRetentionMs) {
                    records.append(.offsetCommit(group: id, topic: topic, partition: partition, nil))
                } else {
                    allExpired = false
                }
            }
            let deleteGroup = allExpired && group.state == .empty
            if deleteGroup { records += group.groupTombstones() }
            guard !records.isEmpty else { continue }
            apply(records, to: &group)
            consumerGroups[id] = deleteGroup ? nil : group
            byPartition[group.partition, default: []] += records
        }
        return byPartition
    }
}
