import KafkaProtocol

/// JoinGroup, as Kafka's `GroupMetadataManager.classicGroupJoinToClassicGroup` handles it once the
/// group exists: new dynamic members get MEMBER_ID_REQUIRED from v4 (KIP-394); a static member that
/// rejoins with a new member id replaces its old id (KIP-345), without a rebalance when the group is
/// Stable and the selected protocol would not change; everything else parks until the join phase ends.
extension ClassicGroup {
    /// Handles a JoinGroup whose group id and session timeout the coordinator has already checked.
    public mutating func join(
        _ request: JoinGroupRequest, context: GroupRequestContext, config: GroupCoordinatorConfig,
        memberIDs: inout MemberIDGenerator, now: Int64
    ) -> JoinOutcome {
        var request = request
        // JoinGroup v0 has no rebalance timeout; Kafka uses the session timeout.
        if context.apiVersion == 0 { request.rebalanceTimeoutMs = request.sessionTimeoutMs }
        var actions: [GroupAction] = []
        let reply: GroupReply<JoinGroupResponse>
        if !acceptsJoiningMember(request.memberID, maxSize: config.maxGroupSize) {
            remove(request.memberID)
            reply = .immediate(.joinError(.groupMaxSizeReached, memberID: ""))
        } else if request.memberID.isEmpty {
            reply = joinNewMember(request, context: context, config: config, memberIDs: &memberIDs, now: now, actions: &actions)
        } else {
            reply = joinExistingMember(request, context: context, config: config, now: now, actions: &actions)
        }
        return Self.finish(reply, actions: actions, groupID: groupID, version: context.apiVersion)
    }

    /// A parked join answered within the same call becomes an immediate reply, sent after every action.
    static func finish(_ reply: GroupReply<JoinGroupResponse>, actions: [GroupAction], groupID: String, version: Int16) -> JoinOutcome {
        switch reply {
        case .immediate(let response):
            return JoinOutcome(.immediate(response.normalized(version: version)), actions: actions)
        case .parked(let memberID):
            var rest = actions
            let own = rest.firstIndex {
                if case .respondJoin(groupID, memberID, _) = $0 { true } else { false }
            }
            guard let own, case .respondJoin(_, _, let response) = rest.remove(at: own) else {
                return JoinOutcome(reply, actions: actions)
            }
            return JoinOutcome(.immediate(response), actions: rest)
        }
    }

    /// Kafka's `acceptJoiningMember`: existing members always; new ones up to `group.max.size`.
    func acceptsJoiningMember(_ memberID: String, maxSize: Int32) -> Bool {
        switch state {
        case .empty, .dead: true
        case .preparingRebalance:
            (member(memberID)?.isAwaitingJoin ?? false) || awaitingJoinCount < Int(maxSize)
        case .completingRebalance, .stable:
            hasMember(memberID) || memberCount < Int(maxSize)
        }
    }

    mutating func joinNewMember(
        _ request: JoinGroupRequest, context: GroupRequestContext, config: GroupCoordinatorConfig,
        memberIDs: inout MemberIDGenerator, now: Int64, actions: inout [GroupAction]
    ) -> GroupReply<JoinGroupResponse> {
        if state == .dead { return .immediate(.joinError(.coordinatorNotAvailable, memberID: "")) }
        guard supportsProtocols(type: request.protocolType, names: request.protocols.map(\.name)) else {
            return .immediate(.joinError(.inconsistentGroupProtocol, memberID: ""))
        }
        // The prefix is bounded: a 32 KB client id must not make a member id its records cannot hold.
        let newMemberID = String((request.groupInstanceID ?? context.clientID).prefix(255)) + "-" + memberIDs.next()
        if let instance = request.groupInstanceID {
            if let existing = staticMembers[instance] {
                return rejoinStaticMember(instance, oldMemberID: existing, newMemberID: newMemberID, request, context: context, config: config, now: now, actions: &actions)
            }
            return addMemberThenRebalanceOrCompleteJoin(newMemberID, request, context: context, config: config, now: now, actions: &actions)
        }
        if context.apiVersion >= 4 {
            // KIP-394: hand out the id and wait for the member to come back with it.
            let deadline = now + Int64(request.sessionTimeoutMs)
            pendingJoinMembers[newMemberID] = deadline
            actions.append(.scheduleTimeout(.heartbeat(groupID: groupID, memberID: newMemberID), deadline: deadline))
            return .immediate(.joinError(.memberIDRequired, memberID: newMemberID))
        }
        return addMemberThenRebalanceOrCompleteJoin(newMemberID, request, context: context, config: config, now: now, actions: &actions)
    }

