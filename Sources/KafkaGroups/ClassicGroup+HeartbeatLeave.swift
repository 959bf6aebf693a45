import KafkaProtocol

/// Heartbeat and LeaveGroup.
///
/// A heartbeat from a current member of the current generation renews its session; during
/// PreparingRebalance it is answered REBALANCE_IN_PROGRESS, telling the member to rejoin. LeaveGroup
/// (batched from v3; by instance id alone for administrative removal) removes members, which starts a
/// rebalance of a Stable or CompletingRebalance group, or lets a pending join phase finish.
extension ClassicGroup {
    public mutating func heartbeat(_ request: HeartbeatRequest, now: Int64) -> GroupOutcome<HeartbeatResponse> {
        var actions: [GroupAction] = []
        func respond(_ code: ErrorCode) -> GroupOutcome<HeartbeatResponse> {
            GroupOutcome(HeartbeatResponse(errorCode: code.rawValue), actions: actions)
        }
        if state == .dead { return respond(.coordinatorNotAvailable) }
        if let error = validateMember(request.memberID, instanceID: request.groupInstanceID) { return respond(error) }
        if request.generationID != generationID { return respond(.illegalGeneration) }
        switch state {
        case .empty, .dead:
            return respond(.unknownMemberID)
        case .preparingRebalance:
            rescheduleHeartbeat(request.memberID, timeoutMs: member(request.memberID)!.sessionTimeoutMs, now: now, actions: &actions)
            return respond(.rebalanceInProgress)
        case .completingRebalance, .stable:
            // Consumers may heartbeat between their JoinGroup and SyncGroup responses.
            rescheduleHeartbeat(request.memberID, timeoutMs: member(request.memberID)!.sessionTimeoutMs, now: now, actions: &actions)
            return respond(.noError)
        }
    }

    /// Handles LeaveGroup; below v3 the request's single member id is treated as a one-member batch and
    /// the answer is collapsed into the top-level error, as Kafka's `LeaveGroupResponse` does.
    public mutating func leave(
        _ request: LeaveGroupRequest, version: Int16, config: GroupCoordinatorConfig, now: Int64
    ) -> GroupOutcome<LeaveGroupResponse> {
        var actions: [GroupAction] = []
        if state == .dead {
            return GroupOutcome(LeaveGroupResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue))
        }
        var responses: [LeaveGroupResponse.MemberResponse] = []
        for identity in Self.identities(of: request, version: version) {
            let error = leaveOne(identity, actions: &actions)
            responses.append(.init(memberID: identity.memberID, groupInstanceID: identity.groupInstanceID, errorCode: error.rawValue))
        }
        if responses.contains(where: { $0.errorCode == ErrorCode.noError.rawValue }) {
            switch state {
            case .stable, .completingRebalance:
                maybePrepareRebalanceOrCompleteJoin(config: config, now: now, actions: &actions)
            case .preparingRebalance:
                maybeCompleteJoinPhase(config: config, now: now, actions: &actions)
            case .empty, .dead:
                break
            }
        }
        return GroupOutcome(LeaveGroupResponse.make(members: responses, version: version), actions: actions)
    }

    mutating func leaveOne(_ identity: LeaveGroupRequest.MemberIdentity, actions: inout [GroupAction]) -> ErrorCode {
        if identity.memberID.isEmpty {
            // Administrative removal by instance id alone.
            guard let instance = identity.groupInstanceID, let current = staticMembers[instance] else { return .unknownMemberID }
            removeLeavingMember(current, actions: &actions)
            return .noError
        }
        if isPendingMember(identity.memberID) {
            remove(identity.memberID)
            return .noError
        }
        if let error = validateMember(identity.memberID, instanceID: identity.groupInstanceID) { return error }
        removeLeavingMember(identity.memberID, actions: &actions)
        return .noError
    }

    mutating func removeLeavingMember(_ memberID: String, actions: inout [GroupAction]) {
        completeJoin(memberID, with: .joinError(.unknownMemberID, memberID: ""), actions: &actions)
        remove(memberID)
    }

    static func identities(of request: LeaveGroupRequest, version: Int16) -> [LeaveGroupRequest.MemberIdentity] {
        version >= 3 ? request.members : [.init(memberID: request.memberID)]
    }
}

extension LeaveGroupResponse {
    /// Per-member results from v3; below v3 the first member error becomes the top-level error.
    static func make(members: [MemberResponse], version: Int16) -> LeaveGroupResponse {
        if version >= 3 { return LeaveGroupResponse(members: members) }
        return LeaveGroupResponse(errorCode: members.first { $0.errorCode != 0 }?.errorCode ?? 0)
    }
}
