import KafkaMetadata
import KafkaProtocol

/// DeleteTopics: by name (v0-5) or by name or id (v6+). Each existing topic becomes a
/// RemoveTopicRecord; an unknown one is UNKNOWN_TOPIC_OR_PARTITION (by name) or UNKNOWN_TOPIC_ID.
public enum DeleteTopics {
    public static func handle(_ request: DeleteTopicsRequest, version: Int16, image: MetadataImage) -> ControllerResult<DeleteTopicsResponse> {
        var response = DeleteTopicsResponse()
        var records: [MetadataRecordAndVersion] = []
        var removed: Set<KafkaUUID> = []
        let wanted: [(name: String?, id: KafkaUUID)] = version >= 6
            ? request.topics.map { ($0.name, $0.topicID) }
            : request.topicNames.map { ($0, KafkaUUID.zero) }
        for want in wanted {
            var result = DeleteTopicsResponse.DeletableTopicResult(name: want.name, topicID: want.id)
            let topic: TopicImage?
            if let name = want.name, want.id == .zero {
                topic = image.topic(named: name)
                if topic == nil {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "This server does not host this topic-partition."
                }
            } else if want.name == nil {
                topic = image.topic(id: want.id)
                if topic == nil {
                    result.errorCode = ErrorCode.unknownTopicID.rawValue
                    result.errorMessage = "This server does not host this topic ID."
                }
            } else {
                // Both given: Kafka refuses the ambiguity.
                topic = nil
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Give a topic name or a topic id, not both"
            }
            if let topic, TopicName.internalTopics.contains(topic.name) {
                result.name = topic.name
                result.topicID = topic.id
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Internal topic \(topic.name) cannot be deleted"
            } else if let topic {
                result.name = topic.name
                result.topicID = topic.id
                if removed.insert(topic.id).inserted {
                    records.append(MetadataRecordAndVersion(RemoveTopicRecord(topicID: topic.id), version: 0))
                }
            }
            response.responses.append(result)
        }
        return ControllerResult(records: records, response: response)
    }
}
