import KafkaProtocol

/// A classic (JoinGroup/SyncGroup) consumer group: Kafka's `ClassicGroup` as a pure value.
///
/// Invariants: `staticMembers` maps each static member's instance id to its current member id;
/// `leaderID` is a member whenever there are members and nil otherwise; a member id is never both a
/// member and in `pendingJoinMembers`; `pendingSyncMembers` ⊆ members. Inputs (`join`, `sync`,
/// `heartbeat`, `leave`, `timeout`) take `now` and return responses and `[GroupAction]`; nothing here
/// reads a clock or does I/O. Members keep their joining order, which makes leader re-election and the
/// protocol vote deterministic where Kafka's hash maps are not.
public struct ClassicGroup: Hashable, Sendable {
    public let groupID: String
    /// The `__consumer_offsets` partition this group's records go to.
    public let partition: Int32
    public internal(set) var state: ClassicGroupState
    public internal(set) var previousState: ClassicGroupState = .dead
    /// When the group entered `state` (ms); offsets of an Empty group expire relative to it.
    public internal(set) var currentStateTimestamp: Int64?
    /// Fixed by the first member; nil for a "simple" group that only commits offsets.
    public internal(set) var protocolType: String?
    /// The protocol selected for the current generation.
    public internal(set) var protocolName: String?
    public internal(set) var generationID: Int32 = 0
    public internal(set) var leaderID: String?

    var memberOrder: [String] = []
    var membersByID: [String: ClassicGroupMember] = [:]
    /// Instance id -> member id.
    public internal(set) var staticMembers: [String: String] = [:]
    /// Member ids handed out with MEMBER_ID_REQUIRED, each with the deadline for rejoining with it.
    public internal(set) var pendingJoinMembers: [String: Int64] = [:]
    /// Members that have not sent SyncGroup since the join phase completed.
    public internal(set) var pendingSyncMembers: Set<String> = []
    /// Topics the members subscribe to (consumer protocol only), computed at each new generation.
    public internal(set) var subscribedTopics: Set<String>?
    /// A member joined during the initial delay, which extends it.
    var newMemberAdded = false
    var joinTimer: JoinTimer?
    var syncTimer: SyncTimer?

    /// The join-phase timer: the initial delay of an Empty group's first rebalance, or the rebalance timeout.
    enum JoinTimer: Hashable, Sendable {
        case initialDelay(deadline: Int64, delayMs: Int32, remainingMs: Int32)
        case rebalance(deadline: Int64)

        var deadline: Int64 {
            switch self {
            case .initialDelay(let d, _, _), .rebalance(let d): d
            }
        }
    }

    struct SyncTimer: Hashable, Sendable {
        var deadline: Int64
        var generationID: Int32
    }

    /// A new Empty group, as Kafka creates one for a first JoinGroup or a simple offset commit.
    public init(groupID: String, now: Int64?, offsetsTopicPartitions: Int32) {
        self.groupID = groupID
        self.partition = CoordinatorPartitioner.partition(for: groupID, partitionCount: offsetsTopicPartitions)
        self.state = .empty
        self.currentStateTimestamp = now
    }

    // MARK: Members

    /// Members in joining order.
    public var members: [ClassicGroupMember] { memberOrder.compactMap { membersByID[$0] } }
    public var memberCount: Int { memberOrder.count }
    public func member(_ id: String) -> ClassicGroupMember? { membersByID[id] }
    public func hasMember(_ id: String) -> Bool { membersByID[id] != nil }
    public func isLeader(_ id: String) -> Bool { leaderID == id }
    public func isPendingMember(_ id: String) -> Bool { pendingJoinMembers[id] != nil }
    var awaitingJoinCount: Int { membersByID.values.count { $0.isAwaitingJoin } }

    /// The group's rebalance timeout: the largest of its members'.
    var rebalanceTimeoutMs: Int32 { membersByID.values.map(\.rebalanceTimeoutMs).max() ?? 0 }

    var hasAllMembersJoined: Bool {
        memberCount == awaitingJoinCount && pendingJoinMembers.isEmpty
    }

    var canRebalance: Bool { ClassicGroupState.preparingRebalance.validPreviousStates.contains(state) }

    var usesConsumerProtocol: Bool { protocolType == "consumer" }

    mutating func update(_ id: String, _ change: (inout ClassicGroupMember) -> Void) {
        guard var m = membersByID[id] else { return }
        change(&m)
        membersByID[id] = m
    }

    mutating func add(_ member: ClassicGroupMember) {
        if let instance = member.groupInstanceID { staticMembers[instance] = member.memberID }
        if memberOrder.isEmpty { protocolType = member.protocolType }
        if leaderID == nil { leaderID = member.memberID }
        memberOrder.append(member.memberID)
        membersByID[member.memberID] = member
        pendingJoinMembers[member.memberID] = nil
    }

    /// Removes a member (or pending member); a departing leader is replaced by the first remaining member.
    mutating func remove(_ id: String) {
        if let removed = membersByID.removeValue(forKey: id) {
            memberOrder.removeAll { $0 == id }
            if let instance = removed.groupInstanceID { staticMembers[instance] = nil }
        }
        if leaderID == id { leaderID = memberOrder.first }
        pendingJoinMembers[id] = nil
        pendingSyncMembers.remove(id)
    }

    mutating func transition(to next: ClassicGroupState, now: Int64) {
        assert(next.validPreviousStates.contains(state), "\(groupID): \(state) -> \(next)")
        previousState = state
        state = next
        currentStateTimestamp = now
    }

    // MARK: Protocols

    /// Kafka's `supportsProtocols`: an Empty group takes any non-empty type and protocol list; otherwise
    /// the type must match and one of the protocols must be supported by every member.
    func supportsProtocols(type: String, names: [String]) -> Bool {
        if state == .empty { return !type.isEmpty && !names.isEmpty }
        guard protocolType == type else { return false }
        return names.contains { name in membersByID.values.allSatisfy { m in m.supportedProtocols.contains { $0.name == name } } }
    }

    /// Kafka's vote: among the protocols every member supports, each member votes for its most preferred
    /// one, and the most votes win. Ties (Kafka: hash-map order) go to the leader's preference.
    func selectProtocol() -> String? {
        let all = members
        guard let first = all.first else { return nil }
        var candidates = Set(first.supportedProtocols.map(\.name))
        for m in all.dropFirst() { candidates.formIntersection(m.supportedProtocols.map(\.name)) }
        var votes: [String: Int] = [:]
        for m in all { if let v = m.vote(among: candidates) { votes[v, default: 0] += 1 } }
        guard let best = votes.values.max() else { return nil }
        let preference = (leaderID.flatMap { membersByID[$0] } ?? first).supportedProtocols.map(\.name)
        let tied = votes.filter { $0.value == best }.map(\.key)
        return preference.first { tied.contains($0) } ?? tied.min()
    }

    /// Kafka's `validateMember`: a static member must still own its instance id, and the member must exist.
    func validateMember(_ memberID: String, instanceID: String?) -> ErrorCode? {
        if let instanceID {
            guard let current = staticMembers[instanceID] else { return .unknownMemberID }
            if current != memberID { return .fencedInstanceID }
        }
        return hasMember(memberID) ? nil : .unknownMemberID
    }
}
