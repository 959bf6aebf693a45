import KafkaMetadata
import KafkaProtocol
import StromConfig

/// What each topic of a request would cost against the controller mutation quota (KIP-599: one
/// mutation per partition created or deleted), decided on `image` the way the controller decides
/// the request itself. One entry per topic in request order; nil for a topic the controller would
/// refuse, which is not charged.
public enum MutationCosts {
    public static func createTopics(_ request: CreateTopicsRequest, image: MetadataImage, config: ServerConfig) -> [Double?] {
        var trial = request
        trial.validateOnly = true
        var generator = FixedGenerator()
        return CreateTopics.handle(trial, image: image, config: config, generator: &generator).response.topics.map {
            $0.errorCode == 0 ? Double($0.numPartitions) : nil
        }
    }

    public static func createPartitions(_ request: CreatePartitionsRequest, image: MetadataImage) -> [Double?] {
        var trial = request
        trial.validateOnly = true
        var generator = FixedGenerator()
        let results = CreatePartitions.handle(trial, image: image, generator: &generator).response.results
        return zip(request.topics, results).map { topic, result in
            guard result.errorCode == 0, let current = image.topic(named: topic.name)?.partitions.count else { return nil }
            return Double(Int(topic.count) - current)
        }
    }

    /// A topic named twice is deleted (and charged) once.
    public static func deleteTopics(_ request: DeleteTopicsRequest, version: Int16, image: MetadataImage) -> [Double?] {
        var seen: Set<KafkaUUID> = []
        return DeleteTopics.handle(request, version: version, image: image).response.responses.map { result in
            guard result.errorCode == 0, let topic = image.topic(id: result.topicID), seen.insert(topic.id).inserted else { return nil }
            return Double(topic.partitions.count)
        }
    }

    /// Placement only needs a starting broker; costs do not depend on it.
    private struct FixedGenerator: RandomNumberGenerator {
        mutating func next() -> UInt64 { 0 }
    }
}
