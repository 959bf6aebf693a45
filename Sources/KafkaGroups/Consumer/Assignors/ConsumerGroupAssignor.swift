import KafkaProtocol

/// A server-side assignor (KIP-848 `ServerAssignor`): from the members' subscriptions and the
/// subscribed topics' partition counts, the target partitions of every member.
///
/// Contract (Kafka's `PartitionAssignor`): every partition of a topic some member subscribes to goes to
/// exactly one member subscribed to it; members subscribed to nothing get nothing; the result is a
/// pure function of the input (deterministic). `previous` is the current target assignment, which
/// sticky assignors try to keep.
public protocol ConsumerGroupAssignor: Sendable {
    var name: String { get }
    func assign(_ input: AssignmentInput) -> [String: PartitionAssignment]
}

/// What an assignor sees: members with their subscribed topic ids and previous target, and the
/// partition count of each subscribed topic.
public struct AssignmentInput: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var memberID: String
        public var instanceID: String?
        public var subscribedTopicIDs: Set<KafkaUUID>
        public var previous: PartitionAssignment

        public init(memberID: String, instanceID: String? = nil, subscribedTopicIDs: Set<KafkaUUID>, previous: PartitionAssignment = [:]) {
            self.memberID = memberID
            self.instanceID = instanceID
            self.subscribedTopicIDs = subscribedTopicIDs
            self.previous = previous
        }
    }

    public var members: [Member]
    public var partitionCounts: [KafkaUUID: Int32]

    public init(members: [Member], partitionCounts: [KafkaUUID: Int32]) {
        self.members = members.sorted { $0.memberID < $1.memberID }
        self.partitionCounts = partitionCounts
    }
}

/// The assignors this coordinator offers (`group.consumer.assignors`), the first being the default.
public enum ConsumerGroupAssignors {
    public static let all: [any ConsumerGroupAssignor] = [UniformAssignor(), RangeAssignor()]
    public static var defaultName: String { all[0].name }

    public static func named(_ name: String) -> (any ConsumerGroupAssignor)? {
        all.first { $0.name == name }
    }
}
