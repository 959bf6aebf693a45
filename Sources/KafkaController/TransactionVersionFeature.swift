import KafkaMetadata
import KafkaProtocol

/// Kafka's `transaction.version` feature: 0 is the original transaction protocol, 1 writes flexible
/// `__transaction_state` values, 2 is KIP-890 part 2 (every end of a transaction bumps the producer's
/// epoch and partition leaders add partitions to transactions). Strom serves all three. Clients read
/// the finalized level from ApiVersions to choose EndTxn v5, Produce v12 and TxnOffsetCommit v5; the
/// broker follows the version of each request, as Kafka's does.
///
/// Strom's controller finalizes 2, as `kafka-storage format` does for a Kafka 4.0 cluster, at a
/// broker registration that finds it unset, once every registered broker and the registering one
/// support it: a broker from before it (which lists no such feature) would answer a Kafka 4.x
/// producer's Produce v11 without adding the partition. Once it is finalized, a broker whose range
/// leaves the level out is refused (UNSUPPORTED_VERSION), as Kafka's `ClusterControlManager` does.
public enum TransactionVersionFeature {
    public static let featureName = "transaction.version"
    public static let supportedLevels: ClosedRange<Int16> = 0...2
    public static let finalizedLevel: Int16 = 2

    /// A broker's range for the feature; none listed is 0 only (Kafka's reading of a missing feature).
    static func range(_ request: BrokerRegistrationRequest) -> ClosedRange<Int16> {
        request.features.first { $0.name == featureName }.map { $0.minSupportedVersion...$0.maxSupportedVersion } ?? 0...0
    }

    static func canFinalize(_ request: BrokerRegistrationRequest, image: MetadataImage) -> Bool {
        range(request).contains(finalizedLevel) && image.brokers.values.allSatisfy {
            $0.id == request.brokerID || ($0.supportedFeatures[featureName]?.contains(finalizedLevel) ?? false)
        }
    }

    static func registrationProblem(_ request: BrokerRegistrationRequest, image: MetadataImage) -> ErrorCode? {
        guard let level = image.features[featureName], level > 0, !range(request).contains(level) else { return nil }
        return .unsupportedVersion
    }
}
