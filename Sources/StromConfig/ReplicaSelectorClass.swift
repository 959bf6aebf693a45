/// `replica.selector.class` (KIP-392): the Kafka class names of the replica selectors Strom implements.
/// A leader with a selector may answer a consumer's Fetch (v11+, which carries the client's `client.rack`)
/// with the replica the consumer should fetch from instead; without one, consumers fetch from leaders.
public enum ReplicaSelectorClass: String, Hashable, Sendable, CaseIterable {
    /// Kafka's `RackAwareReplicaSelector`: a caught-up follower in the client's rack when the leader is not in it.
    case rackAware = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
}
