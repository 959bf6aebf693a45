import KafkaGroups
import KafkaProtocol

/// The classic consumer-group APIs, each a thin forward to `GroupCoordinatorService` (which owns
/// the rules, see `KafkaGroups`): JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4, LeaveGroup 0-5,
/// OffsetCommit 1-9, OffsetFetch 1-9, OffsetDelete 0, ListGroups 0-5, DescribeGroups 0-5,
/// DeleteGroups 0-2. Every group is coordinated by this node (see FindCoordinator).
extension RequestContext {
    var groupContext: GroupRequestContext {
        GroupRequestContext(apiVersion: apiVersion, clientID: clientID ?? "", clientHost: "/\(remoteAddress)")
    }
}

struct JoinGroupHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: JoinGroupRequest, context: RequestContext) async -> JoinGroupResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return JoinGroupResponse(errorCode: ErrorCode.invalidRequest.rawValue, memberID: "")
                .logged(problem, context: context)
        }
        return await groups.join(request, context: context.groupContext)
    }
}

struct SyncGroupHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: SyncGroupRequest, context: RequestContext) async -> SyncGroupResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return SyncGroupResponse(errorCode: ErrorCode.invalidRequest.rawValue).logged(problem, context: context)
        }
        return await groups.sync(request, context: context.groupContext)
    }
}

struct HeartbeatHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: HeartbeatRequest, context: RequestContext) async -> HeartbeatResponse? {
        await groups.heartbeat(request)
    }
}

struct LeaveGroupHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: LeaveGroupRequest, context: RequestContext) async -> LeaveGroupResponse? {
        await groups.leave(request, version: context.apiVersion)
    }
}

/// OffsetCommit also checks that each partition exists (UNKNOWN_TOPIC_OR_PARTITION), which the
/// pure coordinator cannot know.
struct OffsetCommitHandler: RequestHandler {
    let groups: GroupCoordinatorService
    let metadata: MetadataService

    func handle(_ request: OffsetCommitRequest, context: RequestContext) async -> OffsetCommitResponse? {
        if let problem = GroupRequestLimits.problem(request) {
            return OffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: ErrorCode.invalidRequest.rawValue) })
            }).logged(problem, context: context)
        }
        let image = metadata.image
        var known = request
        var missing: [(topic: String, partition: Int32)] = []
        known.topics = request.topics.compactMap { topic in
            var t = topic
            t.partitions = topic.partitions.filter { p in
                let exists = image.topic(named: topic.name)?.partitions[p.partitionIndex] != nil
                if !exists { missing.append((topic.name, p.partitionIndex)) }
                return exists
            }
            return t.partitions.isEmpty ? nil : t
        }
        var response = known.topics.isEmpty ? OffsetCommitResponse() : await groups.commit(known, version: context.apiVersion)
        for (topic, partition) in missing {
            let result = OffsetCommitResponse.OffsetCommitResponseTopic.OffsetCommitResponsePartition(
                partitionIndex: partition, errorCode: ErrorCode.unknownTopicOrPartition.rawValue)
            if let i = response.topics.firstIndex(where: { $0.name == topic }) {
                response.topics[i].partitions.append(result)
            } else {
                response.topics.append(.init(name: topic, partitions: [result]))
            }
        }
        return response
    }
}

struct OffsetFetchHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: OffsetFetchRequest, context: RequestContext) async -> OffsetFetchResponse? {
        await groups.fetch(request, version: context.apiVersion)
    }
}

struct OffsetDeleteHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: OffsetDeleteRequest, context: RequestContext) async -> OffsetDeleteResponse? {
        await groups.deleteOffsets(request)
    }
}

struct ListGroupsHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: ListGroupsRequest, context: RequestContext) async -> ListGroupsResponse? {
        await groups.listGroups(request, version: context.apiVersion)
    }
}

struct DescribeGroupsHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: DescribeGroupsRequest, context: RequestContext) async -> DescribeGroupsResponse? {
        var response = await groups.describeGroups(request)
        if context.apiVersion >= 3 && request.includeAuthorizedOperations {
            for i in response.groups.indices where response.groups[i].errorCode == 0 {
                response.groups[i].authorizedOperations = AuthorizedOperations.group
            }
        }
        return response
    }
}

struct DeleteGroupsHandler: RequestHandler {
    let groups: GroupCoordinatorService
    func handle(_ request: DeleteGroupsRequest, context: RequestContext) async -> DeleteGroupsResponse? {
        await groups.deleteGroups(request)
    }
}
