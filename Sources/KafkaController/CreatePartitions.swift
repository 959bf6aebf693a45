import KafkaMetadata
import KafkaProtocol
import StromConfig

/// CreatePartitions: grows a topic to `count` partitions (never shrinks it), placing the new ones
/// round-robin or as assigned (null or empty assignments mean automatic placement). Errors per topic: UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS
/// (count not above the current one), INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST (topic twice),
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
                if t.count <= current {
                    fail(.invalidPartitions, "Topic currently has \(current) partitions, which is higher than or equal to the requested \(t.count).")
                } else if t.count - current > CreateTopics.maxPartitionsPerRequest {
                    fail(.invalidPartitions, "Adding \(t.count - current) partitions at once exceeds the limit of \(CreateTopics.maxPartitionsPerRequest).")
                } else if let assignments = t.assignments, !assignments.isEmpty, assignments.count != Int(t.count - current) {
                    fail(.invalidReplicaAssignment, "Increasing the number of partitions by \(t.count - current) but \(assignments.count) assignments provided.")
                } else {
                    var placed: [Int32: [Int32]] = [:]
                    var problem: String?
                    if let assignments = t.assignments, !assignments.isEmpty {
                        for (i, a) in assignments.enumerated() {
                            if a.brokerIDs.isEmpty || Set(a.brokerIDs).count != a.brokerIDs.count {
                                problem = "Assignment \(i) needs distinct brokers"
                            } else if let unknown = a.brokerIDs.first(where: { image.brokers[$0] == nil }) {
                                problem = "Broker \(unknown) is not registered"
                            }
                            placed[current + Int32(i)] = a.brokerIDs
                        }
                    } else {
                        let brokers = image.activeBrokers.map(\.id)
                        switch ReplicaPlacement.place(partitions: current..<t.count, replicationFactor: replicationFactor, brokers: brokers,
                                                      start: brokers.isEmpty ? 0 : Int(generator.next() % UInt64(brokers.count))) {
                        case let .success(p): placed = p
                        case let .failure(.notEnoughBrokers(available, requested)):
                            problem = "Replication factor \(requested) needs more than the \(available) available broker(s)"
                        }
                    }
                    if let problem {
                        fail(.invalidReplicaAssignment, problem)
                    } else if partitionsSoFar + placed.count > Int(CreateTopics.maxPartitionsPerRequest) {
                        let failure = CreateTopics.overRequestLimit(t.name, adding: placed.count, sofar: partitionsSoFar)
                        fail(failure.code, failure.message)
                    } else {
                        partitionsSoFar += placed.count
                        for p in placed.keys.sorted() where !request.validateOnly {
                            let replicas = placed[p]!
                            let registration = PartitionRegistration(replicas: replicas, isr: replicas, leader: replicas[0])
                            records.append(MetadataRecordAndVersion(registration.record(topicID: topic.id, partition: p), version: 0))
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
}
