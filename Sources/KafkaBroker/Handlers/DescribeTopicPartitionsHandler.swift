import KafkaController
import KafkaMetadata
import KafkaProtocol

/// DescribeTopicPartitions (KIP-966): topics' partitions with leader, leader epoch, replicas, ISR and
/// offline replicas, as Metadata reports them, and ELR and last known ELR, a page at a time (what
/// Kafka 3.9's admin client uses for `describeTopics`).
///
/// The topics named (sorted), or every topic when none is; those before the cursor's topic are skipped
/// and the cursor's topic starts at its partition. At most `responsePartitionLimit` partitions (at
/// least 1, at most Kafka's `max.request.partition.size.limit` default of 2,000) per answer;
/// `nextCursor` says where the next page starts. A named topic that does not exist is
/// UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an invalid name); listing all leaves out
/// nothing but what does not exist. A cursor whose topic is not among those named, or with a negative
/// partition, fails every topic with INVALID_REQUEST. Each partition also carries its eligible leader
/// replicas and last known ELR (KIP-966) as the image has them.
///
/// Authorization, as Kafka's: listing all leaves out the topics the principal may not DESCRIBE; a named
/// one it may not is TOPIC_AUTHORIZATION_FAILED. Each topic says what the principal may do with it.
struct DescribeTopicPartitionsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0
    /// Kafka's `max.request.partition.size.limit` default.
    static let maxPartitions: Int32 = 2_000

    let metadata: MetadataService

    func handle(_ request: DescribeTopicPartitionsRequest, context: RequestContext) async -> DescribeTopicPartitionsResponse? {
        Self.describe(request, image: metadata.image, context: context)
    }

    /// `context` decides what the principal may see (nil: everything).
    static func describe(_ request: DescribeTopicPartitionsRequest, image: MetadataImage,
                         context: RequestContext? = nil) -> DescribeTopicPartitionsResponse {
        let all = request.topics.isEmpty
        let cursorTopic = request.cursor?.topicName ?? ""
        let names = Set(all ? image.topicNames : request.topics.map(\.name)).filter { $0 >= cursorTopic }.sorted()
        if let cursor = request.cursor, (!all && !names.contains(cursor.topicName)) || cursor.partitionIndex < 0 {
            return DescribeTopicPartitionsResponse(topics: request.topics.map {
                .init(errorCode: ErrorCode.invalidRequest.rawValue, name: $0.name, topicID: .zero, partitions: [])
            })
        }
        var response = DescribeTopicPartitionsResponse()
        var remaining = Int(max(min(maxPartitions, request.responsePartitionLimit), 1))
        for name in names {
            if let context, !context.authorize(.describe, .topic, name) {
                if !all {
                    response.topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: name, topicID: .zero))
                }
                continue
            }
            guard remaining > 0 else {
                response.nextCursor = .init(topicName: name, partitionIndex: 0)
                break
            }
            guard let topic = image.topic(named: name) else {
                if !all {
                    let code: ErrorCode = TopicName.problem(with: name) == nil ? .unknownTopicOrPartition : .invalidTopicException
                    response.topics.append(.init(errorCode: code.rawValue, name: name, topicID: .zero,
                                                 isInternal: TopicName.internalTopics.contains(name)))
                }
                continue
            }
            let start = name == cursorTopic ? request.cursor?.partitionIndex ?? 0 : 0
            let indexes = topic.partitionIndexes.filter { $0 >= start }
            let page = indexes.prefix(remaining)
            response.topics.append(.init(
                errorCode: 0, name: name, topicID: topic.id, isInternal: TopicName.internalTopics.contains(name),
                partitions: page.map { index in
                    let p = topic.partitions[index]!
                    return .init(errorCode: 0, partitionIndex: index, leaderID: image.liveLeader(of: p), leaderEpoch: p.leaderEpoch,
                                 replicaNodes: p.replicas, isrNodes: p.isr, eligibleLeaderReplicas: p.elr, lastKnownElr: p.lastKnownElr,
                                 offlineReplicas: image.offlineReplicas(of: p))
                },
                topicAuthorizedOperations: context?.authorizedOperations(.topic, name) ?? AuthorizedOperations.all(of: .topic)))
            if page.count < indexes.count {
                response.nextCursor = .init(topicName: name, partitionIndex: indexes[page.count])
                break
            }
            remaining -= page.count
        }
        return response
    }
}
