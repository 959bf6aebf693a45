import KafkaMetadata

/// Places replicas on brokers. Pure; `start` comes from the caller's generator.
///
/// Without racks: partition p's replicas start at broker index (start + p) mod n of the brokers in id
/// order and continue round-robin, so leaders spread evenly.
///
/// When any broker has a rack, each partition's replicas span as many racks as they can, as Kafka's
/// `StripedReplicaPlacer` makes them: leaders go round-robin over the brokers listed rack by rack in
/// turn (the first of each rack, then the second of each, …), and the other replicas are taken one per
/// rack, starting with the rack after the leader's and coming back to a rack only once every rack gave
/// one. Within a rack, successive partitions start at successive brokers. A broker without a rack is in
/// a rack of its own kind (as Kafka's "no rack").
public enum ReplicaPlacement {
    public enum Problem: Error, Hashable, Sendable {
        case notEnoughBrokers(available: Int, requested: Int)
    }

    /// `racks` maps broker ids to their rack; brokers missing from it have none.
    public static func place(
        partitions: Range<Int32>, replicationFactor: Int16, brokers: [Int32], racks: [Int32: String] = [:], start: Int
    ) -> Result<[Int32: [Int32]], Problem> {
        let sorted = brokers.sorted()
        guard replicationFactor >= 1, Int(replicationFactor) <= sorted.count else {
            return .failure(.notEnoughBrokers(available: sorted.count, requested: Int(replicationFactor)))
        }
        let width = Int(replicationFactor)
        var out: [Int32: [Int32]] = [:]
        guard sorted.contains(where: { racks[$0] != nil }) else {
            for p in partitions {
                let first = (start + Int(p)) % sorted.count
                out[p] = (0..<width).map { sorted[(first + $0) % sorted.count] }
            }
            return .success(out)
        }
        // Racks in name order (no rack first), each with its brokers in id order.
        let rackNames = Set(sorted.map { racks[$0] }).sorted { ($0 ?? "") < ($1 ?? "") || ($0 == nil && $1 != nil) }
        let members = rackNames.map { name in sorted.filter { racks[$0] == name } }
        let alternating = (0..<(members.map(\.count).max() ?? 0)).flatMap { i in members.compactMap { i < $0.count ? $0[i] : nil } }
        let rackOf = Dictionary(uniqueKeysWithValues: members.enumerated().flatMap { r, ids in ids.map { ($0, r) } })
        for p in partitions {
            let turn = start + Int(p)
            let leader = alternating[turn % alternating.count]
            var replicas = [leader]
            // Each rack's brokers rotated by the partition's turn, leader's rack last in the cycle.
            let leaderRack = rackOf[leader]!
            let order = (1...members.count).map { (leaderRack + $0) % members.count }
            var queues = order.map { r in
                let ids = members[r]
                return (0..<ids.count).map { ids[(turn + $0) % ids.count] }.filter { $0 != leader }
            }
            while replicas.count < width {
                for i in queues.indices where replicas.count < width && !queues[i].isEmpty {
                    replicas.append(queues[i].removeFirst())
                }
            }
            out[p] = replicas
        }
        return .success(out)
    }
}
