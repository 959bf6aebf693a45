import KafkaMetadata
import StromConfig

/// The broker defaults (`server.properties`) of the topic settings the controller's partition changes
/// follow: `unclean.leader.election.enable` (default false), whether an election may go outside the ISR;
/// and `min.insync.replicas` (default 1), below which an ISR's leavers become eligible leader replicas
/// (KIP-966). A topic's own setting wins over each. (The name is the first setting's; the second rides
/// along to every change that shrinks an ISR.) The cluster's dynamic default (the broker resource "")
/// wins over the static value; a node's own dynamic value is that node's business, not the controller's.
public struct UncleanLeaderElection: Sendable, Hashable {
    public var brokerDefault: Bool
    public var minInsyncReplicasDefault: Int32

    public init(brokerDefault: Bool, minInsyncReplicasDefault: Int32 = 1) {
        self.brokerDefault = brokerDefault
        self.minInsyncReplicasDefault = minInsyncReplicasDefault
    }

    public init(_ config: ServerConfig) {
        brokerDefault = config.uncleanLeaderElectionEnable
        minInsyncReplicasDefault = config.minInsyncReplicas
    }

    /// The topic's own setting, else the cluster's dynamic default, else the controller's static one.
    public func isEnabled(topic: String, image: MetadataImage) -> Bool {
        if let value = image.configs(for: .topic(topic))["unclean.leader.election.enable"] { return value == "true" }
        if let value = image.configs(for: .broker(""))["unclean.leader.election.enable"] { return value == "true" }
        return brokerDefault
    }

    /// The election that keeps a partition of `topic` online.
    func onlineElection(topic: String, image: MetadataImage) -> PartitionChangeBuilder.Election {
        isEnabled(topic: topic, image: image) ? .unclean : .online
    }

    /// Kafka's `getTopicEffectiveMinIsr`: the topic's min.insync.replicas (else the default), at most the
    /// replication factor, at least 1.
    public func minInsyncReplicas(topic: String, replicationFactor: Int, image: MetadataImage) -> Int {
        let configured = (image.configs(for: .topic(topic))["min.insync.replicas"] ?? image.configs(for: .broker(""))["min.insync.replicas"])
            .flatMap { Int($0) } ?? Int(minInsyncReplicasDefault)
        return max(1, min(configured, replicationFactor))
    }
}
