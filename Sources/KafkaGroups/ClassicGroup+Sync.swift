import KafkaProtocol

/// SyncGroup: after a join phase every member parks a SyncGroup; the leader's carries the assignment.
///
/// The leader's assignment is persisted as a GroupMetadataValue (with the group still in
/// CompletingRebalance, so the record carries that state's timestamp), then handed to every parked
/// member, and the group becomes Stable. Members missing from the leader's list get an empty assignment.
/// A SyncGroup to a Stable group returns the member's current assignment at once.
extension ClassicGroup {
    /// Handles a SyncGroup for this non-Empty group.
    public mutating func sync(_ request: SyncGroupRequest, context: GroupRequestContext, now: Int64) -> SyncOutcome {
        var actions: [GroupAction] = []
        if let error = validateSync(request) {
            return SyncOutcome(.immediate(SyncGroupResponse(errorCode: error.rawValue)))
        }
        let memberID = request.memberID
        switch state {
        case .preparingRebalance:
            return SyncOutcome(.immediate(SyncGroupResponse(errorCode: ErrorCode.rebalanceInProgress.rawValue)))
        case .completingRebalance:
            update(memberID) { $0.isAwaitingSync = true }
            removePendingSyncMember(memberID)
            if isLeader(memberID) {
                var assignments: [String: [UInt8]] = [:]
                for a in request.assignments { assignments[a.memberID] = a.assignment }
                for m in members where assignments[m.memberID] == nil { assignments[m.memberID] = [] }
                actions.append(.append(partition: partition, [groupMetadataRecord(assignments: assignments)]))
                for m in members { update(m.memberID) { $0.assignment = assignments[m.memberID] ?? [] } }
                propagateAssignment(error: .noError, now: now, actions: &actions)
                transition(to: .stable, now: now)
            }
            return Self.finishSync(memberID: memberID, groupID: groupID, actions: actions)
        case .stable:
            removePendingSyncMember(memberID)
            let response = SyncGroupResponse(
                protocolType: protocolType, protocolName: protocolName, assignment: member(memberID)?.assignment ?? [])
            return SyncOutcome(.immediate(response))
        case .empty, .dead:
            return SyncOutcome(.immediate(SyncGroupResponse(errorCode: ErrorCode.unknownMemberID.rawValue)))
        }
    }

    /// A parked sync answered within the same call becomes an immediate reply, sent after every action.
    static func finishSync(memberID: String, groupID: String, actions: [GroupAction]) -> SyncOutcome {
        var rest = actions
        let own = rest.firstIndex {
            if case .respondSync(groupID, memberID, _) = $0 { true } else { false }
        }
        guard let own, case .respondSync(_, _, let response) = rest.remove(at: own) else {
            return SyncOutcome(.parked(memberID: memberID), actions: actions)
        }
        return SyncOutcome(.immediate(response), actions: rest)
    }

    /// Kafka's `validateSyncGroup`.
    func validateSync(_ request: SyncGroupRequest) -> ErrorCode? {
        if state == .dead { return .coordinatorNotAvailable }
        if let error = validateMember(request.memberID, instanceID: request.groupInstanceID) { return error }
        if request.generationID != generationID { return .illegalGeneration }
        if Self.isInconsistent(request.protocolType, protocolType) || Self.isInconsistent(request.protocolName, protocolName) {
            return .inconsistentGroupProtocol
        }
        return nil
    }

    /// SyncGroup v5 names the protocol type and name; both must agree with the group's when both are known.
    static func isInconsistent(_ requested: String?, _ actual: String?) -> Bool {
        guard let requested, let actual else { return false }
        return requested != actual
    }

    mutating func removePendingSyncMember(_ memberID: String) {
        pendingSyncMembers.remove(memberID)
        if pendingSyncMembers.isEmpty { syncTimer = nil }
    }
}
