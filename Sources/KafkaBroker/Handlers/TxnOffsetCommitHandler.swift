import KafkaGroups
import KafkaProtocol

/// TxnOffsetCommit (v0-4): a transactional producer commits a group's offsets within its transaction,
/// at the group's coordinator (see `GroupCoordinatorService.commitTransactional`); they become the
/// group's committed offsets when the transaction commits. Partitions not in the metadata get
/// UNKNOWN_TOPIC_OR_PARTITION, as in Kafka; the others are committed. Strings too long for a group
/// record are INVALID_REQUEST (`GroupRequestLimits`).
struct TxnOffsetCommitHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: TxnOffsetCommitRequest, context: RequestContext) async -> TxnOffsetCommitResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return GroupCoordinator.txnCommitError(request, .invalidRequest).logged(problem, context: context)
        }
        let image = metadata.image
        var known = request
        var missing: [TopicPartition] = []
        known.topics = request.topics.compactMap { topic in
            var t = topic
            t.partitions = topic.partitions.filter { p in
                let exists = image.topic(named: topic.name)?.partitions[p.partitionIndex] != nil
                if !exists { missing.append(TopicPartition(topic.name, p.partitionIndex)) }
                return exists
            }
            return t.partitions.isEmpty ? nil : t
        }
        var response = known.topics.isEmpty ? TxnOffsetCommitResponse() : await groups.commitTransactional(known)
        for tp in missing {
            let result = TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic.TxnOffsetCommitResponsePartition(
                partitionIndex: tp.partition, errorCode: ErrorCode.unknownTopicOrPartition.rawValue)
            if let i = response.topics.firstIndex(where: { $0.name == tp.topic }) {
                response.topics[i].partitions.append(result)
            } else {
                response.topics.append(.init(name: tp.topic, partitions: [result]))
            }
        }
        return response
    }
}
