import KafkaMetadata
import KafkaProtocol

/// Whether the controller keeps KIP-966's eligible leader replicas: as Kafka gates them, while the
/// image's finalized feature `eligible.leader.replicas.version` is at least 1. Strom's controller
/// finalizes it (with metadata.version) at the first broker registration it handles without it
/// (`BrokerLifecycle.register`), so every Strom cluster has it on, those from before it included.
public enum EligibleLeaderReplicas {
    public static let featureName = "eligible.leader.replicas.version"
    /// The level Strom finalizes and supports (Kafka's ELRV_1).
    public static let featureLevel: Int16 = 1

    public static func isEnabled(_ image: MetadataImage) -> Bool {
        (image.features[featureName] ?? 0) >= featureLevel
    }
}

extension PartitionChangeBuilder {
    /// Follows the ELR as the image says (`EligibleLeaderReplicas.isEnabled`), for a partition of `topic`
    /// with the effective min.insync.replicas `defaults` give it (`UncleanLeaderElection.minInsyncReplicas`).
    mutating func followELR(topic: String, image: MetadataImage, defaults: UncleanLeaderElection) {
        eligibleLeaderReplicasEnabled = EligibleLeaderReplicas.isEnabled(image)
        minISR = defaults.minInsyncReplicas(topic: topic, replicationFactor: partition.replicas.count, image: image)
    }
}
