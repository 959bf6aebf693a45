import KafkaMetadata
import KafkaProtocol

/// Replica lists given by hand in CreateTopics and CreatePartitions, checked as Kafka's
/// `ReplicationControlManager.validateManualPartitionAssignment` checks them, with its messages. Pure.
enum ManualAssignment {
    /// INVALID_REPLICA_ASSIGNMENT when `replicas` is empty, names a broker that is not registered or one
    /// broker twice, or has another width than `replicationFactor` (when known: the topic's, or the
    /// first assignment's).
    static func problem(_ replicas: [Int32], replicationFactor: Int?, image: MetadataImage) -> CreateTopics.Failure? {
        guard !replicas.isEmpty else {
            return failure("The manual partition assignment includes an empty replica list.")
        }
        var previous: Int32?
        for broker in replicas.sorted() {
            guard image.brokers[broker] != nil else {
                return failure("The manual partition assignment includes broker \(broker), but no such broker is registered.")
            }
            guard broker != previous else {
                return failure("The manual partition assignment includes the broker \(broker) more than once.")
            }
            previous = broker
        }
        if let replicationFactor, replicas.count != replicationFactor {
            return failure("The manual partition assignment includes a partition with \(replicas.count) replica(s), but this is not "
                + "consistent with previous partitions, which have \(replicationFactor) replica(s).")
        }
        return nil
    }

    /// The ISR a new partition starts with: its replicas that may lead, in replica order (the first is
    /// the leader). INVALID_REPLICA_ASSIGNMENT when there is none.
    static func initialISR(_ replicas: [Int32], partition: Int32, image: MetadataImage) -> Result<[Int32], CreateTopics.Failure> {
        let isr = replicas.filter { image.isAcceptableLeader($0) }
        guard !isr.isEmpty else {
            return .failure(failure("All brokers specified in the manual partition assignment for partition \(partition) "
                + "are fenced or in controlled shutdown."))
        }
        return .success(isr)
    }

    private static func failure(_ message: String) -> CreateTopics.Failure {
        CreateTopics.Failure(code: .invalidReplicaAssignment, message: message)
    }
}
