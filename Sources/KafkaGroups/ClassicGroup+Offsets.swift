import KafkaProtocol

/// The group's say over offset commits and deletes.
extension ClassicGroup {
    /// Kafka's `ClassicGroup.validateOffsetCommit`: a member of the current generation may commit (a
    /// regular commit not while the group awaits its assignment); a commit without member and
    /// generation ("simple", generation -1) only while the group is Empty, unless it is transactional
    /// (a producer that commits offsets without the group's membership).
    public func validateOffsetCommit(memberID: String, instanceID: String?, generationID: Int32, isTransactional: Bool = false) -> ErrorCode? {
        if state == .dead { return .coordinatorNotAvailable }
        if generationID < 0 && state == .empty { return nil }
        if generationID >= 0 || !memberID.isEmpty || instanceID != nil {
            if let error = validateMember(memberID, instanceID: instanceID) { return error }
            if generationID != self.generationID { return .illegalGeneration }
        } else if !isTransactional && state != .empty {
            return .unknownMemberID
        }
        if !isTransactional && state == .completingRebalance { return .rebalanceInProgress }
        return nil
    }

    /// Kafka's `validateOffsetDelete`: only Empty groups and consumer-protocol groups may delete offsets.
    public func validateOffsetDelete() -> ErrorCode? {
        switch state {
        case .dead: .groupIDNotFound
        case .stable, .preparingRebalance, .completingRebalance: usesConsumerProtocol ? nil : .nonEmptyGroup
        case .empty: nil
        }
    }

    /// Kafka's `validateDeleteGroup`: only an Empty group may be deleted.
    public func validateDeleteGroup() -> ErrorCode? {
        switch state {
        case .dead: .groupIDNotFound
        case .stable, .preparingRebalance, .completingRebalance: .nonEmptyGroup
        case .empty: nil
        }
    }

    /// An offset commit renews a member's session while the group is Stable or PreparingRebalance.
    mutating func renewSessionOnCommit(memberID: String, now: Int64, actions: inout [GroupAction]) {
        guard state == .stable || state == .preparingRebalance, let m = member(memberID) else { return }
        rescheduleHeartbeat(memberID, timeoutMs: m.sessionTimeoutMs, now: now, actions: &actions)
    }
}
