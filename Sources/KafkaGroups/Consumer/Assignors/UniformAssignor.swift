import KafkaProtocol

/// Kafka's "uniform" server assignor: spreads partitions so member partition counts differ as little
/// as subscriptions allow, moving as few partitions as possible from the previous target.
///
/// Steps: (1) every partition stays with its previous owner if that member still subscribes to its
/// topic; (2) every remaining partition goes to the subscribed member with the fewest partitions;
/// (3) while some member could take a partition from a member holding at least two more, the
/// partition moves. With identical subscriptions the counts end within one of each other (Kafka's
/// optimized builder); with differing ones, step 3 balances among the members each topic allows.
/// Ties go to the lowest member id, so the result is deterministic.
public struct UniformAssignor: ConsumerGroupAssignor {
    public let name = "uniform"

    public init() {}

    public func assign(_ input: AssignmentInput) -> [String: PartitionAssignment] {
        let members = input.members
        var result: [String: PartitionAssignment] = [:]
        var counts: [String: Int] = [:]
        for m in members { counts[m.memberID] = 0 }
        func give(_ topic: KafkaUUID, _ p: Int32, to member: String) {
            result[member, default: [:]][topic, default: []].insert(p)
            counts[member]! += 1
        }
        func take(_ topic: KafkaUUID, _ p: Int32, from member: String) {
            result[member]![topic]!.remove(p)
            if result[member]![topic]!.isEmpty { result[member]![topic] = nil }
            counts[member]! -= 1
        }
        let topics = input.partitionCounts.keys.sorted(by: KafkaUUID.precedes)
        var subscribers: [KafkaUUID: [String]] = [:]
        for t in topics { subscribers[t] = members.filter { $0.subscribedTopicIDs.contains(t) }.map(\.memberID) }

        // 1. Stickiness: keep what is still allowed.
        var taken: [KafkaUUID: Set<Int32>] = [:]
        for m in members {
            for (topic, partitions) in m.previous where m.subscribedTopicIDs.contains(topic) {
                guard let count = input.partitionCounts[topic] else { continue }
                for p in partitions.sorted() where p < count && taken[topic]?.contains(p) != true {
                    taken[topic, default: []].insert(p)
                    give(topic, p, to: m.memberID)
                }
            }
        }
        // 2. The rest to the least loaded subscriber.
        for t in topics {
            let eligible = subscribers[t]!
            guard !eligible.isEmpty else { continue }
            for p in 0..<input.partitionCounts[t]! where taken[t]?.contains(p) != true {
                let target = eligible.min { (counts[$0]!, $0) < (counts[$1]!, $1) }!
                give(t, p, to: target)
            }
        }
        // 3. Balance: move from the most loaded to a subscriber holding at least two fewer.
        var moved = true
        while moved {
            moved = false
            let byLoad = members.map(\.memberID).sorted { (counts[$0]!, $1) > (counts[$1]!, $0) }
            search: for donor in byLoad {
                for topic in (result[donor] ?? [:]).sortedTopicIDs {
                    let receivers = subscribers[topic]!.filter { counts[$0]! + 1 < counts[donor]! }
                    guard let receiver = receivers.min(by: { (counts[$0]!, $0) < (counts[$1]!, $1) }) else { continue }
                    // Move the partition the receiver held before, if any, else the highest one.
                    let candidates = result[donor]![topic]!
                    let preferred = input.members.first { $0.memberID == receiver }?.previous[topic]?.intersection(candidates).min()
                    let p = preferred ?? candidates.max()!
                    take(topic, p, from: donor)
                    give(topic, p, to: receiver)
                    moved = true
                    break search
                }
            }
        }
        return result
    }
}
