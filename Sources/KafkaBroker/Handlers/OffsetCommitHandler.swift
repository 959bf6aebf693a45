import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// OffsetCommit: a group's committed offsets, written to `__consumer_offsets` by
/// `GroupCoordinatorService`. This handler also checks that each partition exists
/// (UNKNOWN_TOPIC_OR_PARTITION), which the pure coordinator cannot know; over-long strings are
/// INVALID_REQUEST (`GroupRequestLimits`). Needs READ on the group (else every partition is
/// GROUP_AUTHORIZATION_FAILED) and READ on each topic (else its partitions are TOPIC_AUTHORIZATION_FAILED,
/// decided before whether the topic exists).
///
/// v10 (Kafka 4.2, KIP-848) names topics by id, in the request and the answer: each id is resolved
/// to its topic's name in this node's metadata, after the group check and before everything else,
/// as Kafka does; an id no topic has is UNKNOWN_TOPIC_ID for each of its partitions. Offsets are
/// stored by name whatever the version, so v10 commits and v9 fetches see each other.
struct OffsetCommitHandler: RequestHandler {
    /// Every version Kafka 3.9 serves: v1 for sarama 1.22, v0 (no generation: a simple commit) for
    /// clients older still; stored in `__consumer_offsets` like the others. And Kafka 4.2's v10.
    static let versions: ClosedRange<Int16> = 0...10

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: OffsetCommitRequest, context: RequestContext) async -> OffsetCommitResponse? {
        let byID = context.apiVersion >= 10
        if let problem = GroupRequestLimits.problem(request) {
            return Self.failed(request.topics, .invalidRequest, byID: byID).logged(problem, context: context)
        }
        guard context.authorize(.read, .group, request.groupID) else {
            return Self.failed(request.topics, .groupAuthorizationFailed, byID: byID)
        }
        let image = metadata.image
        guard byID else { return await commit(request, image: image, context: context) }
        var named = request
        var unknown: [OffsetCommitRequest.OffsetCommitRequestTopic] = []
        var ids: [String: KafkaUUID] = [:]
        named.topics = request.topics.compactMap { topic in
            guard let name = image.topic(id: topic.topicID)?.name else {
                unknown.append(topic)
                return nil
            }
            ids[name] = topic.topicID
            var t = topic
            t.name = name
            return t
        }
        var response = named.topics.isEmpty ? OffsetCommitResponse() : await commit(named, image: image, context: context)
        for i in response.topics.indices {
            response.topics[i].topicID = ids[response.topics[i].name] ?? .zero
            response.topics[i].name = ""
        }
        // Kafka answers the unresolved ids first, as it knows them before the coordinator answers.
        response.topics = Self.failed(unknown, .unknownTopicID, byID: true).topics + response.topics
        return response
    }

    /// Commits the partitions of `request`, whose topics are named, that exist and the principal may
    /// READ; the others carry their error.
    private func commit(_ request: OffsetCommitRequest, image: MetadataImage, context: RequestContext) async -> OffsetCommitResponse {
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
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

    /// Every partition of `topics` with `code`, the topics named by id when `byID` (v10), else by name.
    static func failed(_ topics: [OffsetCommitRequest.OffsetCommitRequestTopic], _ code: ErrorCode, byID: Bool) -> OffsetCommitResponse {
        OffsetCommitResponse(topics: topics.map { t in
            .init(name: byID ? "" : t.name, topicID: byID ? t.topicID : .zero,
                  partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
        })
    }
}
