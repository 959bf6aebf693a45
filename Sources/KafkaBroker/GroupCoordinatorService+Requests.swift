import KafkaGroups
import KafkaMetadata
import KafkaProtocol

/// The group APIs at the coordinator: each request enters the gate, is decided by the pure core with the
/// clock's time, and its actions are carried out (appends durable in this leader's log); then, outside
/// the gate, its reply waits until its groups' partitions are committed up to what was written to them
/// (``GroupCoordinatorService/settle(_:)``), and carries Kafka's error when that fails. A JoinGroup or
/// SyncGroup the core parks waits outside the gate until its group completes. Groups whose
/// `__consumer_offsets` partition this node does not lead get NOT_COORDINATOR.
extension GroupCoordinatorService {
    func join(_ request: JoinGroupRequest, context: GroupRequestContext) async -> JoinGroupResponse {
        func failure(_ code: ErrorCode) -> JoinGroupResponse {
            var r = JoinGroupResponse(errorCode: code.rawValue, memberID: request.memberID)
            r.protocolName = context.apiVersion < 7 ? "" : nil
            return r
        }
        await enter()
        let partition = coordinator.partition(for: request.groupID)
        guard owns(partition: partition) else {
            leave()
            return failure(.notCoordinator)
        }
        let outcome = coordinator.join(request, context: context, now: clock.nowMs())
        let turn = finish(await perform(outcome.actions), for: [partition])
        leave()
        if let code = await settle(turn)[partition] {
            // An answer the partition's unload may have kept for this member goes with the request.
            if case let .parked(member) = outcome.response { joins.discard(group: request.groupID, member: member) }
            return failure(code)
        }
        switch outcome.response {
        case let .immediate(response): return response
        case let .parked(member):
            return await joins.wait(group: request.groupID, member: member,
                                    superseded: JoinGroupResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue, memberID: member))
        }
    }

    func sync(_ request: SyncGroupRequest, context: GroupRequestContext) async -> SyncGroupResponse {
        await enter()
        let partition = coordinator.partition(for: request.groupID)
        guard owns(partition: partition) else {
            leave()
            return SyncGroupResponse(errorCode: ErrorCode.notCoordinator.rawValue)
        }
        let outcome = coordinator.sync(request, context: context, now: clock.nowMs())
        let turn = finish(await perform(outcome.actions), for: [partition])
        leave()
        if let code = await settle(turn)[partition] {
            if case let .parked(member) = outcome.response { syncs.discard(group: request.groupID, member: member) }
            return SyncGroupResponse(errorCode: code.rawValue)
        }
        switch outcome.response {
        case let .immediate(response): return response
        case let .parked(member):
            return await syncs.wait(group: request.groupID, member: member,
                                    superseded: SyncGroupResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue))
        }
    }

    func heartbeat(_ request: HeartbeatRequest) async -> HeartbeatResponse {
        await single(request.groupID, error: { HeartbeatResponse(errorCode: $0.rawValue) }) { core, now in
            let outcome = core.heartbeat(request, now: now)
            return (outcome.response, outcome.actions)
        }
    }

    func leave(_ request: LeaveGroupRequest, version: Int16) async -> LeaveGroupResponse {
        await single(request.groupID, error: { LeaveGroupResponse(errorCode: $0.rawValue) }) { core, now in
            let outcome = core.leave(request, version: version, now: now)
            return (outcome.response, outcome.actions)
        }
    }

    func commit(_ request: OffsetCommitRequest, version: Int16) async -> OffsetCommitResponse {
        await single(request.groupID, error: { code in
            OffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
            })
        }) { core, now in
            let outcome = core.commitOffsets(request, version: version, now: now)
            return (outcome.response, outcome.actions)
        }
    }

    /// TxnOffsetCommit: the offsets are written in a transactional batch of the producer and wait for
    /// its marker (see `GroupCoordinator.commitTransactionalOffsets`). A producer whose epoch the
    /// partition has seen bumped gets INVALID_PRODUCER_EPOCH, as from Kafka's append.
    func commitTransactional(_ request: TxnOffsetCommitRequest) async -> TxnOffsetCommitResponse {
        await single(request.groupID, error: { GroupCoordinator.txnCommitError(request, $0) }) { core, now in
            let outcome = core.commitTransactionalOffsets(request, now: now)
            return (outcome.response, outcome.actions)
        }
    }

    /// A COMMIT or ABORT marker of `producerID` was written to `__consumer_offsets` partition
    /// `partition` (Kafka's `onTransactionCompleted`): its pending offsets there become committed or are
    /// dropped. Nothing to do unless this node coordinates the partition (a later load replays the
    /// marker from the log).
    func transactionCompleted(partition: Int32, producerID: Int64, committed: Bool) async {
        await enter()
        if owns(partition: partition) {
            coordinator.replayEndTransaction(producerID: producerID, committed: committed, partition: partition)
        }
        leave()
    }

    func fetch(_ request: OffsetFetchRequest, version: Int16) async -> OffsetFetchResponse {
        if version < 8 {
            return await single(request.groupID, error: { OffsetFetchResponse(errorCode: $0.rawValue) }) { core, _ in
                (core.fetchOffsets(request, version: version), [])
            }
        }
        return await many(request.groups.map(\.groupID), decide: { core, _ in (core.fetchOffsets(request, version: version), []) },
                          failed: { response, failures in
            for i in response.groups.indices {
                if let code = failures[response.groups[i].groupID] {
                    response.groups[i] = .init(groupID: response.groups[i].groupID, topics: [], errorCode: code.rawValue)
                }
            }
        })
    }

    func deleteOffsets(_ request: OffsetDeleteRequest) async -> OffsetDeleteResponse {
        await single(request.groupID, error: { OffsetDeleteResponse(errorCode: $0.rawValue) }) { core, _ in
            let outcome = core.deleteOffsets(request)
            return (outcome.response, outcome.actions)
        }
    }

    /// Lists the groups of the partitions this node coordinates, once what was written to them is
    /// committed. As Kafka's ListGroups over its coordinators: the groups of a partition whose
    /// leadership ended meanwhile are left out; any other failure is the answer's error.
    func listGroups(_ request: ListGroupsRequest, version: Int16) async -> ListGroupsResponse {
        await enter()
        var response = coordinator.listGroups(request, version: version)
        let turn = finish(Performed(), for: Set(loaded.keys))
        leave()
        let failures = await settle(turn)
        if let other = failures.values.first(where: { $0 != .notCoordinator }) { return ListGroupsResponse(errorCode: other.rawValue) }
        response.groups.removeAll { failures[CoordinatorPartitioner.partition(for: $0.groupID, partitionCount: partitions)] != nil }
        return response
    }

    func describeGroups(_ request: DescribeGroupsRequest, version: Int16) async -> DescribeGroupsResponse {
        await many(request.groups, decide: { core, _ in (core.describeGroups(request, version: version), []) }, failed: { response, failures in
            for i in response.groups.indices {
                if let code = failures[response.groups[i].groupID] {
                    response.groups[i] = .init(errorCode: code.rawValue, groupID: response.groups[i].groupID)
                }
            }
        })
    }

    func deleteGroups(_ request: DeleteGroupsRequest) async -> DeleteGroupsResponse {
        await many(request.groupsNames, decide: { core, owned in
            var mine = request
            mine.groupsNames = request.groupsNames.filter { owned.contains($0) }
            let outcome = core.deleteGroups(mine)
            var response = outcome.response
            // The groups of other coordinators keep their place in the answer; `failed` gives them their error.
            let decided = Dictionary(response.results.map { ($0.groupID, $0) }, uniquingKeysWith: { a, _ in a })
            response.results = request.groupsNames.map { decided[$0] ?? .init(groupID: $0) }
            return (response, outcome.actions)
        }, failed: { response, failures in
            for i in response.results.indices {
                if let code = failures[response.results[i].groupID] { response.results[i].errorCode = code.rawValue }
            }
        })
    }

    func consumerGroupHeartbeat(_ request: ConsumerGroupHeartbeatRequest, version: Int16, context: GroupRequestContext,
                                topics: TopicsImage) async -> ConsumerGroupHeartbeatResponse {
        await single(request.groupID, error: { code in
            ConsumerGroupHeartbeatResponse(errorCode: code.rawValue, errorMessage: code == .notCoordinator
                ? "This node does not coordinate the group." : "The group's records could not be committed.")
        }) { core, now in
            let outcome = core.consumerGroupHeartbeat(request, version: version, context: context, topics: topics, now: now)
            return (outcome.response, outcome.actions)
        }
    }

    func describeConsumerGroups(_ request: ConsumerGroupDescribeRequest, topics: TopicsImage) async -> ConsumerGroupDescribeResponse {
        await many(request.groupIDs, decide: { core, _ in (core.describeConsumerGroups(request, topics: topics), []) },
                   failed: { response, failures in
            for i in response.groups.indices {
                if let code = failures[response.groups[i].groupID] {
                    response.groups[i] = .init(errorCode: code.rawValue, groupID: response.groups[i].groupID)
                }
            }
        })
    }

    func topicsDeleted(_ deleted: [String: [Int32]]) async {
        await enter()
        let turn = finish(await perform(coordinator.onPartitionsDeleted(deleted)), for: [])
        leave()
        _ = await settle(turn)
    }

    // MARK: One turn

    /// A request about one group: NOT_COORDINATOR unless this node coordinates it; else `decide` runs
    /// in the gate, its actions are carried out, and the reply waits outside the gate until the group's
    /// partition is committed; a failure is answered with `error`.
    private func single<Response>(_ groupID: String, error: (ErrorCode) -> Response,
                                  decide: (inout GroupCoordinator, Int64) -> (Response, [GroupAction])) async -> Response {
        await enter()
        let partition = coordinator.partition(for: groupID)
        guard owns(partition: partition) else {
            leave()
            return error(.notCoordinator)
        }
        let (response, actions) = decide(&coordinator, clock.nowMs())
        let turn = finish(await perform(actions), for: [partition])
        leave()
        if let code = await settle(turn)[partition] { return error(code) }
        return response
    }

    /// A request about several groups: `decide` runs in the gate with the ids of those this node
    /// coordinates; the reply waits until their partitions are committed; `failed` then gives each group
    /// it did not coordinate NOT_COORDINATOR, and each group whose partition failed its error.
    private func many<Response>(_ groupIDs: [String], decide: (inout GroupCoordinator, Set<String>) -> (Response, [GroupAction]),
                                failed: (inout Response, [String: ErrorCode]) -> Void) async -> Response {
        await enter()
        let byGroup = Dictionary(groupIDs.map { ($0, coordinator.partition(for: $0)) }, uniquingKeysWith: { a, _ in a })
        let owned = Set(byGroup.filter { owns(partition: $0.value) }.keys)
        var (response, actions) = decide(&coordinator, owned)
        let turn = finish(await perform(actions), for: Set(owned.compactMap { byGroup[$0] }))
        leave()
        let failures = await settle(turn)
        var byID: [String: ErrorCode] = [:]
        for (group, partition) in byGroup {
            if !owned.contains(group) { byID[group] = .notCoordinator } else if let code = failures[partition] { byID[group] = code }
        }
        if !byID.isEmpty { failed(&response, byID) }
        return response
    }
}
