import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// The group APIs at the coordinator: each request enters the gate, is decided by the pure core with the
/// clock's time, and its actions are carried out (appends durable first) before the answer; a JoinGroup
/// or SyncGroup the core parks waits outside the gate until its group completes. Groups whose
/// `__consumer_offsets` partition this node does not lead get NOT_COORDINATOR.
extension GroupCoordinatorService {
    func join(_ request: JoinGroupRequest, context: GroupRequestContext) async -> JoinGroupResponse {
        await enter()
        guard owns(request.groupID) else {
            leave()
            return JoinGroupResponse(errorCode: ErrorCode.notCoordinator.rawValue)
        }
        let outcome = coordinator.join(request, context: context, now: clock.nowMs())
        await perform(outcome.actions)
        leave()
        switch outcome.response {
        case let .immediate(response): return response
        case let .parked(member):
            return await joins.wait(group: request.groupID, member: member,
                                    superseded: JoinGroupResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue, memberID: member))
        }
    }

    func sync(_ request: SyncGroupRequest, context: GroupRequestContext) async -> SyncGroupResponse {
        await enter()
        guard owns(request.groupID) else {
            leave()
            return SyncGroupResponse(errorCode: ErrorCode.notCoordinator.rawValue)
        }
        let outcome = coordinator.sync(request, context: context, now: clock.nowMs())
        await perform(outcome.actions)
        leave()
        switch outcome.response {
        case let .immediate(response): return response
        case let .parked(member):
            return await syncs.wait(group: request.groupID, member: member,
                                    superseded: SyncGroupResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue))
        }
    }

    func heartbeat(_ request: HeartbeatRequest) async -> HeartbeatResponse {
        await enter()
        defer { leave() }
        guard owns(request.groupID) else { return HeartbeatResponse(errorCode: ErrorCode.notCoordinator.rawValue) }
        let outcome = coordinator.heartbeat(request, now: clock.nowMs())
        await perform(outcome.actions)
        return outcome.response
    }

    func leave(_ request: LeaveGroupRequest, version: Int16) async -> LeaveGroupResponse {
        await enter()
        defer { leave() }
        guard owns(request.groupID) else { return LeaveGroupResponse(errorCode: ErrorCode.notCoordinator.rawValue) }
        let outcome = coordinator.leave(request, version: version, now: clock.nowMs())
        await perform(outcome.actions)
        return outcome.response
    }

    func commit(_ request: OffsetCommitRequest, version: Int16) async -> OffsetCommitResponse {
        await enter()
        defer { leave() }
        guard owns(request.groupID) else {
            return OffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: ErrorCode.notCoordinator.rawValue) })
            })
        }
        let outcome = coordinator.commitOffsets(request, version: version, now: clock.nowMs())
        await perform(outcome.actions)
        return outcome.response
    }

    func fetch(_ request: OffsetFetchRequest, version: Int16) async -> OffsetFetchResponse {
        await enter()
        defer { leave() }
        if version < 8 {
            guard owns(request.groupID) else { return OffsetFetchResponse(errorCode: ErrorCode.notCoordinator.rawValue) }
            return coordinator.fetchOffsets(request, version: version)
        }
        var response = coordinator.fetchOffsets(request, version: version)
        for i in response.groups.indices where !owns(response.groups[i].groupID) {
            response.groups[i] = .init(groupID: response.groups[i].groupID, topics: [], errorCode: ErrorCode.notCoordinator.rawValue)
        }
        return response
    }

    func deleteOffsets(_ request: OffsetDeleteRequest) async -> OffsetDeleteResponse {
        await enter()
        defer { leave() }
        let outcome = coordinator.deleteOffsets(request)
        await perform(outcome.actions)
        return outcome.response
    }

    func listGroups(_ request: ListGroupsRequest, version: Int16) async -> ListGroupsResponse {
        await enter()
        defer { leave() }
        return coordinator.listGroups(request, version: version)
    }

    func describeGroups(_ request: DescribeGroupsRequest) async -> DescribeGroupsResponse {
        await enter()
        defer { leave() }
        return coordinator.describeGroups(request)
    }

    func deleteGroups(_ request: DeleteGroupsRequest) async -> DeleteGroupsResponse {
        await enter()
        defer { leave() }
        let outcome = coordinator.deleteGroups(request)
        await perform(outcome.actions)
        return outcome.response
    }

    func consumerGroupHeartbeat(_ request: ConsumerGroupHeartbeatRequest, version: Int16, context: GroupRequestContext,
                                topics: TopicsImage) async -> ConsumerGroupHeartbeatResponse {
        await enter()
        defer { leave() }
        guard owns(request.groupID) else {
            return ConsumerGroupHeartbeatResponse(errorCode: ErrorCode.notCoordinator.rawValue, errorMessage: "This node does not coordinate the group.")
        }
        let outcome = coordinator.consumerGroupHeartbeat(request, version: version, context: context, topics: topics, now: clock.nowMs())
        guard await perform(outcome.actions) else {
            return ConsumerGroupHeartbeatResponse(errorCode: ErrorCode.notCoordinator.rawValue, errorMessage: "The group's records could not be written.")
        }
        return outcome.response
    }

    func describeConsumerGroups(_ request: ConsumerGroupDescribeRequest, topics: TopicsImage) async -> ConsumerGroupDescribeResponse {
        await enter()
        defer { leave() }
        return coordinator.describeConsumerGroups(request, topics: topics)
    }

    func topicsDeleted(_ deleted: [String: [Int32]]) async {
        await enter()
        defer { leave() }
        await perform(coordinator.onPartitionsDeleted(deleted))
    }
}