    mutating func joinExistingMember(
        _ request: JoinGroupRequest, context: GroupRequestContext, config: GroupCoordinatorConfig,
        now: Int64, actions: inout [GroupAction]
    ) -> GroupReply<JoinGroupResponse> {
        let memberID = request.memberID
        if state == .dead { return .immediate(.joinError(.coordinatorNotAvailable, memberID: memberID)) }
        guard supportsProtocols(type: request.protocolType, names: request.protocols.map(\.name)) else {
            return .immediate(.joinError(.inconsistentGroupProtocol, memberID: memberID))
        }
        if isPendingMember(memberID) {
            // Kafka throws IllegalStateException here: pending ids are never handed to static members.
            if request.groupInstanceID != nil { return .immediate(.joinError(.unknownServerError, memberID: memberID)) }
            return addMemberThenRebalanceOrCompleteJoin(memberID, request, context: context, config: config, now: now, actions: &actions)
        }
        if let error = validateMember(memberID, instanceID: request.groupInstanceID) {
            var response = JoinGroupResponse.joinError(error, memberID: memberID)
            response.protocolName = nil
            return .immediate(response)
        }
        let matches = member(memberID)?.supportedProtocols == request.protocols.map(GroupProtocol.init)
        switch state {
        case .preparingRebalance:
            return updateMemberThenRebalanceOrCompleteJoin(request, version: context.apiVersion, config: config, now: now, actions: &actions)
        case .completingRebalance where matches:
            // The member missed its JoinGroup response: repeat the current generation's.
            return .immediate(currentJoinResponse(for: memberID, includeMembers: isLeader(memberID)))
        case .stable where matches && !isLeader(memberID):
            return .immediate(currentJoinResponse(for: memberID, includeMembers: false))
        case .completingRebalance, .stable:
            // Changed metadata, or the leader asking for a rebalance (e.g. after topic metadata changed).
            return updateMemberThenRebalanceOrCompleteJoin(request, version: context.apiVersion, config: config, now: now, actions: &actions)
        case .empty, .dead:
            return .immediate(.joinError(.unknownMemberID, memberID: memberID))
        }
    }

    mutating func addMemberThenRebalanceOrCompleteJoin(
        _ memberID: String, _ request: JoinGroupRequest, context: GroupRequestContext,
        config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]
    ) -> GroupReply<JoinGroupResponse> {
        var member = ClassicGroupMember(
            memberID: memberID, groupInstanceID: request.groupInstanceID, clientID: context.clientID,
            clientHost: context.clientHost, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            sessionTimeoutMs: request.sessionTimeoutMs, protocolType: request.protocolType,
            supportedProtocols: request.protocols.map(GroupProtocol.init))
        member.isNew = true
        member.awaitingJoinVersion = context.apiVersion
        if state == .preparingRebalance && previousState == .empty { newMemberAdded = true }
        add(member)
        // A parked new member cannot heartbeat; it is dropped if the rebalance outlasts this timeout.
        rescheduleHeartbeat(memberID, timeoutMs: config.newMemberJoinTimeoutMs, now: now, actions: &actions)
        maybePrepareRebalanceOrCompleteJoin(config: config, now: now, actions: &actions)
        return .parked(memberID: memberID)
    }

    mutating func updateMemberThenRebalanceOrCompleteJoin(
        _ request: JoinGroupRequest, version: Int16, config: GroupCoordinatorConfig, now: Int64,
        actions: inout [GroupAction]
    ) -> GroupReply<JoinGroupResponse> {
        update(request.memberID) {
            $0.supportedProtocols = request.protocols.map(GroupProtocol.init)
            $0.rebalanceTimeoutMs = request.rebalanceTimeoutMs
            $0.sessionTimeoutMs = request.sessionTimeoutMs
            $0.awaitingJoinVersion = version
        }
        maybePrepareRebalanceOrCompleteJoin(config: config, now: now, actions: &actions)
        return .parked(memberID: request.memberID)
    }

    /// The JoinGroup response describing the current generation.
    func currentJoinResponse(for memberID: String, includeMembers: Bool) -> JoinGroupResponse {
        JoinGroupResponse(
            generationID: generationID, protocolType: protocolType, protocolName: protocolName,
            leader: leaderID ?? "", memberID: memberID, members: includeMembers ? joinResponseMembers() : [])
    }

    /// Every member with its metadata for the selected protocol: what the leader assigns from.
    func joinResponseMembers() -> [JoinGroupResponse.JoinGroupResponseMember] {
        members.map {
            .init(memberID: $0.memberID, groupInstanceID: $0.groupInstanceID, metadata: protocolName.flatMap($0.metadata(for:)) ?? [])
        }
    }
}

extension JoinGroupResponse {
    static func joinError(_ code: ErrorCode, memberID: String) -> JoinGroupResponse {
        JoinGroupResponse(errorCode: code.rawValue, memberID: memberID)
    }

    /// Kafka's `JoinGroupResponse(data, version)`: below v7 a null protocol name is sent as "";
    /// from v7 an empty one is sent as null.
    func normalized(version: Int16) -> JoinGroupResponse {
        var r = self
        if version < 7 && r.protocolName == nil { r.protocolName = "" }
        if version >= 7 && r.protocolName == "" { r.protocolName = nil }
        return r
    }
}
