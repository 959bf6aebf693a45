import KafkaController
import KafkaLog
import KafkaProtocol

/// DeleteRecords: moves each partition's log start offset up to the given offset (-1: the
/// high watermark); beyond the high watermark is OFFSET_OUT_OF_RANGE, an internal topic
/// INVALID_TOPIC_EXCEPTION. Answers the new low watermark.
struct DeleteRecordsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let metadata: MetadataService
    let replicas: ReplicaManager
    let nodeID: Int32

    func handle(_ request: DeleteRecordsRequest, context: RequestContext) async -> DeleteRecordsResponse? {
        let image = metadata.image
        var response = DeleteRecordsResponse()
        // Kafka: DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED (before whether it exists).
        let deletable = context.authorizedNames(.delete, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var t = DeleteRecordsResponse.DeleteRecordsTopicResult(name: topic.name)
            for p in topic.partitions {
                var r = DeleteRecordsResponse.DeleteRecordsTopicResult.DeleteRecordsPartitionResult(partitionIndex: p.partitionIndex, lowWatermark: -1)
                // Internal topics are the broker's (Kafka refuses them too): deleting __consumer_offsets
                // records would erase every group's committed offsets.
                let lookup = !deletable.contains(topic.name) ? .failure(.topicAuthorizationFailed)
                    : TopicName.internalTopics.contains(topic.name) ? .failure(.invalidTopicException)
                    : replicas.leader(of: TopicPartition(topic.name, p.partitionIndex), image: image, nodeID: nodeID)
                let result: Result<Int64, ErrorCode>
                switch lookup {
                case let .success(leader):
                    // Deleting segments and writing the log start checkpoint block: the blocking-I/O executor.
                    let offset = p.offset
                    result = (try? await replicas.io.run {
                        leader.replica.withLogResult { log in try log.deleteRecords(before: offset == -1 ? log.highWatermark : offset) }
                    }) ?? .failure(.unknownServerError)
                case let .failure(code):
                    result = .failure(code)
                }
                switch result {
                case let .success(lowWatermark): r.lowWatermark = lowWatermark
                case let .failure(code): r.errorCode = code.rawValue
                }
                t.partitions.append(r)
            }
            response.topics.append(t)
        }
        return response
    }
}
