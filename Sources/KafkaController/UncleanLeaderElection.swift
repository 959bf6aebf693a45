import KafkaMetadata
import StromConfig

/// Whether a topic allows unclean leader election: its `unclean.leader.election.enable` when set,
/// else the broker's (`server.properties`, default false).
public struct UncleanLeaderElection: Sendable, Hashable {
    public var brokerDefault: Bool

    public init(brokerDefault: Bool) {
        self.brokerDefault = brokerDefault
    }

    public init(_ config: ServerConfig) {
        brokerDefault = config.uncleanLeaderElectionEnable
    }

    public func isEnabled(topic: String, image: MetadataImage) -> Bool {
        if let value = image.configs(for: .topic(topic))["unclean.leader.election.enable"] { return value == "true" }
        return brokerDefault
    }

    /// The election that keeps a partition of `topic` online.
    func onlineElection(topic: String, image: MetadataImage) -> PartitionChangeBuilder.Election {
        isEnabled(topic: topic, image: image) ? .unclean : .online
    }
}
