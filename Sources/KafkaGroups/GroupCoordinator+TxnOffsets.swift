import KafkaProtocol

/// TxnOffsetCommit (KIP-98, with KIP-447's group metadata from v3): a transactional producer commits
/// a consumer group's offsets as part of its transaction. The offsets are written to the group's
/// `__consumer_offsets` partition in a transactional batch of the producer, kept pending
/// (``TransactionalOffsets``) and become the group's committed offsets when the producer's COMMIT
/// marker is written there (``replayEndTransaction(producerID:committed:partition:)``).
extension GroupCoordinator {
    /// Validates and records a TxnOffsetCommit (Kafka's `validateTransactionalOffsetCommit`): an unknown
    /// group is created as a simple group when the request names no generation (generation -1), else
    /// ILLEGAL_GENERATION; a named member must be in the group's current generation (KIP-447 fences
    /// zombies so: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION). Metadata over
    /// `offset.metadata.max.bytes` is OFFSET_METADATA_TOO_LARGE for its partition. The producer's
    /// epoch is the partition's to check when the batch is appended.
    public mutating func commitTransactionalOffsets(_ request: TxnOffsetCommitRequest, now: Int64) -> GroupOutcome<TxnOffsetCommitResponse> {
        let id = request.groupID
        let partition = partition(for: id)
        if let consumer = consumerGroups[id] {
            if let error = consumer.validateOffsetCommit(memberID: request.memberID, memberEpoch: request.generationID, apiVersion: 0,
                                                         isTransactional: true) {
                return GroupOutcome(Self.txnCommitError(request, error))
            }
        } else if let group = groups[id] {
            if let error = group.validateOffsetCommit(memberID: request.memberID, instanceID: request.groupInstanceID,
                                                      generationID: request.generationID, isTransactional: true) {
                return GroupOutcome(Self.txnCommitError(request, error))
            }
        } else if request.generationID >= 0 {
            return GroupOutcome(Self.txnCommitError(request, .illegalGeneration))
        }
        var records: [CoordinatorRecord] = []
        let topics = request.topics.map { topic in
            TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic(name: topic.name, partitions: topic.partitions.map { p in
                let metadata = p.committedMetadata ?? ""
                if metadata.utf16.count > config.offsetMetadataMaxSize {
                    return .init(partitionIndex: p.partitionIndex, errorCode: ErrorCode.offsetMetadataTooLarge.rawValue)
                }
                let offset = OffsetAndMetadata(offset: p.committedOffset,
                                               leaderEpoch: p.committedLeaderEpoch == -1 ? nil : p.committedLeaderEpoch,
                                               metadata: metadata, commitTimestamp: now)
                records.append(.offsetCommit(group: id, topic: topic.name, partition: p.partitionIndex, offset))
                return .init(partitionIndex: p.partitionIndex, errorCode: 0)
            })
        }
        let response = TxnOffsetCommitResponse(topics: topics)
        guard !records.isEmpty else { return GroupOutcome(response) }
        for record in records {
            do { try replay(record, producerID: request.producerID) } catch { preconditionFailure("a record written here failed to decode: \(error)") }
        }
        return GroupOutcome(response, actions: [.appendTransactional(partition: partition, producerID: request.producerID,
                                                                     producerEpoch: request.producerEpoch, records)])
    }

    /// Every partition of the request answered `code`.
    public static func txnCommitError(_ request: TxnOffsetCommitRequest, _ code: ErrorCode) -> TxnOffsetCommitResponse {
        TxnOffsetCommitResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
        })
    }

    /// OffsetFetch's `require_stable` (KIP-447): a partition with a transactional offset pending for
    /// the group answers UNSTABLE_OFFSET_COMMIT and offset -1 instead of its committed offset, so a
    /// consumer taking over from a transactional producer waits for the transaction to end.
    func markUnstable(_ topics: [OffsetStore.FetchTopic], group: String) -> [OffsetStore.FetchTopic] {
        guard !transactionalOffsets.isEmpty else { return topics }
        return topics.map { topic in
            var t = topic
            for i in t.partitions.indices where transactionalOffsets.hasPending(group: group, TopicPartition(t.name, t.partitions[i].partitionIndex)) {
                t.partitions[i] = .init(partitionIndex: t.partitions[i].partitionIndex, committedOffset: -1, committedLeaderEpoch: -1,
                                        metadata: "", errorCode: ErrorCode.unstableOffsetCommit.rawValue)
            }
            return t
        }
    }
}
