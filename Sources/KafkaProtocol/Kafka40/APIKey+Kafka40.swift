/// The message types this broker serves per API: the generated (Kafka 3.9) ones, except where a
/// hand-written type carries Kafka 4.0's later versions (ConsumerGroupHeartbeat v1). Framing (header
/// versions) and the dispatcher go by these.
extension APIKey {
    public var servedRequestType: (any KafkaRequestMessage.Type)? {
        self == .consumerGroupHeartbeat ? ConsumerGroupHeartbeatRequestV1.self : requestType
    }

    public var servedResponseType: (any KafkaResponseMessage.Type)? {
        self == .consumerGroupHeartbeat ? ConsumerGroupHeartbeatResponseV1.self : responseType
    }
}
