import KafkaMetadata
import KafkaProtocol
import StromConfig

/// CreateTopics: checks each topic against the image and the rules Kafka applies, and turns each
/// valid one into a TopicRecord, PartitionRecords and ConfigRecords.
///
/// Errors are per topic: TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION (bad or colliding name),
/// INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG,
/// INVALID_REQUEST (a name given twice), POLICY_VIOLATION for every topic when the request asks for
/// more than `maxPartitionsPerRequest` partitions in all. `validateOnly` answers the same and records nothing.
public enum CreateTopics {
    /// At most this many partitions are asked for by one request, all its topics together, so a request
    /// cannot make the controller build millions of records. As Kafka's controller (its
    /// MAX_PARTITIONS_PER_BATCH), a request over it is refused whole, with POLICY_VIOLATION for every
    /// topic, before any other check. The count is Kafka's: `numPartitions`, the broker's
    /// `num.partitions` for -1, or the number of manual assignments.
    public static let maxPartitionsPerRequest: Int32 = 10_000

    /// The partitions `request` asks for, counted as Kafka counts them for the limit.
    static func requestedPartitions(_ request: CreateTopicsRequest, config: ServerConfig) -> Int {
        request.topics.reduce(0) { total, topic in
            let asked: Int
            if !topic.assignments.isEmpty {
                asked = topic.assignments.count
            } else if topic.numPartitions == -1 {
                asked = Int(config.numPartitions)
            } else {
                asked = max(0, Int(topic.numPartitions))
            }
            return total + asked
        }
    }

    /// The POLICY_VIOLATION of a topic whose `adding` partitions would take a CreatePartitions request
    /// holding `sofar` past `maxPartitionsPerRequest` (CreatePartitions refuses topic by topic).
    static func overRequestLimit(_ name: String, adding: Int, sofar: Int) -> Failure {
        Failure(code: .policyViolation,
                message: "Excessively large number of partitions per request: \(adding) more for topic '\(name)' would make \(sofar + adding), above the limit of \(maxPartitionsPerRequest) per request.")
    }

    public static func handle<G: RandomNumberGenerator>(
        _ request: CreateTopicsRequest, image: MetadataImage, config: ServerConfig, generator: inout G
    ) -> ControllerResult<CreateTopicsResponse> {
        var response = CreateTopicsResponse()
        let asked = requestedPartitions(request, config: config)
        if asked > Int(maxPartitionsPerRequest) {
            response.topics = request.topics.map {
                .init(name: $0.name, errorCode: ErrorCode.policyViolation.rawValue,
                      errorMessage: "Excessively large number of partitions per request: \(asked), above the limit of \(maxPartitionsPerRequest).")
            }
            return ControllerResult(response: response)
        }
        var records: [MetadataRecordAndVersion] = []
        var counts: [String: Int] = [:]
        for t in request.topics { counts[t.name, default: 0] += 1 }
        var working = MetadataDelta(base: image)
        for topic in request.topics {
            var result = CreateTopicsResponse.CreatableTopicResult(name: topic.name)
            if counts[topic.name, default: 0] > 1 {
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Topic \(topic.name) appears more than once in the request"
                response.topics.append(result)
                continue
            }
            switch plan(topic, image: working.current, config: config, generator: &generator) {
            case let .failure(error):
                result.errorCode = error.code.rawValue
                result.errorMessage = error.message
                response.topics.append(result)
            case let .success(planned):
                result.topicID = planned.topicID
                result.numPartitions = Int32(planned.assignments.count)
                result.replicationFactor = Int16(planned.assignments[0]?.count ?? 0)
                result.configs = DescribeTopicConfigs.entries(topicOverrides: planned.configs, config: config).map {
                    .init(name: $0.name, value: $0.value, readOnly: false, configSource: $0.source.rawValue, isSensitive: false)
                }
                response.topics.append(result)
                let topicRecords = planned.records
                // Later topics in the same request see this one (for collisions).
                for r in topicRecords { try? working.replay(r.record) }
                if !request.validateOnly { records += topicRecords }
            }
        }
        return ControllerResult(records: records, response: response)
    }

    struct Planned {
        var topicID: KafkaUUID
        var assignments: [Int32: [Int32]]
        var configs: [String: String]
        var name: String

        var records: [MetadataRecordAndVersion] {
            var out = [MetadataRecordAndVersion(TopicRecord(name: name, topicID: topicID), version: 0)]
            for p in assignments.keys.sorted() {
                let replicas = assignments[p]!
                let registration = PartitionRegistration(replicas: replicas, isr: replicas, leader: replicas[0])
                out.append(MetadataRecordAndVersion(registration.record(topicID: topicID, partition: p), version: 0))
            }
            for (name, value) in configs.sorted(by: { $0.key < $1.key }) {
                out.append(MetadataRecordAndVersion(
                    ConfigRecord(resourceType: ConfigResource.topicType, resourceName: self.name, name: name, value: value), version: 0))
            }
            return out
        }
    }

