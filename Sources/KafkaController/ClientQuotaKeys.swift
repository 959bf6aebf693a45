import KafkaMetadata

/// The client quota keys: those Kafka accepts for user and client-id entities, and the one Strom
/// enforces. Storing a key that nothing enforces would let an operator believe a limit holds, so
/// AlterClientQuotas refuses the others until Strom enforces them.
public enum ClientQuotaKeys {
    /// KIP-599: partitions created or deleted per second.
    public static let controllerMutationRate = "controller_mutation_rate"

    /// Kafka's keys for user and client-id entities (and their combination).
    public static let userAndClientKeys: Set<String> = [
        "producer_byte_rate", "consumer_byte_rate", "request_percentage", controllerMutationRate,
    ]
    /// Kafka's key for ip entities.
    public static let ipKeys: Set<String> = ["connection_creation_rate"]

    /// Keys Strom enforces, so may be set.
    public static let enforced: Set<String> = [controllerMutationRate]

    /// Why `key` cannot be set or removed on an entity of `types`, or nil when it can.
    static func problem(key: String, entityTypes: [String]) -> String? {
        let known = entityTypes.contains(ClientQuotaEntity.ip) ? ipKeys : userAndClientKeys
        guard known.contains(key) else { return "Invalid configuration key \(key)" }
        guard enforced.contains(key) else {
            return "Quota \(key) is not enforced by Strom yet (only \(controllerMutationRate) is), so it is not stored"
        }
        return nil
    }
}
