/// Consumer group timers: a member whose session expires is fenced, and so is a member still owing
/// revocations in the epoch its rebalance timeout was set for (Kafka's
/// `consumerGroupSessionTimeout`/`consumerGroupRebalanceTimeout`). Deadlines live in the group and
/// fire earliest first, each at its own deadline.
extension ConsumerGroup {
    /// The earliest deadline still set.
    var nextDeadline: Int64? {
        (Array(sessionDeadlines.values) + rebalanceDeadlines.values.map(\.deadline)).min()
    }

    /// The member whose timer is due first at `now`, if any.
    func earliestDueMember(now: Int64) -> (memberID: String, deadline: Int64)? {
        var best: (String, Int64)?
        for id in members.keys.sorted() {
            for d in [sessionDeadlines[id], rebalanceDeadlines[id]?.deadline].compactMap({ $0 }) where d <= now {
                if best == nil || d < best!.1 { best = (id, d) }
            }
        }
        return best
    }
}

extension GroupCoordinator {
    /// Fires every due consumer group timer: each expired member is fenced (tombstones and a new group
    /// epoch), one `.append` per group.
    mutating func consumerGroupTimeouts(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for id in consumerGroups.keys.sorted() {
            guard var group = consumerGroups[id], let first = group.nextDeadline, first <= now else { continue }
            var records: [CoordinatorRecord] = []
            while let (memberID, _) = group.earliestDueMember(now: now) {
                let member = group.members[memberID]!
                let sessionExpired = (group.sessionDeadlines[memberID] ?? .max) <= now
                let revocationExpired = group.rebalanceDeadlines[memberID].map {
                    $0.deadline <= now && $0.epoch == member.memberEpoch && member.state == .unrevokedPartitions
                } ?? false
                if sessionExpired || revocationExpired {
                    let fence = fenceRecords(memberID, in: group)
                    apply(fence, to: &group)
                    records += fence
                } else {
                    // A stale revocation deadline: the member moved on.
                    group.rebalanceDeadlines[memberID] = nil
                }
            }
            // Deadlines of members that are gone.
            group.sessionDeadlines = group.sessionDeadlines.filter { group.members[$0.key] != nil }
            group.rebalanceDeadlines = group.rebalanceDeadlines.filter { group.members[$0.key] != nil }
            consumerGroups[id] = group
            if !records.isEmpty { actions.append(.append(partition: group.partition, records)) }
        }
        return actions
    }
}
