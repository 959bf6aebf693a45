import KafkaMetadata
import KafkaProtocol
import StromConfig

/// CreatePartitions: grows a topic to `count` partitions (never shrinks it), with the topic's
/// replication factor, placing the new ones as `ReplicaPlacement` does or as assigned (null or empty
/// assignments mean automatic placement). Errors per topic, in Kafka's words: UNKNOWN_TOPIC_OR_PARTITION,
/// INVALID_PARTITIONS (count not above the current one), INVALID_REPLICA_ASSIGNMENT (see
/// `ManualAssignment`), INVALID_REPLICATION_FACTOR (too few brokers to place on), INVALID_REQUEST (topic twice),
/// POLICY_VIOLATION (the request would add more than `CreateTopics.maxPartitionsPerRequest` partitions
/// in all: the topics that fit grow, in request order, the rest are refused).
public enum CreatePartitions {
    public static func handle<G: RandomNumberGenerator>(
        _ request: CreatePartitionsRequest, image: MetadataImage, generator: inout G
    ) -> ControllerResult<CreatePartitionsResponse> {
        var response = CreatePartitionsResponse()
        var records: [MetadataRecordAndVersion] = []
        var counts: [String: Int] = [:]
        for t in request.topics { counts[t.name, default: 0] += 1 }
        var partitionsSoFar = 0
        for t in request.topics {
            var result = CreatePartitionsResponse.CreatePartitionsTopicResult(name: t.name)
            func fail(_ code: ErrorCode, _ message: String) {
                result.errorCode = code.rawValue
                result.errorMessage = message
            }
            if counts[t.name, default: 0] > 1 {
                fail(.invalidRequest, "Topic \(t.name) appears more than once in the request")
            } else if let topic = image.topic(named: t.name) {
                let current = Int32(topic.partitions.count)
                let replicationFactor = Int16(topic.partitions[0]?.replicas.count ?? 1)
                let additional = Int(t.count) - Int(current)
                let assignments = t.assignments.flatMap { $0.isEmpty ? nil : $0 }
                if t.count == current {
                    fail(.invalidPartitions, "Topic already has \(current) partition(s).")
                } else if t.count < current {
                    fail(.invalidPartitions, "The topic \(t.name) currently has \(current) partition(s); \(t.count) would not be an increase.")
                } else if additional > Int(CreateTopics.maxPartitionsPerRequest) {
                    fail(.invalidPartitions, "Adding \(additional) partitions at once exceeds the limit of \(CreateTopics.maxPartitionsPerRequest).")
                } else if let assignments, assignments.count != additional {
                    fail(.invalidReplicaAssignment,
                         "Attempted to add \(additional) additional partition(s), but only \(assignments.count) assignment(s) were specified.")
                } else {
                    switch plan(assignments, partitions: current..<t.count, replicationFactor: replicationFactor, image: image, generator: &generator) {
                    case let .failure(problem):
                        fail(problem.code, problem.message)
                    case let .success(placed) where partitionsSoFar + placed.count > Int(CreateTopics.maxPartitionsPerRequest):
                        let failure = CreateTopics.overRequestLimit(t.name, adding: placed.count, sofar: partitionsSoFar)
                        fail(failure.code, failure.message)
                    case let .success(placed):
                        partitionsSoFar += placed.count
                        for p in placed.keys.sorted() where !request.validateOnly {
                            records.append(MetadataRecordAndVersion(placed[p]!.record(topicID: topic.id, partition: p), version: 0))
                        }
                    }
                }
            } else {
                fail(.unknownTopicOrPartition, "The topic '\(t.name)' does not exist.")
            }
            response.results.append(result)
        }
        return ControllerResult(records: records, response: response)
    }

    /// The new partitions: as assigned (each of the topic's replication factor, its ISR the replicas
    /// that may lead), or placed automatically with the topic's replication factor.
    static func plan<G: RandomNumberGenerator>(
        _ assignments: [CreatePartitionsRequest.CreatePartitionsTopic.CreatePartitionsAssignment]?, partitions: Range<Int32>,
        replicationFactor: Int16, image: MetadataImage, generator: inout G
    ) -> Result<[Int32: PartitionRegistration], CreateTopics.Failure> {
        guard let assignments else {
            return CreateTopics.place(partitions, replicationFactor: replicationFactor, image: image, generator: &generator)
        }
        var placed: [Int32: PartitionRegistration] = [:]
        for (p, a) in zip(partitions, assignments) {
            if let problem = ManualAssignment.problem(a.brokerIDs, replicationFactor: Int(replicationFactor), image: image) {
                return .failure(problem)
            }
            switch ManualAssignment.initialISR(a.brokerIDs, partition: p, image: image) {
            case let .failure(problem): return .failure(problem)
            case let .success(isr): placed[p] = PartitionRegistration(replicas: a.brokerIDs, isr: isr, leader: isr[0])
            }
        }
        return .success(placed)
    }
}
