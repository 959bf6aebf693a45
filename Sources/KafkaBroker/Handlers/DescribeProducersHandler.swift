import KafkaLog
import KafkaMetadata
import KafkaProtocol

/// DescribeProducers (v0, KIP-664; `kafka-transactions.sh describe-producers`): the producers this
/// replica's producer state holds for each partition, with their epoch, last sequence and timestamp,
/// the coordinator epoch of their last marker and the start of their open transaction. Any replica
/// answers from its own state, as Kafka's does; UNKNOWN_TOPIC_OR_PARTITION for a partition not in the
/// metadata, NOT_LEADER_OR_FOLLOWER for one with no replica here.
struct DescribeProducersHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService
    let replicas: ReplicaManager

    func handle(_ request: DescribeProducersRequest, context: RequestContext) async -> DescribeProducersResponse? {
        let image = metadata.image
        // Kafka: READ on each topic, else TOPIC_AUTHORIZATION_FAILED (before whether it exists).
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        // On the blocking-I/O executor: reading the producer state takes the partition's lock, which an
        // append holds across its file write (see FetchHandler.read).
        return await replicas.io.runOrHere { self.answer(request, image: image, readable: readable) }
    }

    private func answer(_ request: DescribeProducersRequest, image: MetadataImage, readable: Set<String>) -> DescribeProducersResponse {
        var response = DescribeProducersResponse()
        for topic in request.topics {
            var t = DescribeProducersResponse.TopicResponse(name: topic.name)
            for p in topic.partitionIndexes {
                var r = DescribeProducersResponse.TopicResponse.PartitionResponse(partitionIndex: p)
                if !readable.contains(topic.name) {
                    r.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    r.errorMessage = AuthorizationFailure.message(for: .topic)
                } else if image.topic(named: topic.name)?.partitions[p] == nil {
                    r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                } else if let replica = replicas.replica(TopicPartition(topic.name, p)) {
                    let entries = replica.withLog { $0.producerState.producers.values.sorted { $0.producerId < $1.producerId } }
                    r.activeProducers = entries.map { e in
                        .init(producerID: e.producerId, producerEpoch: Int32(e.producerEpoch), lastSequence: e.lastSequence ?? -1,
                              lastTimestamp: e.lastTimestamp, coordinatorEpoch: e.coordinatorEpoch,
                              currentTxnStartOffset: e.currentTransactionFirstOffset ?? -1)
                    }
                } else {
                    r.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                }
                t.partitions.append(r)
            }
            response.topics.append(t)
        }
        return response
    }
}
