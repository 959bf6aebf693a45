import KafkaMetadata

extension MetadataImage {
    /// Whether `broker` is registered and unfenced: its replicas are online, it can lead.
    func isLive(_ broker: Int32) -> Bool {
        brokers[broker].map { !$0.fenced } ?? false
    }

    /// The leader clients are told of: the recorded one while its broker is live, else -1 (as Kafka's
    /// metadata cache answers).
    func liveLeader(of partition: PartitionRegistration) -> Int32 {
        isLive(partition.leader) ? partition.leader : -1
    }

    /// The replicas on brokers fenced or not registered.
    func offlineReplicas(of partition: PartitionRegistration) -> [Int32] {
        partition.replicas.filter { !isLive($0) }
    }
}
