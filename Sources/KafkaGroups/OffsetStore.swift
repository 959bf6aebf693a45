import KafkaProtocol

/// One group's committed offsets, by topic and partition.
///
/// Changes happen only by replaying `OffsetCommitKey/Value` records (`apply`), live and on load alike, so a
/// reloaded store equals the one that wrote the records. The other methods are pure: they turn a request
/// into a response and the records to append.
public struct OffsetStore: Hashable, Sendable {
    public private(set) var offsets: [String: [Int32: OffsetAndMetadata]] = [:]

    public init() {}

    public var isEmpty: Bool { offsets.isEmpty }
    public var count: Int { offsets.values.reduce(0) { $0 + $1.count } }

    public func offset(topic: String, partition: Int32) -> OffsetAndMetadata? {
        offsets[topic]?[partition]
    }

    /// Replays one offset record: a value commits, nil (a tombstone) deletes.
    public mutating func apply(topic: String, partition: Int32, _ value: OffsetAndMetadata?) {
        if let value {
            offsets[topic, default: [:]][partition] = value
        } else {
            offsets[topic]?[partition] = nil
            if offsets[topic]?.isEmpty == true { offsets[topic] = nil }
        }
    }

    /// Every (topic, partition) in order of topic name, then partition.
    public var partitions: [(topic: String, partition: Int32)] {
        offsets.keys.sorted().flatMap { topic in offsets[topic]!.keys.sorted().map { (topic, $0) } }
    }

    // MARK: Commit

    /// The records and per-partition results of an OffsetCommit that passed validation.
    /// Metadata longer than `offset.metadata.max.bytes` is refused with OFFSET_METADATA_TOO_LARGE.
    static func commit(
        _ request: OffsetCommitRequest, config: GroupCoordinatorConfig, now: Int64
    ) -> (OffsetCommitResponse, [CoordinatorRecord]) {
        // An explicit retention (v2-v4) sets an expire timestamp; -1 means the broker's retention.
        // The retention comes from the client: the sum saturates rather than trapping.
        let expireTimestamp = request.retentionTimeMs == -1 ? nil
            : now.addingReportingOverflow(request.retentionTimeMs).overflow
                ? (request.retentionTimeMs > 0 ? Int64.max : Int64.min) : now + request.retentionTimeMs
        var records: [CoordinatorRecord] = []
        let topics = request.topics.map { topic in
            OffsetCommitResponse.OffsetCommitResponseTopic(name: topic.name, partitions: topic.partitions.map { p in
                let metadata = p.committedMetadata ?? ""
                if metadata.utf16.count > config.offsetMetadataMaxSize {
                    return .init(partitionIndex: p.partitionIndex, errorCode: ErrorCode.offsetMetadataTooLarge.rawValue)
                }
                let offset = OffsetAndMetadata(
                    offset: p.committedOffset,
                    leaderEpoch: p.committedLeaderEpoch == -1 ? nil : p.committedLeaderEpoch,
                    metadata: metadata,
                    // v1 may carry the client's commit time; otherwise the broker's.
                    commitTimestamp: p.commitTimestamp == -1 ? now : p.commitTimestamp,
                    expireTimestamp: expireTimestamp)
                records.append(.offsetCommit(group: request.groupID, topic: topic.name, partition: p.partitionIndex, offset))
                return .init(partitionIndex: p.partitionIndex, errorCode: 0)
            })
        }
        return (OffsetCommitResponse(topics: topics), records)
    }

    /// Every topic's and partition's result for `code`, as Kafka's `OffsetCommitRequest.getErrorResponse`.
    static func commitError(_ request: OffsetCommitRequest, _ code: ErrorCode) -> OffsetCommitResponse {
        OffsetCommitResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
        })
    }

    // MARK: Fetch

    public typealias FetchTopic = OffsetFetchResponse.OffsetFetchResponseGroup.OffsetFetchResponseTopics

    /// The committed offsets of `topics`, or of every partition when `topics` is nil. A partition without a
    /// commit answers offset -1, leader epoch -1, metadata "".
    public func fetch(_ topics: [OffsetFetchRequest.OffsetFetchRequestGroup.OffsetFetchRequestTopics]?) -> [FetchTopic] {
        guard let topics else {
            return offsets.keys.sorted().map { topic in
                FetchTopic(name: topic, partitions: offsets[topic]!.keys.sorted().map { Self.fetched($0, offsets[topic]![$0]) })
            }
        }
        return topics.map { t in
            FetchTopic(name: t.name, partitions: t.partitionIndexes.map { Self.fetched($0, offset(topic: t.name, partition: $0)) })
        }
    }

    static func fetched(_ partition: Int32, _ o: OffsetAndMetadata?) -> FetchTopic.OffsetFetchResponsePartitions {
        .init(partitionIndex: partition, committedOffset: o?.offset ?? -1, committedLeaderEpoch: o?.leaderEpoch ?? -1, metadata: o?.metadata ?? "")
    }

    // MARK: Delete and expire

    /// OffsetDelete for a group that may delete offsets: a topic the group is subscribed to is refused
    /// with GROUP_SUBSCRIBED_TO_TOPIC; other requested partitions are tombstoned if committed.
    func delete(_ request: OffsetDeleteRequest, isSubscribed: (String) -> Bool) -> (OffsetDeleteResponse, [CoordinatorRecord]) {
        var records: [CoordinatorRecord] = []
        let topics = request.topics.map { t in
            OffsetDeleteResponse.OffsetDeleteResponseTopic(name: t.name, partitions: t.partitions.map { p in
                if isSubscribed(t.name) {
                    return .init(partitionIndex: p.partitionIndex, errorCode: ErrorCode.groupSubscribedToTopic.rawValue)
                }
                if offset(topic: t.name, partition: p.partitionIndex) != nil {
                    records.append(.offsetCommit(group: request.groupID, topic: t.name, partition: p.partitionIndex, nil))
                }
                return .init(partitionIndex: p.partitionIndex, errorCode: 0)
            })
        }
        return (OffsetDeleteResponse(topics: topics), records)
    }

    /// Tombstones for every offset (DeleteGroups).
    func tombstones(groupID: String) -> [CoordinatorRecord] {
        partitions.map { .offsetCommit(group: groupID, topic: $0.topic, partition: $0.partition, nil) }
    }

    /// Kafka's `cleanupExpiredOffsets`: tombstones for the offsets that have expired, and whether none will
    /// remain. Topics the group is subscribed to never expire; nothing expires in a group without an
    /// expiration condition (e.g. a rebalancing one).
    func expire(group: ClassicGroup, now: Int64, retentionMs: Int64) -> (records: [CoordinatorRecord], allExpired: Bool) {
        if isEmpty { return ([], true) }
        guard group.hasOffsetExpirationCondition else { return ([], false) }
        var records: [CoordinatorRecord] = []
        var allExpired = true
        for (topic, partition) in partitions {
            let o = offsets[topic]![partition]!
            if !group.isSubscribed(to: topic), let base = group.offsetExpirationBase(o),
               o.isExpired(now: now, baseTimestamp: base, retentionMs: retentionMs) {
                records.append(.offsetCommit(group: group.groupID, topic: topic, partition: partition, nil))
            } else {
                allExpired = false
            }
        }
        return (records, allExpired)
    }
}
