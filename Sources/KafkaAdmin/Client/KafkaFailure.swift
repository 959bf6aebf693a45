import KafkaProtocol

/// An error a broker answered: its code and message. `description` is what Kafka's exception for it
/// says: the broker's message when it sent one, else the code's default text (Kafka's `Errors`).
public struct KafkaFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String?

    public init(code: ErrorCode, message: String?) {
        self.code = code
        self.message = message
    }

    public init?(code raw: Int16, message: String? = nil) {
        guard raw != 0 else { return nil }
        self.init(code: ErrorCode(rawValue: raw), message: message)
    }

    public var description: String {
        if let message, !message.isEmpty { return message }
        return Self.defaultMessages[code.rawValue] ?? "\(code)"
    }

    /// Kafka's default texts for the errors these tools meet most.
    static let defaultMessages: [Int16: String] = [
        -1: "The server experienced an unexpected error when processing the request.",
        3: "This server does not host this topic-partition.",
        5: "There is no leader for this topic-partition as we are in the middle of a leadership election.",
        7: "The request timed out.",
        14: "The coordinator is loading and hence can't process requests.",
        15: "The coordinator is not available.",
        16: "This is not the correct coordinator.",
        17: "The request attempted to perform an operation on an invalid topic.",
        24: "The configured groupId is invalid.",
        29: "Topic authorization failed.",
        30: "Group authorization failed.",
        31: "Cluster authorization failed.",
        35: "The version of API is not supported.",
        36: "Topic with this name already exists.",
        37: "Number of partitions is below 1.",
        38: "Replication factor is below 1 or larger than the number of available brokers.",
        39: "Replica assignment is invalid.",
        40: "Configuration is invalid.",
        41: "This is not the correct controller for this cluster.",
        42: "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
        44: "The request parameters do not satisfy the configured policy.",
        68: "The group is not empty.",
        69: "The group id does not exist.",
        86: "The consumer group is actively subscribed to the topic.",
        89: "The throttling quota has been exceeded.",
        91: "Requested resource not found.",
        95: "The given update version was invalid.",
        96: "Unable to update finalized features due to an unexpected server error.",
        102: "The given broker ID was not registered.",
    ]
}
