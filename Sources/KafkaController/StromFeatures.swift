import KafkaMetadata

/// The features Strom's software supports, each with its range of levels (Kafka's
/// `QuorumFeatures.localSupportedFeatures` and `BrokerFeatures.supportedFeatures`): what every node
/// registers with, what ApiVersions reports as supported, and the levels UpdateFeatures may finalize.
/// Strom's node is the same software as broker and as controller, so one list serves both.
///
/// `kraft.version` is not among them: it is the metadata quorum's (written by its first leader,
/// `QuorumConfig.kraftVersion`), not a finalized feature of the metadata image (see `UpdateFeatures`).
public enum StromFeatures {
    /// In registration order: metadata.version first.
    public static let supported: [(name: String, levels: ClosedRange<Int16>)] = [
        (MetadataVersion.featureName, BrokerLifecycle.supportedMetadataVersions),
        (EligibleLeaderReplicas.featureName, 0...EligibleLeaderReplicas.featureLevel),
        (TransactionVersionFeature.featureName, TransactionVersionFeature.supportedLevels),
    ]

    /// The levels of `name` Strom supports; nil for a feature it does not know.
    public static func levels(of name: String) -> ClosedRange<Int16>? {
        supported.first { $0.name == name }?.levels
    }

    public static let kraftVersionName = "kraft.version"
}
