import KafkaGroups
import KafkaProtocol

/// OffsetFetch: a group's committed offsets, for the partitions asked or all of them. Forwarded to
/// `GroupCoordinatorService`. As Kafka checks it: a group the principal may not DESCRIBE is
/// GROUP_AUTHORIZATION_FAILED; of the partitions asked, those of topics it may not DESCRIBE are
/// TOPIC_AUTHORIZATION_FAILED; when all are asked, such topics are left out (each denial logged).
///
/// v10 (Kafka 4.2, KIP-848) names topics by id, in the request and the answer. Each id is resolved to
/// its topic's name in this node's metadata; an id no topic has is answered UNKNOWN_TOPIC_ID for each
/// partition asked (unless the group itself failed, whose error stands alone). When all topics are
/// asked, those the metadata no longer has (deleted since the commit) are left out: they have no id to
/// be named by, as Kafka leaves them out.
struct OffsetFetchHandler: RequestHandler {
    /// Every version Kafka 3.9 serves; v0 reads what `__consumer_offsets` holds, as v1 does. And
    /// Kafka 4.2's v10.
    static let versions: ClosedRange<Int16> = 0...10

    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse? {
        guard context.apiVersion >= 10 else { return await byName(request, context: context) }
        let image = metadata.image
        typealias Topic = OffsetFetchRequest.OffsetFetchRequestGroup.OffsetFetchRequestTopics
        var named = request
        var unknown: [String: [Topic]] = [:]
        for g in named.groups.indices {
            guard let topics = named.groups[g].topics else { continue }
            let groupID = named.groups[g].groupID
            named.groups[g].topics = topics.compactMap { topic in
                guard let name = image.topic(id: topic.topicID)?.name else {
                    unknown[groupID, default: []].append(topic)
                    return nil
                }
                var t = topic
                t.name = name
                return t
            }
        }
        var response = await byName(named, context: context)
        func unresolved(_ topics: [Topic]) -> [OffsetFetchResponse.OffsetFetchResponseGroup.OffsetFetchResponseTopics] {
            topics.map { t in
                .init(topicID: t.topicID, partitions: t.partitionIndexes.map {
                    GroupPartition(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: ErrorCode.unknownTopicID.rawValue)
                })
            }
        }
        for i in response.groups.indices {
            response.groups[i].topics = response.groups[i].topics.compactMap { topic in
                guard let id = image.topic(named: topic.name)?.id else { return nil }
                var t = topic
                t.topicID = id
                t.name = ""
                return t
            }
            if response.groups[i].errorCode == 0, let topics = unknown.removeValue(forKey: response.groups[i].groupID) {
                response.groups[i].topics += unresolved(topics)
            }
        }
        return response
    }

    /// The answer to `request`, whose topics are named.
    private func byName(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse {
        guard context.authorizer != nil else { return await groups.fetch(request, version: context.apiVersion) }
        return context.apiVersion < 8 ? await single(request, context: context) : await many(request, context: context)
    }

    typealias Partition = OffsetFetchResponse.OffsetFetchResponseTopic.OffsetFetchResponsePartition
    typealias GroupPartition = OffsetFetchResponse.OffsetFetchResponseGroup.OffsetFetchResponseTopics.OffsetFetchResponsePartitions

    /// One group (v1-7).
    private func single(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse {
        func failed(_ name: String, _ partitions: [Int32], _ code: ErrorCode) -> OffsetFetchResponse.OffsetFetchResponseTopic {
            .init(name: name, partitions: partitions.map { Partition(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: code.rawValue) })
        }
        guard context.authorize(.describe, .group, request.groupID) else {
            // v1 has no top-level error: each partition asked carries it; from v2 the top-level error alone.
            return OffsetFetchResponse(topics: context.apiVersion >= 2 ? []
                                           : (request.topics ?? []).map { failed($0.name, $0.partitionIndexes, .groupAuthorizationFailed) },
                                       errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        guard let asked = request.topics else {
            var response = await groups.fetch(request, version: context.apiVersion)
            response.topics.removeAll { !context.authorize(.describe, .topic, $0.name) }
            return response
        }
        let allowed = context.authorizedNames(.describe, .topic, asked.map(\.name))
        var mine = request
        mine.topics = asked.filter { allowed.contains($0.name) }
        var response = mine.topics!.isEmpty ? OffsetFetchResponse() : await groups.fetch(mine, version: context.apiVersion)
        // A group-level error stands alone, as in Kafka.
        for topic in asked where !allowed.contains(topic.name) && response.errorCode == 0 {
            response.topics.append(failed(topic.name, topic.partitionIndexes, .topicAuthorizationFailed))
        }
        return response
    }

    /// Several groups (v8+).
    private func many(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse {
        var mine = request
        var refused: [OffsetFetchResponse.OffsetFetchResponseGroup] = []
        var fetchAll: Set<String> = []
        mine.groups = request.groups.compactMap { group in
            guard context.authorize(.describe, .group, group.groupID) else {
                refused.append(.init(groupID: group.groupID, errorCode: ErrorCode.groupAuthorizationFailed.rawValue))
                return nil
            }
            guard let asked = group.topics else {
                fetchAll.insert(group.groupID)
                return group
            }
            let allowed = context.authorizedNames(.describe, .topic, asked.map(\.name))
            var g = group
            g.topics = asked.filter { allowed.contains($0.name) }
            let denied = asked.filter { !allowed.contains($0.name) }
            if !denied.isEmpty {
                refused.append(.init(groupID: group.groupID, topics: denied.map { t in
                    .init(name: t.name, partitions: t.partitionIndexes.map {
                        GroupPartition(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
                    })
                }))
            }
            return g
        }
        var response = mine.groups.isEmpty ? OffsetFetchResponse() : await groups.fetch(mine, version: context.apiVersion)
        for i in response.groups.indices where fetchAll.contains(response.groups[i].groupID) {
            response.groups[i].topics.removeAll { !context.authorize(.describe, .topic, $0.name) }
        }
        for extra in refused {
            if extra.errorCode == 0, let i = response.groups.firstIndex(where: { $0.groupID == extra.groupID && $0.errorCode == 0 }) {
                response.groups[i].topics += extra.topics
            } else if extra.errorCode == 0, response.groups.contains(where: { $0.groupID == extra.groupID }) {
                continue  // the group itself failed: its error stands for every partition
            } else {
                response.groups.append(extra)
            }
        }
        return response
    }
}
