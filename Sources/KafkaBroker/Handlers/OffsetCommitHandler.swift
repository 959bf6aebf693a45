import KafkaGroups
import KafkaProtocol

/// OffsetCommit: a group's committed offsets, written to `__consumer_offsets` by
/// `GroupCoordinatorService`. This handler also checks that each partition exists
/// (UNKNOWN_TOPIC_OR_PARTITION), which the pure coordinator cannot know; over-long strings are
/// INVALID_REQUEST (`GroupRequestLimits`). Needs READ on the group (else every partition is
/// GROUP_AUTHORIZATION_FAILED) and READ on each topic (else its partitions are TOPIC_AUTHORIZATION_FAILED,
/// decided before whether the topic exists).
struct OffsetCommitHandler: RequestHandler {
    /// Every version Kafka 3.9 serves: v1 for sarama 1.22, v0 (no generation: a simple commit) for
    /// clients older still; stored in `__consumer_offsets` like the others.
    static let versions: ClosedRange<Int16> = 0...9

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: OffsetCommitRequest, context: RequestContext) async -> OffsetCommitResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return OffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: ErrorCode.invalidRequest.rawValue) })
            }).logged(problem, context: context)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            return Self.failed(request, .groupAuthorizationFailed)
        }
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        let image = metadata.image
        var known = request
        var missing: [(topic: String, partition: Int32, code: ErrorCode)] = []
        known.topics = request.topics.compactMap { topic in
            var t = topic
            t.partitions = topic.partitions.filter { p in
                guard readable.contains(topic.name) else {
                    missing.append((topic.name, p.partitionIndex, .topicAuthorizationFailed))
                    return false
                }
                let exists = image.topic(named: topic.name)?.partitions[p.partitionIndex] != nil
                if !exists { missing.append((topic.name, p.partitionIndex, .unknownTopicOrPartition)) }
                return exists
            }
            return t.partitions.isEmpty ? nil : t
        }
        var response = known.topics.isEmpty ? OffsetCommitResponse() : await context.parked { await groups.commit(known, version: context.apiVersion) }
        for (topic, partition, code) in missing {
            let result = OffsetCommitResponse.OffsetCommitResponseTopic.OffsetCommitResponsePartition(
                partitionIndex: partition, errorCode: code.rawValue)
            if let i = response.topics.firstIndex(where: { $0.name == topic }) {
                response.topics[i].partitions.append(result)
            } else {
                response.topics.append(.init(name: topic, partitions: [result]))
            }
        }
        return response
    }

    /// Every partition of the request with `code`.
    static func failed(_ request: OffsetCommitRequest, _ code: ErrorCode) -> OffsetCommitResponse {
        OffsetCommitResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
        })
    }
}
