import KafkaProtocol

/// Kafka's "range" server assignor: per topic, the subscribed members sorted by member id get
/// consecutive ranges of partitions, the first `count % members` of them one more than the others.
///
/// Members with the same subscription therefore get the same partition numbers of every topic of
/// equal size (co-partitioning, what range exists for). Unlike Kafka 3.9's range assignor this one is
/// not sticky: a changed membership may move partitions that a sticky range would have kept.
public struct RangeAssignor: ConsumerGroupAssignor {
    public let name = "range"

    public init() {}

    public func assign(_ input: AssignmentInput) -> [String: PartitionAssignment] {
        var result: [String: PartitionAssignment] = [:]
        for topic in input.partitionCounts.keys.sorted(by: KafkaUUID.precedes) {
            let count = Int(input.partitionCounts[topic]!)
            let subscribed = input.members.filter { $0.subscribedTopicIDs.contains(topic) }.map(\.memberID)
            guard !subscribed.isEmpty else { continue }
            let base = count / subscribed.count, extra = count % subscribed.count
            var next = 0
            for (i, member) in subscribed.enumerated() {
                let size = base + (i < extra ? 1 : 0)
                if size > 0 { result[member, default: [:]][topic] = Set((next..<next + size).map { Int32($0) }) }
                next += size
            }
        }
        return result
    }
}
