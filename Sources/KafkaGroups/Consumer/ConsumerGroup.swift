import KafkaProtocol

/// A consumer (KIP-848) group: Kafka's `ConsumerGroup` as a value.
///
/// Three epochs drive it. The group epoch moves whenever the group's desired state changes (a member
/// joins, leaves or changes its subscription, or a subscribed topic changes); the target assignment
/// is recomputed for it and then carries the same epoch (`assignmentEpoch`); each member then
/// reconciles towards the target at its own pace, reaching `memberEpoch == assignmentEpoch`.
///
/// Invariants: every durable field changes only by replaying `__consumer_offsets` records
/// (`replay`), so a live group and one reloaded from its records are equal; `partitionEpochs` maps
/// every partition some member holds (assigned or pending revocation) to that member's epoch, and a
/// partition is given to a new owner only once it is absent there; `staticMembers` maps each instance
/// id to its member. Deadlines (sessions, revocations) are not persisted.
public struct ConsumerGroup: Hashable, Sendable {
    /// Kafka's `ConsumerGroupState`, spelled as Kafka prints it.
    public enum State: String, Hashable, Sendable {
        case empty = "Empty", assigning = "Assigning", reconciling = "Reconciling", stable = "Stable", dead = "Dead"
    }

    public let groupID: String
    /// The `__consumer_offsets` partition of the group's records.
    public let partition: Int32
    public internal(set) var groupEpoch: Int32 = 0
    /// The epoch of `targetAssignment`.
    public internal(set) var assignmentEpoch: Int32 = 0
    public internal(set) var members: [String: ConsumerGroupMember] = [:]
    /// Instance id -> member id.
    public internal(set) var staticMembers: [String: String] = [:]
    /// Member id -> the partitions the assignor wants it to have.
    public internal(set) var targetAssignment: [String: PartitionAssignment] = [:]
    /// The subscribed topics' metadata the target assignment was computed from
    /// (`ConsumerGroupPartitionMetadataValue`), by topic name.
    public internal(set) var subscriptionMetadata: [String: TopicsImage.Topic] = [:]
    /// Topic id -> partition -> the epoch of the member holding it.
    public internal(set) var partitionEpochs: [KafkaUUID: [Int32: Int32]] = [:]

    /// Member id -> session deadline: the member is fenced unless it heartbeats before it.
    var sessionDeadlines: [String: Int64] = [:]
    /// Member id -> revocation deadline and the epoch it was set for: a member still owing revocations
    /// in that epoch is fenced then (Kafka's rebalance timeout).
    var rebalanceDeadlines: [String: RebalanceDeadline] = [:]

    struct RebalanceDeadline: Hashable, Sendable {
        var deadline: Int64
        var epoch: Int32
    }

    public init(groupID: String, offsetsTopicPartitions: Int32) {
        self.groupID = groupID
        self.partition = CoordinatorPartitioner.partition(for: groupID, partitionCount: offsetsTopicPartitions)
    }

    /// Kafka's `maybeUpdateGroupState`, computed.
    public var state: State {
        if members.isEmpty { return .empty }
        if groupEpoch > assignmentEpoch { return .assigning }
        if members.values.contains(where: { $0.memberEpoch != assignmentEpoch || $0.state != .stable }) { return .reconciling }
        return .stable
    }

    /// Members sorted by id.
    public var sortedMembers: [ConsumerGroupMember] { members.keys.sorted().map { members[$0]! } }

    /// Whether `topic` is subscribed by some member (offsets of such topics neither expire nor may be deleted).
    public func isSubscribed(to topic: String) -> Bool { subscriptionMetadata[topic] != nil }

    /// The epoch of the member holding a partition, or nil when it is free.
    func partitionEpoch(_ topicID: KafkaUUID, _ partition: Int32) -> Int32? { partitionEpochs[topicID]?[partition] }

    // MARK: Member bookkeeping (used by replay only)

    /// Replaces (or adds) a member, keeping `partitionEpochs` and `staticMembers` consistent.
    mutating func setMember(_ member: ConsumerGroupMember) {
        if let old = members[member.memberID] {
            releasePartitions(of: old)
            if let instance = old.instanceID, staticMembers[instance] == old.memberID { staticMembers[instance] = nil }
        }
        members[member.memberID] = member
        if let instance = member.instanceID { staticMembers[instance] = member.memberID }
        for (topic, partitions) in member.ownedPartitions {
            for p in partitions { partitionEpochs[topic, default: [:]][p] = member.memberEpoch }
        }
    }

    mutating func removeMember(_ memberID: String) {
        guard let old = members.removeValue(forKey: memberID) else { return }
        releasePartitions(of: old)
        if let instance = old.instanceID, staticMembers[instance] == memberID { staticMembers[instance] = nil }
        sessionDeadlines[memberID] = nil
        rebalanceDeadlines[memberID] = nil
    }

    private mutating func releasePartitions(of member: ConsumerGroupMember) {
        for (topic, partitions) in member.ownedPartitions {
            for p in partitions where partitionEpochs[topic]?[p] != nil {
                partitionEpochs[topic]![p] = nil
            }
            if partitionEpochs[topic]?.isEmpty == true { partitionEpochs[topic] = nil }
        }
    }

    // MARK: Derived

    /// Kafka's `computePreferredServerAssignor`: the assignor most members name (ties to the name first
    /// in order), else the default.
    func preferredAssignor(default name: String) -> String {
        var counts: [String: Int] = [:]
        for m in members.values { if let a = m.serverAssignor { counts[a, default: 0] += 1 } }
        guard let best = counts.values.max() else { return name }
        return counts.filter { $0.value == best }.keys.sorted().first!
    }

    /// Kafka's `computeSubscriptionMetadata`: the metadata of every existing topic some member
    /// subscribes to, with `replacing` standing in for the member of the same id (or added), and
    /// `removing` left out. Each distinct regex is compiled and matched once, however many members
    /// send it (members of a group usually share theirs): a heartbeat costs one pass over the topics
    /// per pattern, not per member.
    func computeSubscriptionMetadata(replacing: ConsumerGroupMember? = nil, removing: String? = nil,
                                     topics: TopicsImage) -> [String: TopicsImage.Topic] {
        var names: Set<String> = []
        var patterns: Set<String> = []
        func add(_ m: ConsumerGroupMember) {
            names.formUnion(m.subscribedTopicNames)
            if let regex = m.subscribedTopicRegex, !regex.isEmpty { patterns.insert(regex) }
        }
        for m in members.values where m.memberID != replacing?.memberID && m.memberID != removing { add(m) }
        if let replacing { add(replacing) }
        names.formUnion(TopicRegex.matches(patterns, in: topics))
        var out: [String: TopicsImage.Topic] = [:]
        for n in names { if let t = topics.byName[n] { out[n] = t } }
        return out
    }
}
