import KafkaMetadata

/// The client quota keys: those Kafka accepts for user and client-id entities, and those Strom
/// enforces. Storing a key that nothing enforces would let an operator believe a limit holds, so
/// AlterClientQuotas refuses the others until Strom enforces them.
public enum ClientQuotaKeys {
    /// KIP-599: partitions created or deleted per second.
    public static let controllerMutationRate = "controller_mutation_rate"
    /// Bytes per second of Produce requests.
    public static let producerByteRate = "producer_byte_rate"
    /// Bytes per second fetched by consumers.
    public static let consumerByteRate = "consumer_byte_rate"
    /// Percent of one thread's time spent handling the client's requests.
    public static let requestPercentage = "request_percentage"

    /// Kafka's keys for user and client-id entities (and their combination).
    public static let userAndClientKeys: Set<String> = [
        producerByteRate, consumerByteRate, requestPercentage, controllerMutationRate,
    ]
    /// Kafka's key for ip entities.
    public static let ipKeys: Set<String> = ["connection_creation_rate"]

    /// Keys Strom enforces, so may be set.
    public static let enforced: Set<String> = [producerByteRate, consumerByteRate, requestPercentage, controllerMutationRate]

    /// Why `key` cannot be set or removed on an entity of `types`, or nil when it can.
    static func problem(key: String, entityTypes: [String]) -> String? {
        let known = entityTypes.contains(ClientQuotaEntity.ip) ? ipKeys : userAndClientKeys
        guard known.contains(key) else { return "Invalid configuration key \(key)" }
        guard enforced.contains(key) else {
            return "Quota \(key) is not enforced by Strom, so it is not stored"
        }
        return nil
    }
}
