import KafkaProtocol

/// OffsetCommit, OffsetFetch, OffsetDelete and offset retention.
extension GroupCoordinator {
    /// OffsetCommit. A commit with generation -1 to an unknown group creates a "simple" group (Empty, no
    /// protocol type); with a real generation it is ILLEGAL_GENERATION (GROUP_ID_NOT_FOUND from v9).
    /// Topic existence is the broker's check (UNKNOWN_TOPIC_OR_PARTITION) before calling this.
    public mutating func commitOffsets(_ request: OffsetCommitRequest, version: Int16, now: Int64) -> GroupOutcome<OffsetCommitResponse> {
        let id = request.groupID
        if let consumer = consumerGroups[id] {
            return commitConsumerGroupOffsets(request, group: consumer, version: version, now: now)
        }
        var group: ClassicGroup
        if let existing = groups[id] {
            group = existing
        } else if request.generationIDOrMemberEpoch < 0 {
            group = ClassicGroup(groupID: id, now: nil, offsetsTopicPartitions: config.offsetsTopicPartitions)
        } else {
            return GroupOutcome(OffsetStore.commitError(request, version >= 9 ? .groupIDNotFound : .illegalGeneration))
        }
        if let error = group.validateOffsetCommit(
            memberID: request.memberID, instanceID: request.groupInstanceID, generationID: request.generationIDOrMemberEpoch) {
            return GroupOutcome(OffsetStore.commitError(request, error))
        }
        var actions: [GroupAction] = []
        group.renewSessionOnCommit(memberID: request.memberID, now: now, actions: &actions)
        let (response, records) = OffsetStore.commit(request, config: config, now: now)
        // A simple group exists once it has an offset; it is not otherwise persisted.
        if groups[id] != nil || !records.isEmpty { groups[id] = group }
        if !records.isEmpty {
            apply(records)
            actions.append(.append(partition: group.partition, records))
        }
        return GroupOutcome(response, actions: actions)
    }

    /// One group's part of OffsetFetch (the whole request below v8, one entry of `groups` from v8).
    /// `topics` nil fetches every committed partition. An unknown group answers -1 for every partition.
    /// With `requireStable` (v7+), a partition with a transactional offset pending answers
    /// UNSTABLE_OFFSET_COMMIT (see ``markUnstable(_:group:)``).
    /// A consumer group checks the member id and epoch (v9+), answering the group's error code.
    public func fetchOffsets(_ request: OffsetFetchRequest.OffsetFetchRequestGroup, requireStable: Bool = false) -> OffsetFetchResponse.OffsetFetchResponseGroup {
        let id = request.groupID
        if let consumer = consumerGroups[id] {
            if let error = consumer.validateOffsetFetch(memberID: request.memberID, memberEpoch: request.memberEpoch) {
                return .init(groupID: id, topics: [], errorCode: error.rawValue)
            }
            let topics = (offsets[id] ?? OffsetStore()).fetch(request.topics)
            return .init(groupID: id, topics: requireStable ? markUnstable(topics, group: id) : topics)
        }
        let known = groups[id].map { $0.state != .dead } ?? false
        let store = known ? (offsets[id] ?? OffsetStore()) : OffsetStore()
        let topics = store.fetch(request.topics)
        return .init(groupID: id, topics: requireStable ? markUnstable(topics, group: id) : topics)
    }

    /// OffsetFetch in the shape of `version`: one group below v8, many from v8.
    public func fetchOffsets(_ request: OffsetFetchRequest, version: Int16) -> OffsetFetchResponse {
        if version >= 8 {
            return OffsetFetchResponse(groups: request.groups.map { fetchOffsets($0, requireStable: request.requireStable) })
        }
        let topics = request.topics.map { $0.map { OffsetFetchRequest.OffsetFetchRequestGroup.OffsetFetchRequestTopics(name: $0.name, partitionIndexes: $0.partitionIndexes) } }
        let group = fetchOffsets(.init(groupID: request.groupID, topics: topics), requireStable: request.requireStable)
        return OffsetFetchResponse(
            topics: group.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                          committedLeaderEpoch: $0.committedLeaderEpoch, metadata: $0.metadata, errorCode: $0.errorCode)
                })
            },
            errorCode: group.errorCode)
    }

    /// OffsetDelete: refused for unknown groups, for non-empty groups not using the consumer protocol,
    /// and, per partition, for topics a consumer group is subscribed to.
    public mutating func deleteOffsets(_ request: OffsetDeleteRequest) -> GroupOutcome<OffsetDeleteResponse> {
        func fail(_ code: ErrorCode) -> GroupOutcome<OffsetDeleteResponse> {
            GroupOutcome(OffsetDeleteResponse(errorCode: code.rawValue))
        }
        if request.groupID.isEmpty { return fail(.invalidGroupID) }
        if let consumer = consumerGroups[request.groupID] {
            let (response, records) = (offsets[request.groupID] ?? OffsetStore()).delete(request, isSubscribed: consumer.isSubscribed(to:))
            guard !records.isEmpty else { return GroupOutcome(response) }
            apply(records)
            return GroupOutcome(response, actions: [.append(partition: consumer.partition, records)])
        }
        guard let group = groups[request.groupID] else { return fail(.groupIDNotFound) }
        if let error = group.validateOffsetDelete() { return fail(error) }
        let (response, records) = (offsets[request.groupID] ?? OffsetStore()).delete(request, isSubscribed: group.isSubscribed(to:))
        guard !records.isEmpty else { return GroupOutcome(response) }
        apply(records)
        return GroupOutcome(response, actions: [.append(partition: group.partition, records)])
    }

    /// Offset retention (Kafka's `cleanupGroupMetadata`), meant to run every
    /// `offsets.retention.check.interval.ms`: tombstones for expired offsets, and for Empty groups left
    /// without offsets, one batch per partition.
    public mutating func expireOffsets(now: Int64) -> [GroupAction] {
        var byPartition: [Int32: [CoordinatorRecord]] = [:]
        for id in groups.keys.sorted() {
            guard let group = groups[id] else { continue }
            var (records, allExpired) = (offsets[id] ?? OffsetStore()).expire(group: group, now: now, retentionMs: config.offsetsRetentionMs)
            if allExpired && group.state == .empty { records.append(.groupMetadata(group: id, nil)) }
            guard !records.isEmpty else { continue }
            apply(records)
            byPartition[group.partition, default: []] += records
        }
        for (partition, records) in expireConsumerGroupOffsets(now: now) { byPartition[partition, default: []] += records }
        return byPartition.keys.sorted().map { .append(partition: $0, byPartition[$0]!) }
    }

    /// Kafka's `onPartitionsDeleted`: when topic partitions are deleted, every group's offsets for them are
    /// tombstoned, one batch per `__consumer_offsets` partition. `deleted` maps topic to partitions.
    public mutating func onPartitionsDeleted(_ deleted: [String: [Int32]]) -> [GroupAction] {
        var byPartition: [Int32: [CoordinatorRecord]] = [:]
        for id in offsets.keys.sorted() {
            guard let store = offsets[id] else { continue }
            var records: [CoordinatorRecord] = []
            for (topic, partition) in store.partitions where deleted[topic]?.contains(partition) == true {
                records.append(.offsetCommit(group: id, topic: topic, partition: partition, nil))
            }
            guard !records.isEmpty else { continue }
            apply(records)
            byPartition[partition(for: id), default: []] += records
        }
        return byPartition.keys.sorted().map { .append(partition: $0, byPartition[$0]!) }
    }
}
