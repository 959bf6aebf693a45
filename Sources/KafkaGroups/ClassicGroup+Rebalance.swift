import KafkaProtocol

/// The join phase: entering PreparingRebalance, and completing it into the next generation.
///
/// A rebalance of a non-empty group completes as soon as every member has rejoined (and no MEMBER_ID_REQUIRED
/// member is still out), or when the rebalance timeout (the largest member rebalance timeout) fires; members
/// that did not rejoin are then removed, unless static. The first rebalance of an Empty group never completes
/// early: it waits `group.initial.rebalance.delay.ms`, extended by further delays while new members keep
/// arriving, up to the rebalance timeout. Each completion increments the generation.
extension ClassicGroup {
    mutating func maybePrepareRebalanceOrCompleteJoin(config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]) {
        if canRebalance {
            prepareRebalance(config: config, now: now, actions: &actions)
        } else {
            maybeCompleteJoinPhase(config: config, now: now, actions: &actions)
        }
    }

    mutating func prepareRebalance(config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]) {
        // Members parked in SyncGroup must rejoin.
        if state == .completingRebalance {
            for id in memberOrder { update(id) { $0.assignment = [] } }
            propagateAssignment(error: .rebalanceInProgress, now: now, actions: &actions)
        }
        pendingSyncMembers.removeAll()
        syncTimer = nil

        let isInitialRebalance = state == .empty
        if isInitialRebalance {
            let delay = config.initialRebalanceDelayMs
            // The rebalance timeout is a client's (any Int32): subtract without trapping.
            let remaining = max(rebalanceTimeoutMs.subtractingReportingOverflow(delay).overflow ? 0 : rebalanceTimeoutMs - delay, 0)
            setJoinTimer(.initialDelay(deadline: now + Int64(delay), delayMs: delay, remainingMs: remaining), actions: &actions)
        }
        transition(to: .preparingRebalance, now: now)
        if !isInitialRebalance {
            if hasAllMembersJoined {
                completeJoinPhase(now: now, actions: &actions)
            } else {
                setJoinTimer(.rebalance(deadline: now + Int64(rebalanceTimeoutMs)), actions: &actions)
            }
        }
    }

    /// Completes the join phase if it can finish early: not the initial rebalance, and everyone is in.
    mutating func maybeCompleteJoinPhase(config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]) {
        guard state == .preparingRebalance, previousState != .empty, hasAllMembersJoined else { return }
        completeJoinPhase(now: now, actions: &actions)
    }

    /// Kafka's `completeClassicGroupJoin`.
    mutating func completeJoinPhase(now: Int64, actions: inout [GroupAction]) {
        joinTimer = nil
        for m in members where !m.isAwaitingJoin && !m.isStatic { remove(m.memberID) }
        if state == .dead { return }
        if !electJoinedLeader() && memberCount > 0 {
            // Nobody rejoined: wait another rebalance timeout for session expiry to clear the group.
            setJoinTimer(.rebalance(deadline: now + Int64(max(rebalanceTimeoutMs, 1))), actions: &actions)
            return
        }
        initNextGeneration(now: now)
        if state == .empty {
            actions.append(.append(partition: partition, [groupMetadataRecord(assignments: [:])]))
            return
        }
        for m in members {
            let response = currentJoinResponse(for: m.memberID, includeMembers: isLeader(m.memberID))
            completeJoin(m.memberID, with: response, actions: &actions)
            rescheduleHeartbeat(m.memberID, timeoutMs: m.sessionTimeoutMs, now: now, actions: &actions)
            update(m.memberID) { $0.isNew = false }
            pendingSyncMembers.insert(m.memberID)
        }
        syncTimer = SyncTimer(deadline: now + Int64(rebalanceTimeoutMs), generationID: generationID)
        actions.append(.scheduleTimeout(.sync(groupID: groupID), deadline: now + Int64(rebalanceTimeoutMs)))
    }

    /// Kafka's `maybeElectNewJoinedLeader`: keeps a leader that rejoined, else picks the first member that did.
    mutating func electJoinedLeader() -> Bool {
        guard let leader = leaderID, let current = member(leader) else { return false }
        if current.isAwaitingJoin { return true }
        guard let joined = members.first(where: \.isAwaitingJoin) else { return false }
        leaderID = joined.memberID
        return true
    }

    mutating func initNextGeneration(now: Int64) {
        generationID &+= 1
        if memberCount > 0 {
            protocolName = selectProtocol()
            subscribedTopics = computeSubscribedTopics()
            transition(to: .completingRebalance, now: now)
        } else {
            protocolName = nil
            subscribedTopics = computeSubscribedTopics()
            transition(to: .empty, now: now)
        }
        pendingSyncMembers.removeAll()
    }

    /// Answers every parked SyncGroup with the members' assignments, or with `error` and no assignment
    /// protocol fields; answered members get a fresh session.
    mutating func propagateAssignment(error: ErrorCode, now: Int64, actions: inout [GroupAction]) {
        for m in members {
            let response = SyncGroupResponse(
                errorCode: error.rawValue,
                protocolType: error == .noError ? protocolType : nil,
                protocolName: error == .noError ? protocolName : nil,
                assignment: m.assignment)
            if completeSync(m.memberID, with: response, actions: &actions) {
                rescheduleHeartbeat(m.memberID, timeoutMs: m.sessionTimeoutMs, now: now, actions: &actions)
            }
        }
    }

    /// Answers a member's parked JoinGroup, if it has one.
    @discardableResult
    mutating func completeJoin(_ memberID: String, with response: JoinGroupResponse, actions: inout [GroupAction]) -> Bool {
        guard let version = member(memberID)?.awaitingJoinVersion else { return false }
        actions.append(.respondJoin(groupID: groupID, memberID: memberID, response.normalized(version: version)))
        update(memberID) { $0.awaitingJoinVersion = nil }
        return true
    }

    /// Answers a member's parked SyncGroup, if it has one.
    @discardableResult
    mutating func completeSync(_ memberID: String, with response: SyncGroupResponse, actions: inout [GroupAction]) -> Bool {
        guard member(memberID)?.isAwaitingSync == true else { return false }
        actions.append(.respondSync(groupID: groupID, memberID: memberID, response))
        update(memberID) { $0.isAwaitingSync = false }
        return true
    }
}
