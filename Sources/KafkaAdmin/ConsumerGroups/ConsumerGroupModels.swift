import KafkaProtocol

/// A consumer group as Kafka's `ConsumerGroupDescription` holds it: from ConsumerGroupDescribe for a
/// KIP-848 group, else from DescribeGroups.
public struct GroupDescription: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var memberID: String
        public var groupInstanceID: String?
        public var clientID: String
        public var host: String
        public var assignment: [TopicPartition]

        public init(memberID: String, groupInstanceID: String? = nil, clientID: String, host: String, assignment: [TopicPartition]) {
            self.memberID = memberID
            self.groupInstanceID = groupInstanceID
            self.clientID = clientID
            self.host = host
            self.assignment = assignment
        }
    }

    public var groupID: String
    /// Kafka's `ConsumerGroupState` name: Stable, Empty, Dead, PreparingRebalance, CompletingRebalance,
    /// Assigning, Reconciling, or Unknown.
    public var state: String
    public var assignor: String
    public var coordinator: AdminClient.Node
    public var members: [Member]

    public init(groupID: String, state: String, assignor: String, coordinator: AdminClient.Node, members: [Member]) {
        self.groupID = groupID
        self.state = state
        self.assignor = assignor
        self.coordinator = coordinator
        self.members = members
    }

    /// A state as a broker spells it, as Kafka's `ConsumerGroupState.parse` reads it.
    public static func stateName(_ raw: String) -> String {
        ConsumerGroupCommandOptions.validStates.first { $0.lowercased() == raw.lowercased() } ?? "Unknown"
    }
}

/// One row of the offsets view (Kafka's `PartitionAssignmentState`); nil prints as "-".
public struct PartitionAssignmentState: Hashable, Sendable {
    public var group: String
    public var topic: String?
    public var partition: Int32?
    public var offset: Int64?
    public var logEndOffset: Int64?
    public var lag: Int64?
    public var consumerID: String?
    public var host: String?
    public var clientID: String?

    public init(group: String, topic: String?, partition: Int32?, offset: Int64?, logEndOffset: Int64?,
                consumerID: String?, host: String?, clientID: String?) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.logEndOffset = logEndOffset
        // Kafka's getLag: only for a committed offset other than -1 and a known end.
        self.lag = offset.flatMap { o in o == -1 ? nil : logEndOffset.map { $0 - o } }
        self.consumerID = consumerID
        self.host = host
        self.clientID = clientID
    }
}

/// A listed group (ListGroups).
public struct GroupListing: Hashable, Sendable {
    public var groupID: String
    public var state: String?
    public var type: String?

    public init(groupID: String, state: String?, type: String?) {
        self.groupID = groupID
        self.state = state
        self.type = type
    }
}

extension KafkaFailure {
    /// The Java exception Kafka's client raises for this code, as its `toString` names it.
    public var javaException: String {
        let names: [Int16: String] = [
            3: "UnknownTopicOrPartitionException", 15: "CoordinatorNotAvailableException", 16: "NotCoordinatorException",
            24: "InvalidGroupIdException", 29: "TopicAuthorizationException", 30: "GroupAuthorizationException",
            68: "GroupNotEmptyException", 69: "GroupIdNotFoundException", 86: "GroupSubscribedToTopicException",
        ]
        return "org.apache.kafka.common.errors." + (names[code.rawValue] ?? "ApiException") + ": " + description
    }
}