    public struct Failure: Error, Hashable, Sendable {
        public var code: ErrorCode
        public var message: String
    }

    static func plan<G: RandomNumberGenerator>(
        _ topic: CreateTopicsRequest.CreatableTopic, image: MetadataImage, config: ServerConfig, generator: inout G
    ) -> Result<Planned, Failure> {
        if let problem = TopicName.problem(with: topic.name) {
            return .failure(Failure(code: .invalidTopicException, message: problem))
        }
        if image.topic(named: topic.name) != nil {
            return .failure(Failure(code: .topicAlreadyExists, message: "Topic '\(topic.name)' already exists."))
        }
        let key = TopicName.collisionKey(topic.name)
        if let other = image.topicNames.first(where: { TopicName.collisionKey($0) == key }) {
            return .failure(Failure(code: .invalidTopicException,
                                    message: "Topic '\(topic.name)' collides with existing topic '\(other)' ('.' and '_' are interchangeable)"))
        }
        var overrides: [String: String] = [:]
        for c in topic.configs {
            if let problem = TopicConfigs.validate(name: c.name, value: c.value) {
                return .failure(Failure(code: .invalidConfig, message: problem))
            }
            if let v = c.value { overrides[c.name] = v }
        }
        let brokers = image.activeBrokers.map(\.id)
        var assignments: [Int32: [Int32]] = [:]
        if !topic.assignments.isEmpty {
            guard topic.assignments.count <= Int(maxPartitionsPerRequest) else {
                return .failure(Failure(code: .invalidPartitions, message: "Creating \(topic.assignments.count) partitions at once exceeds the limit of \(maxPartitionsPerRequest)."))
            }
            guard topic.numPartitions == -1, topic.replicationFactor == -1 else {
                return .failure(Failure(code: .invalidRequest,
                                        message: "Both manual assignments and numPartitions/replicationFactor were given"))
            }
            let width = topic.assignments[0].brokerIDs.count
            guard width <= 1 else { return .failure(Self.noReplication(width)) }
            for a in topic.assignments {
                guard a.partitionIndex >= 0, a.partitionIndex < Int32(topic.assignments.count), assignments[a.partitionIndex] == nil else {
                    return .failure(Failure(code: .invalidReplicaAssignment, message: "Partitions must be numbered 0 to \(topic.assignments.count - 1), each once"))
                }
                guard !a.brokerIDs.isEmpty, a.brokerIDs.count == width, Set(a.brokerIDs).count == width else {
                    return .failure(Failure(code: .invalidReplicaAssignment, message: "Partition \(a.partitionIndex) needs \(width) distinct replicas"))
                }
                if let unknown = a.brokerIDs.first(where: { image.brokers[$0] == nil }) {
                    return .failure(Failure(code: .invalidReplicaAssignment, message: "Broker \(unknown) is not registered"))
                }
                assignments[a.partitionIndex] = a.brokerIDs
            }
        } else {
            let partitions = topic.numPartitions == -1 ? config.numPartitions : topic.numPartitions
            guard partitions >= 1 else {
                return .failure(Failure(code: .invalidPartitions, message: "Number of partitions must be larger than 0."))
            }
            guard partitions <= maxPartitionsPerRequest else {
                return .failure(Failure(code: .invalidPartitions, message: "Creating \(partitions) partitions at once exceeds the limit of \(maxPartitionsPerRequest)."))
            }
            let rf = topic.replicationFactor == -1 ? config.defaultReplicationFactor : topic.replicationFactor
            guard rf >= 1 else {
                return .failure(Failure(code: .invalidReplicationFactor, message: "Replication factor must be larger than 0."))
            }
            // Checked after the broker count: one broker answers as Kafka does (not enough brokers).
            if rf > 1 && Int(rf) <= brokers.count { return .failure(Self.noReplication(Int(rf))) }
            switch ReplicaPlacement.place(partitions: 0..<partitions, replicationFactor: rf, brokers: brokers,
                                          start: brokers.isEmpty ? 0 : Int(generator.next() % UInt64(brokers.count))) {
            case let .success(a): assignments = a
            case let .failure(.notEnoughBrokers(available, requested)):
                return .failure(Failure(code: .invalidReplicationFactor,
                                        message: "Unable to replicate the partition \(requested) time(s): The target replication factor of \(requested) cannot be reached because only \(available) broker(s) are registered."))
            }
        }
        return .success(Planned(topicID: .random(using: &generator), assignments: assignments, configs: overrides, name: topic.name))
    }

    /// Partitions are not replicated yet (that comes with replica fetching): a replication factor above 1
    /// would promise copies that do not exist, so it is refused rather than silently ignored.
    static func noReplication(_ requested: Int) -> Failure {
        Failure(code: .invalidReplicationFactor,
                message: "Replication factor \(requested) is not supported: Strom does not replicate partitions yet; use 1.")
    }
}
