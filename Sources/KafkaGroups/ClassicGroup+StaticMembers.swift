import KafkaProtocol

/// Static membership (KIP-345): a member with a `group.instance.id` keeps its place across restarts.
///
/// A restarted static member joins with an empty member id. The coordinator mints a new id, moves the
/// old member's place, assignment and client facts to it, and fences the old id: requests parked
/// under it are answered FENCED_INSTANCE_ID, and later requests carrying it get FENCED_INSTANCE_ID from
/// `validateMember`. In a Stable group whose selected protocol would not change, this needs no rebalance:
/// the new id is persisted and the member gets the current generation back.
extension ClassicGroup {
    mutating func rejoinStaticMember(
        _ instanceID: String, oldMemberID: String, newMemberID: String, _ request: JoinGroupRequest,
        context: GroupRequestContext, config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]
    ) -> GroupReply<JoinGroupResponse> {
        let currentLeader = leaderID
        replaceStaticMember(instanceID, oldMemberID: oldMemberID, newMemberID: newMemberID, actions: &actions)
        if let replaced = member(newMemberID) {
            rescheduleHeartbeat(newMemberID, timeoutMs: replaced.sessionTimeoutMs, now: now, actions: &actions)
        }
        update(newMemberID) {
            $0.supportedProtocols = request.protocols.map(GroupProtocol.init)
            $0.rebalanceTimeoutMs = request.rebalanceTimeoutMs
            $0.sessionTimeoutMs = request.sessionTimeoutMs
            $0.awaitingJoinVersion = context.apiVersion
        }
        switch state {
        case .stable where (protocolName ?? "") == selectProtocol():
            let assignments = Dictionary(uniqueKeysWithValues: members.map { ($0.memberID, $0.assignment) })
            actions.append(.append(partition: partition, [groupMetadataRecord(assignments: assignments)]))
            var response = currentJoinResponse(for: newMemberID, includeMembers: false)
            if context.apiVersion >= 9 {
                // KIP-814: a returning static leader gets the members but must not reassign.
                let leads = isLeader(newMemberID)
                response = currentJoinResponse(for: newMemberID, includeMembers: leads)
                response.skipAssignment = leads
            } else {
                // The old leader id, so a returning leader does not run a pointless assignment.
                response.leader = currentLeader ?? ""
            }
            completeJoin(newMemberID, with: response, actions: &actions)
        case .stable:
            maybePrepareRebalanceOrCompleteJoin(config: config, now: now, actions: &actions)
        case .completingRebalance:
            // The leader may already be assigning to the old id; rebalance so the new id gets a share.
            prepareRebalance(config: config, now: now, actions: &actions)
        case .preparingRebalance:
            maybeCompleteJoinPhase(config: config, now: now, actions: &actions)
        case .empty, .dead:
            // Kafka throws IllegalStateException: an Empty group has no static members to replace.
            return .immediate(.joinError(.unknownServerError, memberID: ""))
        }
        return .parked(memberID: newMemberID)
    }

    /// Kafka's `replaceStaticMember`: the new id takes the old member's place and facts; the old id is
    /// fenced out of any parked JoinGroup or SyncGroup.
    mutating func replaceStaticMember(
        _ instanceID: String, oldMemberID: String, newMemberID: String, actions: inout [GroupAction]
    ) {
        guard let old = member(oldMemberID) else { return }
        var fencedJoin = JoinGroupResponse.joinError(.fencedInstanceID, memberID: oldMemberID)
        fencedJoin.protocolName = nil
        completeJoin(oldMemberID, with: fencedJoin, actions: &actions)
        completeSync(oldMemberID, with: SyncGroupResponse(errorCode: ErrorCode.fencedInstanceID.rawValue), actions: &actions)

        let replacement = ClassicGroupMember(
            memberID: newMemberID, groupInstanceID: old.groupInstanceID, clientID: old.clientID,
            clientHost: old.clientHost, rebalanceTimeoutMs: old.rebalanceTimeoutMs,
            sessionTimeoutMs: old.sessionTimeoutMs, protocolType: old.protocolType,
            supportedProtocols: old.supportedProtocols, assignment: old.assignment)
        membersByID[oldMemberID] = nil
        membersByID[newMemberID] = replacement
        if let index = memberOrder.firstIndex(of: oldMemberID) { memberOrder[index] = newMemberID }
        if leaderID == oldMemberID { leaderID = newMemberID }
        staticMembers[instanceID] = newMemberID
    }
}
