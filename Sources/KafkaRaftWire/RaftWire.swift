import KafkaRaft

/// Translation between the pure core's `RaftMessage`s and Kafka's wire messages for the
/// `__cluster_metadata-0` partition: every quorum request names exactly one topic with one partition.
///
/// Invariant: `decode(encode(m)) == m` for every message the core produces, in every version the
/// translation is asked for; a wire message naming another topic or partition is refused.
public enum RaftWire {
    /// Kafka's name for the metadata log, the one topic every quorum request names.
    public static let metadataTopic = "__cluster_metadata"
    /// `__cluster_metadata`'s fixed topic id (Kafka's `Uuid.METADATA_TOPIC_ID`: 0…01).
    public static let metadataTopicID: [UInt8] = Array(repeating: 0, count: 15) + [1]
    public static let metadataPartition: Int32 = 0

    /// A wire message this replica cannot turn into a `RaftMessage`.
    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}
