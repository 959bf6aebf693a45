/// The message types this broker serves per API: the generated (Kafka 3.9) ones, except where a
/// hand-written type carries Kafka 4.0's later versions (ConsumerGroupHeartbeat v1,
/// ConsumerGroupDescribe v1, Vote v2). Framing (header versions) and the dispatcher go by these.
extension APIKey {
    public var servedRequestType: (any KafkaRequestMessage.Type)? {
        switch self {
        case .consumerGroupHeartbeat: ConsumerGroupHeartbeatRequestV1.self
        case .consumerGroupDescribe: ConsumerGroupDescribeRequestV1.self
        case .vote: VoteRequestV2.self
        default: requestType
        }
    }

    public var servedResponseType: (any KafkaResponseMessage.Type)? {
        switch self {
        case .consumerGroupHeartbeat: ConsumerGroupHeartbeatResponseV1.self
        case .consumerGroupDescribe: ConsumerGroupDescribeResponseV1.self
        case .vote: VoteResponseV2.self
        default: responseType
        }
    }
}
