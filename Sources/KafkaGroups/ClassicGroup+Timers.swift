import KafkaProtocol

/// The group's timers, kept as deadlines in the value and fired by `timeout(now:)`.
///
/// Four kinds, as in Kafka's coordinator timer: each member's session (removing it unless it heartbeats,
/// or is an existing member parked in a rebalance); each MEMBER_ID_REQUIRED member's wait; the join phase
/// (initial delay or rebalance timeout); the wait for SyncGroups. Due timers fire earliest first, each
/// with its own deadline as the time, as a timer wheel firing on time would; timers a firing sets that
/// are also due fire in the same call.
extension ClassicGroup {
    /// The earliest deadline still set.
    public var nextDeadline: Int64? {
        var all = [joinTimer?.deadline, syncTimer?.deadline].compactMap { $0 }
        all += membersByID.values.compactMap(\.heartbeatDeadline)
        all += pendingJoinMembers.values
        return all.min()
    }

    /// Fires every timer due at `now`.
    public mutating func timeout(config: GroupCoordinatorConfig, now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        while let (timer, deadline) = earliestDueTimer(now: now) {
            fire(timer, at: deadline, config: config, actions: &actions)
        }
        return actions
    }

    enum DueTimer { case join, sync, heartbeat(String), pending(String) }

    func earliestDueTimer(now: Int64) -> (DueTimer, Int64)? {
        var best: (DueTimer, Int64)?
        func consider(_ t: DueTimer, _ d: Int64?) {
            guard let d, d <= now else { return }
            if best == nil || d < best!.1 { best = (t, d) }
        }
        consider(.join, joinTimer?.deadline)
        consider(.sync, syncTimer?.deadline)
        for id in memberOrder { consider(.heartbeat(id), membersByID[id]?.heartbeatDeadline) }
        for id in pendingJoinMembers.keys.sorted() { consider(.pending(id), pendingJoinMembers[id]) }
        return best
    }

    mutating func fire(_ timer: DueTimer, at now: Int64, config: GroupCoordinatorConfig, actions: inout [GroupAction]) {
        switch timer {
        case .join:
            guard let join = joinTimer else { return }
            joinTimer = nil
            switch join {
            case .rebalance:
                completeJoinPhase(now: now, actions: &actions)
            case .initialDelay(_, let delay, let remaining):
                if newMemberAdded && remaining != 0 {
                    // More members keep arriving: wait a little longer, within the rebalance timeout.
                    newMemberAdded = false
                    let next = min(config.initialRebalanceDelayMs, remaining)
                    let left = max(remaining - delay, 0)
                    setJoinTimer(.initialDelay(deadline: now + Int64(next), delayMs: next, remainingMs: left), actions: &actions)
                } else {
                    completeJoinPhase(now: now, actions: &actions)
                }
            }
        case .sync:
            guard let sync = syncTimer else { return }
            syncTimer = nil
            expirePendingSync(generationID: sync.generationID, config: config, now: now, actions: &actions)
        case .heartbeat(let id):
            update(id) { $0.heartbeatDeadline = nil }
            expireHeartbeat(id, config: config, now: now, actions: &actions)
        case .pending(let id):
            pendingJoinMembers[id] = nil
            if state == .preparingRebalance && hasAllMembersJoined { completeJoinPhase(now: now, actions: &actions) }
        }
    }

    /// Kafka's `expireClassicGroupMemberHeartbeat` for a member.
    mutating func expireHeartbeat(_ memberID: String, config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]) {
        guard state != .dead, let m = member(memberID), !m.hasSatisfiedHeartbeat else { return }
        removeMemberAndUpdateGroup(memberID, config: config, now: now, actions: &actions)
    }

    /// Removes a member that failed or left; a parked JoinGroup of it gets UNKNOWN_MEMBER_ID so a live
    /// client rejoins.
    mutating func removeMemberAndUpdateGroup(_ memberID: String, config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]) {
        completeJoin(memberID, with: .joinError(.unknownMemberID, memberID: ""), actions: &actions)
        remove(memberID)
        switch state {
        case .stable, .completingRebalance:
            maybePrepareRebalanceOrCompleteJoin(config: config, now: now, actions: &actions)
        case .preparingRebalance where hasAllMembersJoined:
            completeJoinPhase(now: now, actions: &actions)
        default:
            break
        }
    }

    /// Kafka's `expirePendingSync`: members that never sent SyncGroup are removed and the group rebalances.
    mutating func expirePendingSync(generationID expected: Int32, config: GroupCoordinatorConfig, now: Int64, actions: inout [GroupAction]) {
        guard expected == generationID, state == .completingRebalance || state == .stable, !pendingSyncMembers.isEmpty else { return }
        for id in pendingSyncMembers.sorted() { remove(id) }
        prepareRebalance(config: config, now: now, actions: &actions)
    }

    mutating func rescheduleHeartbeat(_ memberID: String, timeoutMs: Int32, now: Int64, actions: inout [GroupAction]) {
        let deadline = now + Int64(timeoutMs)
        update(memberID) { $0.heartbeatDeadline = deadline }
        actions.append(.scheduleTimeout(.heartbeat(groupID: groupID, memberID: memberID), deadline: deadline))
    }

    mutating func setJoinTimer(_ timer: JoinTimer, actions: inout [GroupAction]) {
        joinTimer = timer
        actions.append(.scheduleTimeout(.join(groupID: groupID), deadline: timer.deadline))
    }
}
