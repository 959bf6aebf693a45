import KafkaProtocol

/// The classic group coordinator: every group this broker coordinates and their committed offsets.
///
/// Pure: each input takes `now` and returns a response (or a `GroupReply`) plus `[GroupAction]` in the
/// order the shell must carry them out (see `GroupAction`). Durable state changes come out as
/// `__consumer_offsets` records; replaying them (`replay`, then `finishLoading`) rebuilds what Kafka would
/// rebuild. Offsets change only through those records, so live and reloaded offsets are identical.
///
/// The shell routes a group's requests here only if it leads the group's partition
/// (`partition(for:)`), answering NOT_COORDINATOR otherwise and COORDINATOR_LOAD_IN_PROGRESS while
/// the partition is being replayed.
public struct GroupCoordinator: Sendable {
    public let config: GroupCoordinatorConfig
    public internal(set) var groups: [String: ClassicGroup] = [:]
    /// Consumer (KIP-848) groups. A group id is either here or in `groups`, never both.
    public internal(set) var consumerGroups: [String: ConsumerGroup] = [:]
    public internal(set) var offsets: [String: OffsetStore] = [:]
    /// Offsets written by transactions that have not ended (TxnOffsetCommit), not yet in `offsets`.
    public internal(set) var transactionalOffsets = TransactionalOffsets()
    var memberIDs: MemberIDGenerator

    /// `seed` feeds the member id generator; the shell should pass a random value.
    public init(config: GroupCoordinatorConfig = GroupCoordinatorConfig(), seed: UInt64) {
        self.config = config
        self.memberIDs = MemberIDGenerator(seed: seed)
    }

    public func partition(for groupID: String) -> Int32 {
        CoordinatorPartitioner.partition(for: groupID, partitionCount: config.offsetsTopicPartitions)
    }

    // MARK: Membership

    /// JoinGroup. Creates the group when a member without an id joins an unknown group id.
    public mutating func join(_ request: JoinGroupRequest, context: GroupRequestContext, now: Int64) -> JoinOutcome {
        func fail(_ code: ErrorCode) -> JoinOutcome {
            JoinOutcome(.immediate(JoinGroupResponse.joinError(code, memberID: request.memberID).normalized(version: context.apiVersion)))
        }
        if request.groupID.isEmpty { return fail(.invalidGroupID) }
        if request.sessionTimeoutMs < config.minSessionTimeoutMs || request.sessionTimeoutMs > config.maxSessionTimeoutMs {
            return fail(.invalidSessionTimeout)
        }
        var records: [CoordinatorRecord] = []
        if let consumer = consumerGroups[request.groupID] {
            // Kafka without online migration: a consumer group refuses classic members; an Empty one
            // is deleted (keeping its offsets) and a classic group takes its place.
            guard consumer.state == .empty else { return fail(.inconsistentGroupProtocol) }
            if !request.memberID.isEmpty { return fail(.unknownMemberID) }
            records = consumer.groupTombstones()
            var c = consumer
            apply(records, to: &c)
            consumerGroups[request.groupID] = nil
        }
        let isNewGroup = groups[request.groupID] == nil
        if isNewGroup && !request.memberID.isEmpty { return fail(.unknownMemberID) }
        var group = groups[request.groupID]
            ?? ClassicGroup(groupID: request.groupID, now: now, offsetsTopicPartitions: config.offsetsTopicPartitions)
        var outcome = group.join(request, context: context, config: config, memberIDs: &memberIDs, now: now)
        if isNewGroup && !outcome.actions.contains(where: \.isAppend) {
            // Commit the new group to the log even when nothing else about it is persisted yet.
            outcome.actions.append(.append(partition: group.partition, [group.emptyGroupMetadataRecord()]))
        }
        if !records.isEmpty { outcome.actions.insert(.append(partition: group.partition, records), at: 0) }
        groups[request.groupID] = group
        return outcome
    }

    /// SyncGroup.
    public mutating func sync(_ request: SyncGroupRequest, context: GroupRequestContext, now: Int64) -> SyncOutcome {
        func fail(_ code: ErrorCode) -> SyncOutcome { SyncOutcome(.immediate(SyncGroupResponse(errorCode: code.rawValue))) }
        if request.groupID.isEmpty { return fail(.invalidGroupID) }
        // From v5 the client must name the protocol type and name (KafkaApis checks this).
        if context.apiVersion >= 5 && (request.protocolType == nil || request.protocolName == nil) {
            return fail(.inconsistentGroupProtocol)
        }
        guard var group = groups[request.groupID], group.state != .empty else { return fail(.unknownMemberID) }
        let outcome = group.sync(request, context: context, now: now)
        groups[request.groupID] = group
        return outcome
    }

    public mutating func heartbeat(_ request: HeartbeatRequest, now: Int64) -> GroupOutcome<HeartbeatResponse> {
        if request.groupID.isEmpty { return GroupOutcome(HeartbeatResponse(errorCode: ErrorCode.invalidGroupID.rawValue)) }
        guard var group = groups[request.groupID] else {
            return GroupOutcome(HeartbeatResponse(errorCode: ErrorCode.unknownMemberID.rawValue))
        }
        let outcome = group.heartbeat(request, now: now)
        groups[request.groupID] = group
        return outcome
    }

    public mutating func leave(_ request: LeaveGroupRequest, version: Int16, now: Int64) -> GroupOutcome<LeaveGroupResponse> {
        if request.groupID.isEmpty { return GroupOutcome(LeaveGroupResponse(errorCode: ErrorCode.invalidGroupID.rawValue)) }
        guard var group = groups[request.groupID] else {
            let unknown = ClassicGroup.identities(of: request, version: version).map {
                LeaveGroupResponse.MemberResponse(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, errorCode: ErrorCode.unknownMemberID.rawValue)
            }
            return GroupOutcome(LeaveGroupResponse.make(members: unknown, version: version))
        }
        let outcome = group.leave(request, version: version, config: config, now: now)
        groups[request.groupID] = group
        return outcome
    }

    // MARK: Timers

    /// The earliest timer deadline of any group; the shell calls `timeout(now:)` then.
    public var nextDeadline: Int64? {
        (groups.values.compactMap(\.nextDeadline) + consumerGroups.values.compactMap(\.nextDeadline)).min()
    }

    /// Fires every group timer due at `now`: session expiry, join-phase and sync deadlines.
    public mutating func timeout(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for id in groups.keys.sorted() {
            guard var group = groups[id], let d = group.nextDeadline, d <= now else { continue }
            actions += group.timeout(config: config, now: now)
            groups[id] = group
        }
        return actions + consumerGroupTimeouts(now: now)
    }
}

extension GroupAction {
    var isAppend: Bool {
        switch self {
        case .append, .appendTransactional: true
        default: false
        }
    }
}
