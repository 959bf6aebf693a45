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
                result.numPartitions = Int32(planned.partitions.count)
                result.replicationFactor = Int16(planned.partitions[0]?.replicas.count ?? 0)
                result.configs = DescribeTopicConfigs.entries(topicOverrides: planned.configs, config: config.with(dynamicConfigsOf: image)).map {
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
        var partitions: [Int32: PartitionRegistration]
        var configs: [String: String]
        var name: String

        var records: [MetadataRecordAndVersion] {
            var out = [MetadataRecordAndVersion(TopicRecord(name: name, topicID: topicID), version: 0)]
            for p in partitions.keys.sorted() {
                out.append(MetadataRecordAndVersion(partitions[p]!.record(topicID: topicID, partition: p), version: 0))
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
        var partitions: [Int32: PartitionRegistration] = [:]
        if !topic.assignments.isEmpty {
            guard topic.assignments.count <= Int(maxPartitionsPerRequest) else {
                return .failure(Failure(code: .invalidPartitions, message: "Creating \(topic.assignments.count) partitions at once exceeds the limit of \(maxPartitionsPerRequest)."))
            }
            guard topic.replicationFactor == -1 else {
                return .failure(Failure(code: .invalidRequest,
                                        message: "A manual partition assignment was specified, but replication factor was not set to -1."))
            }
            guard topic.numPartitions == -1 else {
                return .failure(Failure(code: .invalidRequest,
                                        message: "A manual partition assignment was specified, but numPartitions was not set to -1."))
            }
            var width: Int?
            for a in topic.assignments {
                guard partitions[a.partitionIndex] == nil else {
                    return .failure(Failure(code: .invalidReplicaAssignment,
                                            message: "Found multiple manual partition assignments for partition \(a.partitionIndex)"))
                }
                if let problem = ManualAssignment.problem(a.brokerIDs, replicationFactor: width, image: image) { return .failure(problem) }
                width = a.brokerIDs.count
                switch ManualAssignment.initialISR(a.brokerIDs, partition: a.partitionIndex, image: image) {
                case let .failure(problem): return .failure(problem)
                case let .success(isr): partitions[a.partitionIndex] = PartitionRegistration(replicas: a.brokerIDs, isr: isr, leader: isr[0])
                }
            }
            guard (0..<Int32(partitions.count)).allSatisfy({ partitions[$0] != nil }) else {
                return .failure(Failure(code: .invalidReplicaAssignment, message: "partitions should be a consecutive 0-based integer sequence"))
            }
        } else {
            guard topic.replicationFactor >= 1 || topic.replicationFactor == -1 else {
                return .failure(Failure(code: .invalidReplicationFactor,
                                        message: "Replication factor must be larger than 0, or -1 to use the default value."))
            }
            guard topic.numPartitions >= 1 || topic.numPartitions == -1 else {
                return .failure(Failure(code: .invalidPartitions, message: "Number of partitions was set to an invalid non-positive value."))
            }
            let count = topic.numPartitions == -1 ? config.numPartitions : topic.numPartitions
            guard count <= maxPartitionsPerRequest else {
                return .failure(Failure(code: .invalidPartitions, message: "Creating \(count) partitions at once exceeds the limit of \(maxPartitionsPerRequest)."))
            }
            let rf = topic.replicationFactor == -1 ? config.defaultReplicationFactor : topic.replicationFactor
            switch place(0..<count, replicationFactor: rf, image: image, generator: &generator) {
            case let .failure(problem): return .failure(problem)
            case let .success(placed): partitions = placed
            }
        }
        return .success(Planned(topicID: .random(using: &generator), partitions: partitions, configs: overrides, name: topic.name))
    }

    /// New partitions placed automatically (`ReplicaPlacement`, with racks) over the brokers that may
    /// lead, each with all its replicas in sync and the first leading. INVALID_REPLICATION_FACTOR, in
    /// Kafka's words, when there are too few such brokers.
    static func place<G: RandomNumberGenerator>(_ partitions: Range<Int32>, replicationFactor: Int16, image: MetadataImage,
                                                generator: inout G) -> Result<[Int32: PartitionRegistration], Failure> {
        let brokers = image.brokers.values.filter { image.isAcceptableLeader($0.id) }
        guard !brokers.isEmpty else {
            return .failure(Failure(code: .invalidReplicationFactor,
                                    message: "Unable to replicate the partition \(replicationFactor) time(s): All brokers are currently fenced."))
        }
        let racks = Dictionary(uniqueKeysWithValues: brokers.compactMap { b in b.rack.map { (b.id, $0) } })
        let start = Int(generator.next() % UInt64(brokers.count))
        switch ReplicaPlacement.place(partitions: partitions, replicationFactor: replicationFactor, brokers: brokers.map(\.id),
                                      racks: racks, start: start) {
        case let .success(placed):
            return .success(placed.mapValues { PartitionRegistration(replicas: $0, isr: $0, leader: $0[0]) })
        case let .failure(.notEnoughBrokers(available, requested)):
            return .failure(Failure(code: .invalidReplicationFactor,
                                    message: "Unable to replicate the partition \(requested) time(s): The target replication factor of \(requested) "
                                        + "cannot be reached because only \(available) broker(s) are registered and unfenced."))
        }
    }
}
