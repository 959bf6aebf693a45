import KafkaMetadata

/// Places replicas on brokers: partition p's replicas start at broker index (start + p) mod n and
/// continue round-robin, so leaders spread evenly. Pure; `start` comes from the caller's generator.
public enum ReplicaPlacement {
    public enum Problem: Error, Hashable, Sendable {
        case notEnoughBrokers(available: Int, requested: Int)
    }

    public static func place(
        partitions: Range<Int32>, replicationFactor: Int16, brokers: [Int32], start: Int
    ) -> Result<[Int32: [Int32]], Problem> {
        let sorted = brokers.sorted()
        guard replicationFactor >= 1, Int(replicationFactor) <= sorted.count else {
            return .failure(.notEnoughBrokers(available: sorted.count, requested: Int(replicationFactor)))
        }
        var out: [Int32: [Int32]] = [:]
        for p in partitions {
            let first = (start + Int(p)) % sorted.count
            out[p] = (0..<Int(replicationFactor)).map { sorted[(first + $0) % sorted.count] }
        }
        return .success(out)
    }
}
