import KafkaProtocol

/// A member of a consumer (KIP-848) group: Kafka's `ConsumerGroupMember` as a value.
///
/// Persisted in two records: its subscription (`ConsumerGroupMemberMetadataValue`: instance, rack,
/// client, topics, regex, rebalance timeout, server assignor) and its current assignment
/// (`ConsumerGroupCurrentMemberAssignmentValue`: epochs, state, assigned and pending-revocation
/// partitions). Invariant: `assignedPartitions` and `partitionsPendingRevocation` are disjoint and
/// hold no empty topic; a member owns (blocks for others) the union of both.
public struct ConsumerGroupMember: Hashable, Sendable {
    /// Kafka's `MemberState`, with its persisted byte values.
    public enum State: Int8, Hashable, Sendable {
        /// Reconciled with the target assignment of its epoch.
        case stable = 0
        /// Must revoke `partitionsPendingRevocation` before it can move to the next epoch.
        case unrevokedPartitions = 1
        /// At the target epoch, waiting for partitions that previous owners have not released yet.
        case unreleasedPartitions = 2
        /// A state written by a newer coordinator; the member is fenced at its next heartbeat.
        case unknown = 127
    }

    /// Member epochs with a meaning of their own in requests (Kafka's `LEAVE_GROUP_*_EPOCH`).
    public static let leaveEpoch: Int32 = -1
    public static let leaveStaticEpoch: Int32 = -2

    public let memberID: String
    public var instanceID: String?
    public var rackID: String?
    public var clientID: String = ""
    public var clientHost: String = ""
    /// Sorted.
    public var subscribedTopicNames: [String] = []
    public var subscribedTopicRegex: String?
    public var rebalanceTimeoutMs: Int32 = -1
    public var serverAssignor: String?

    public var memberEpoch: Int32 = 0
    public var previousMemberEpoch: Int32 = 0
    public var state: State = .stable
    public var assignedPartitions: PartitionAssignment = [:]
    public var partitionsPendingRevocation: PartitionAssignment = [:]

    public init(memberID: String) { self.memberID = memberID }

    /// The subscription part, which the member metadata record carries.
    public struct Subscription: Hashable, Sendable {
        var instanceID: String?
        var rackID: String?
        var clientID: String
        var clientHost: String
        var subscribedTopicNames: [String]
        var subscribedTopicRegex: String?
        var rebalanceTimeoutMs: Int32
        var serverAssignor: String?
    }

    public var subscription: Subscription {
        Subscription(instanceID: instanceID, rackID: rackID, clientID: clientID, clientHost: clientHost,
                     subscribedTopicNames: subscribedTopicNames, subscribedTopicRegex: subscribedTopicRegex,
                     rebalanceTimeoutMs: rebalanceTimeoutMs, serverAssignor: serverAssignor)
    }

    /// The assignment part, which the current member assignment record carries.
    public struct CurrentAssignment: Hashable, Sendable {
        var memberEpoch: Int32
        var previousMemberEpoch: Int32
        var state: State
        var assignedPartitions: PartitionAssignment
        var partitionsPendingRevocation: PartitionAssignment
    }

    public var currentAssignment: CurrentAssignment {
        CurrentAssignment(memberEpoch: memberEpoch, previousMemberEpoch: previousMemberEpoch, state: state,
                          assignedPartitions: assignedPartitions, partitionsPendingRevocation: partitionsPendingRevocation)
    }

    /// Sets a new member epoch, remembering the one before (Kafka's `updateMemberEpoch`).
    mutating func updateMemberEpoch(_ epoch: Int32) {
        previousMemberEpoch = memberEpoch
        memberEpoch = epoch
    }

    /// The partitions this member holds, assigned or pending revocation.
    var ownedPartitions: PartitionAssignment {
        assignedPartitions.merging(partitionsPendingRevocation) { $0.union($1) }
    }

    /// The topic names the member subscribes to, by name and through its regex.
    func subscribedTopics(in topics: TopicsImage) -> Set<String> {
        var names = Set(subscribedTopicNames)
        if let regex = subscribedTopicRegex, !regex.isEmpty {
            names.formUnion(TopicRegex.matches(regex, in: topics))
        }
        return names
    }
}
