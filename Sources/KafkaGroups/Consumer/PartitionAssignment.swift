import KafkaProtocol

/// Partitions by topic id: a member's assigned, pending-revocation or target partitions.
///
/// Invariant kept by every producer of one: no topic maps to an empty set, so two assignments holding
/// the same partitions compare equal.
public typealias PartitionAssignment = [KafkaUUID: Set<Int32>]

extension Dictionary where Key == KafkaUUID, Value == Set<Int32> {
    /// Topic ids in a fixed order (most, then least significant bits), for records and responses.
    var sortedTopicIDs: [KafkaUUID] { keys.sorted(by: KafkaUUID.precedes) }

    var partitionCount: Int { values.reduce(0) { $0 + $1.count } }

    func contains(_ topicID: KafkaUUID, _ partition: Int32) -> Bool { self[topicID]?.contains(partition) == true }

    /// The assignment without empty topics.
    var normalized: PartitionAssignment { filter { !$0.value.isEmpty } }

    /// Whether every partition of `self` is also in `other`.
    func isSubset(of other: PartitionAssignment) -> Bool {
        allSatisfy { topic, partitions in partitions.isSubset(of: other[topic] ?? []) }
    }
}

extension KafkaUUID {
    /// A total order on ids, for deterministic output.
    static func precedes(_ a: KafkaUUID, _ b: KafkaUUID) -> Bool {
        (a.mostSignificantBits, a.leastSignificantBits) < (b.mostSignificantBits, b.leastSignificantBits)
    }
}

/// The topics part of the metadata image, as the consumer group coordinator reads it: each topic's
/// name, id and partition count. The shell builds one from its `MetadataImage` for every request, so
/// groups see partitions added and topics deleted at their next heartbeat.
public struct TopicsImage: Hashable, Sendable {
    public struct Topic: Hashable, Sendable {
        public var id: KafkaUUID
        public var name: String
        public var partitionCount: Int32

        public init(id: KafkaUUID, name: String, partitionCount: Int32) {
            self.id = id
            self.name = name
            self.partitionCount = partitionCount
        }
    }

    public private(set) var byName: [String: Topic] = [:]
    public private(set) var byID: [KafkaUUID: Topic] = [:]

    public init(_ topics: [Topic] = []) {
        for t in topics {
            byName[t.name] = t
            byID[t.id] = t
        }
    }

    public static let empty = TopicsImage()

    /// Kafka's internal topics, which a regular expression subscription never matches.
    static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state", "__share_group_state"]
}
