import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaTestKit
import SeededRandom
import StromConfig
import Testing

/// Controller decisions are pure: each test builds an image, asks, and checks records and response.
@Suite struct CreateTopicsTests {
    let config = try! ServerConfig.parse(ServerConfig.embeddedDefaults.merging(["num.partitions": "3"]) { $1 })

    /// An image with brokers 1...n registered and unfenced.
    static func image(brokers: Int32 = 1) throws -> MetadataImage {
        var delta = MetadataDelta(base: .empty)
        for id in 1...brokers {
            let b = BrokerRegistration(id: id, incarnationID: .zero, epoch: 0,
                                       endpoints: [.init(listenerName: "PLAINTEXT", host: "h", port: UInt16(9000 + id))], fenced: false)
            try delta.replay(b.record)
        }
        return delta.apply(provenance: .init(offset: 0, epoch: 1))
    }

    private func create(_ topics: [CreateTopicsRequest.CreatableTopic], image: MetadataImage, validateOnly: Bool = false)
        -> ControllerResult<CreateTopicsResponse> {
        var g = SplitMix64(seed: 1)
        return CreateTopics.handle(CreateTopicsRequest(topics: topics, validateOnly: validateOnly), image: image, config: config, generator: &g)
    }

    private func apply(_ result: ControllerResult<CreateTopicsResponse>, to image: MetadataImage) throws -> MetadataImage {
        var delta = MetadataDelta(base: image)
        for r in result.records { try delta.replay(r.record) }
        return delta.apply(provenance: .init(offset: 1, epoch: 1))
    }

    @Test func createsTopicPartitionsAndConfigsWithBrokerDefaults() throws {
        let base = try Self.image()
        let result = create([.init(name: "orders", numPartitions: -1, replicationFactor: -1,
                                   configs: [.init(name: "retention.ms", value: "1000")])], image: base)
        let r = try #require(result.response.topics.first)
        #expect(r.errorCode == 0)
        #expect(r.numPartitions == 3)
        #expect(r.replicationFactor == 1)
        #expect(r.configs?.first { $0.name == "retention.ms" }?.value == "1000")
        #expect(r.configs?.first { $0.name == "retention.ms" }?.configSource == ConfigSource.dynamicTopicConfig.rawValue)
        #expect(r.configs?.first { $0.name == "segment.bytes" }?.configSource == ConfigSource.defaultConfig.rawValue)
        let image = try apply(result, to: base)
        let topic = try #require(image.topic(named: "orders"))
        #expect(topic.id == r.topicID)
        #expect(topic.partitionIndexes == [0, 1, 2])
        #expect(topic.partitions.values.allSatisfy { $0.leader == 1 && $0.replicas == [1] && $0.isr == [1] })
        #expect(image.configs(for: .topic("orders")) == ["retention.ms": "1000"])
    }

    @Test func refusalsCarryKafkasErrorCodes() throws {
        let base = try apply(create([.init(name: "exists", numPartitions: 1, replicationFactor: 1),
                                     .init(name: "my.topic", numPartitions: 1, replicationFactor: 1)], image: try Self.image()), to: try Self.image())
        let cases: [(CreateTopicsRequest.CreatableTopic, ErrorCode)] = [
            (.init(name: "exists", numPartitions: 1, replicationFactor: 1), .topicAlreadyExists),
            (.init(name: "my_topic", numPartitions: 1, replicationFactor: 1), .invalidTopicException),
            // Over the request's limit, which Kafka checks first.
            (.init(name: "huge", numPartitions: Int32.max, replicationFactor: 1), .policyViolation),
            (.init(name: "bad name", numPartitions: 1, replicationFactor: 1), .invalidTopicException),
            (.init(name: String(repeating: "x", count: 250), numPartitions: 1, replicationFactor: 1), .invalidTopicException),
            (.init(name: "zero", numPartitions: 0, replicationFactor: 1), .invalidPartitions),
            (.init(name: "rf", numPartitions: 1, replicationFactor: 3), .invalidReplicationFactor),
            (.init(name: "cfg", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "soon")]), .invalidConfig),
            (.init(name: "cfg2", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "no.such.key", value: "1")]), .invalidConfig),
            (.init(name: "both", numPartitions: 2, replicationFactor: -1, assignments: [.init(partitionIndex: 0, brokerIDs: [1])]), .invalidRequest),
            (.init(name: "gap", numPartitions: -1, replicationFactor: -1, assignments: [.init(partitionIndex: 1, brokerIDs: [1])]), .invalidReplicaAssignment),
            (.init(name: "ghost", numPartitions: -1, replicationFactor: -1, assignments: [.init(partitionIndex: 0, brokerIDs: [7])]), .invalidReplicaAssignment),
        ]
        for (topic, code) in cases {
            let result = create([topic], image: base)
            #expect(result.response.topics.first?.errorCode == code.rawValue, "\(topic.name): \(result.response.topics.first?.errorMessage ?? "-")")
            #expect(result.records.isEmpty, "\(topic.name) must record nothing")
        }
        // "my_topic" collides with "my.topic" only through '.' vs '_'; a different name does not.
        #expect(create([.init(name: "my_topic2", numPartitions: 1, replicationFactor: 1)], image: base).response.topics[0].errorCode == 0)
    }

    @Test func duplicatesInOneRequestAreBothRefused() throws {
        let result = create([.init(name: "a", numPartitions: 1, replicationFactor: 1), .init(name: "a", numPartitions: 1, replicationFactor: 1)],
                            image: try Self.image())
        #expect(result.response.topics.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue, ErrorCode.invalidRequest.rawValue])
        #expect(result.records.isEmpty)
    }

    @Test func validateOnlyAnswersButRecordsNothing() throws {
        let result = create([.init(name: "v", numPartitions: 2, replicationFactor: 1)], image: try Self.image(), validateOnly: true)
        #expect(result.response.topics.first?.errorCode == 0)
        #expect(result.response.topics.first?.numPartitions == 2)
        #expect(result.records.isEmpty)
    }

    @Test func replicatedTopicsSpreadLeadersAndStartFullyInSync() throws {
        let base = try Self.image(brokers: 3)
        let result = create([.init(name: "r3", numPartitions: 6, replicationFactor: 3)], image: base)
        #expect(result.response.topics.first?.errorCode == 0)
        #expect(result.response.topics.first?.replicationFactor == 3)
        let image = try apply(result, to: base)
        let partitions = try #require(image.topic(named: "r3")?.partitions)
        var leaders: [Int32: Int] = [:]
        for p in partitions.values {
            #expect(Set(p.replicas) == [1, 2, 3] && p.isr == p.replicas && p.leader == p.replicas[0] && p.leaderEpoch == 0)
            leaders[p.leader, default: 0] += 1
        }
        #expect(leaders == [1: 2, 2: 2, 3: 2])
        let tooMany = create([.init(name: "r4", numPartitions: 1, replicationFactor: 4)], image: base)
        #expect(tooMany.response.topics.first?.errorCode == ErrorCode.invalidReplicationFactor.rawValue)
    }

    @Test func manualAssignmentsOfAnyWidthWithKafkasChecks() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3], fenced: [3])
        let ok = create([.init(name: "m", numPartitions: -1, replicationFactor: -1, assignments: [
            .init(partitionIndex: 1, brokerIDs: [2, 1]), .init(partitionIndex: 0, brokerIDs: [3, 1]),
        ])], image: cluster.image)
        #expect(ok.response.topics.first?.errorCode == 0 && ok.response.topics.first?.replicationFactor == 2)
        try cluster.apply(ok.records)
        #expect(cluster.partition("m", 1).replicas == [2, 1] && cluster.partition("m", 1).isr == [2, 1] && cluster.partition("m", 1).leader == 2)
        // A fenced broker is a replica but not in the ISR, and does not lead.
        #expect(cluster.partition("m", 0).replicas == [3, 1] && cluster.partition("m", 0).isr == [1] && cluster.partition("m", 0).leader == 1)

        let cases: [([CreateTopicsRequest.CreatableTopic.CreatableReplicaAssignment], String)] = [
            ([.init(partitionIndex: 0, brokerIDs: [1]), .init(partitionIndex: 0, brokerIDs: [2])], "Found multiple manual partition assignments for partition 0"),
            ([.init(partitionIndex: 0, brokerIDs: [])], "The manual partition assignment includes an empty replica list."),
            ([.init(partitionIndex: 0, brokerIDs: [1, 1])], "The manual partition assignment includes the broker 1 more than once."),
            ([.init(partitionIndex: 0, brokerIDs: [1, 9])], "The manual partition assignment includes broker 9, but no such broker is registered."),
            ([.init(partitionIndex: 0, brokerIDs: [1, 2]), .init(partitionIndex: 1, brokerIDs: [1])],
             "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s)."),
            ([.init(partitionIndex: 0, brokerIDs: [3])], "All brokers specified in the manual partition assignment for partition 0 are fenced or in controlled shutdown."),
            ([.init(partitionIndex: 0, brokerIDs: [1]), .init(partitionIndex: 2, brokerIDs: [2])], "partitions should be a consecutive 0-based integer sequence"),
        ]
        for (assignments, message) in cases {
            let refused = create([.init(name: "x", numPartitions: -1, replicationFactor: -1, assignments: assignments)], image: cluster.image)
            #expect(refused.response.topics.first?.errorCode == ErrorCode.invalidReplicaAssignment.rawValue, "\(message)")
            #expect(refused.response.topics.first?.errorMessage == message)
            #expect(refused.records.isEmpty)
        }
    }

    @Test func createPartitionsKeepsTheReplicationFactorAndTakesAssignments() throws {
        var cluster = try ClusterFixture(brokers: [1, 2, 3])
        try cluster.addTopic("t", [([1, 2], [1, 2], 1)])
        var g = SplitMix64(seed: 3)
        let grown = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 4)]), image: cluster.image, generator: &g)
        #expect(grown.response.results.first?.errorCode == 0)
        try cluster.apply(grown.records)
        for p: Int32 in 1...3 {
            let partition = cluster.partition("t", p)
            #expect(partition.replicas.count == 2 && Set(partition.replicas).count == 2 && partition.isr == partition.replicas)
        }
        let assigned = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 5, assignments: [.init(brokerIDs: [3, 1])])]),
                                               image: cluster.image, generator: &g)
        #expect(assigned.response.results.first?.errorCode == 0)
        try cluster.apply(assigned.records)
        #expect(cluster.partition("t", 4).replicas == [3, 1] && cluster.partition("t", 4).leader == 3)
        let narrow = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 6, assignments: [.init(brokerIDs: [3])])]),
                                             image: cluster.image, generator: &g)
        #expect(narrow.response.results.first?.errorCode == ErrorCode.invalidReplicaAssignment.rawValue)
        let short = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 7, assignments: [.init(brokerIDs: [3, 1])])]),
                                            image: cluster.image, generator: &g)
        #expect(short.response.results.first?.errorMessage == "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.")
        let same = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 5)]), image: cluster.image, generator: &g)
        #expect(same.response.results.first?.errorMessage == "Topic already has 5 partition(s).")
    }

    @Test func racksAreSpreadOver() throws {
        // Racks a: 1, 2, 3; b: 4; c: 5. Every partition of three replicas spans the three racks.
        let racks: [Int32: String] = [1: "a", 2: "a", 3: "a", 4: "b", 5: "c"]
        for start in 0..<5 {
            let placed = try ReplicaPlacement.place(partitions: 0..<10, replicationFactor: 3, brokers: [1, 2, 3, 4, 5], racks: racks, start: start).get()
            for replicas in placed.values {
                #expect(Set(replicas).count == 3 && Set(replicas.map { racks[$0]! }) == ["a", "b", "c"], "\(replicas)")
            }
            // Two replicas: never both in one rack.
            let pairs = try ReplicaPlacement.place(partitions: 0..<10, replicationFactor: 2, brokers: [1, 2, 3, 4, 5], racks: racks, start: start).get()
            #expect(pairs.values.allSatisfy { racks[$0[0]] != racks[$0[1]] })
        }
        // Leaders go round the rack-alternating list: 1 (a), 4 (b), 5 (c), 2 (a), 3 (a).
        let leaders = try ReplicaPlacement.place(partitions: 0..<5, replicationFactor: 1, brokers: [1, 2, 3, 4, 5], racks: racks, start: 0).get()
        #expect((0..<5).map { leaders[Int32($0)]![0] } == [1, 4, 5, 2, 3])
    }

    @Test func replicasSpreadAcrossBrokers() throws {
        let base = try Self.image(brokers: 3)
        let result = create([.init(name: "spread", numPartitions: 6, replicationFactor: 1)], image: base)
        let image = try apply(result, to: base)
        let partitions = try #require(image.topic(named: "spread")?.partitions)
        var leaders: [Int32: Int] = [:]
        for p in partitions.values {
            #expect(p.replicas == [p.leader])
            leaders[p.leader, default: 0] += 1
        }
        #expect(leaders == [1: 2, 2: 2, 3: 2])
    }
}

@Suite struct TopicChangeTests {
    private func image(partitions: Int32 = 2, configs: [String: String] = [:]) throws -> MetadataImage {
        var delta = MetadataDelta(base: try CreateTopicsTests.image())
        let id = KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 1)
        try delta.replay(TopicRecord(name: "t", topicID: id))
        for p in 0..<partitions {
            try delta.replay(PartitionRecord(partitionID: p, topicID: id, replicas: [1], isr: [1], leader: 1))
        }
        for (k, v) in configs { try delta.replay(ConfigRecord(resourceType: 2, resourceName: "t", name: k, value: v)) }
        return delta.apply(provenance: .init(offset: 5, epoch: 1))
    }

    @Test func deleteTopicsByNameAndByID() throws {
        let base = try image()
        let byName = DeleteTopics.handle(DeleteTopicsRequest(topicNames: ["t", "missing"]), version: 5, image: base)
        #expect(byName.response.responses.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
        #expect(byName.records.count == 1)
        let id = base.topic(named: "t")!.id
        let byID = DeleteTopics.handle(DeleteTopicsRequest(topics: [.init(name: nil, topicID: id), .init(name: nil, topicID: .zero)]), version: 6, image: base)
        #expect(byID.response.responses.map(\.errorCode) == [0, ErrorCode.unknownTopicID.rawValue])
        #expect(byID.response.responses[0].name == "t")
    }

    @Test func createPartitionsOnlyGrows() throws {
        let base = try image()
        var g = SplitMix64(seed: 2)
        let grow = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 4)]), image: base, generator: &g)
        #expect(grow.response.results.first?.errorCode == 0)
        #expect(grow.records.count == 2)
        let shrink = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "t", count: 2)]), image: base, generator: &g)
        #expect(shrink.response.results.first?.errorCode == ErrorCode.invalidPartitions.rawValue)
        let missing = CreatePartitions.handle(CreatePartitionsRequest(topics: [.init(name: "nope", count: 3)]), image: base, generator: &g)
        #expect(missing.response.results.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
    }

    /// AlterConfigs (legacy) replaces a topic's overrides: those given are set, the others removed; a
    /// bad one leaves the topic as it was; validate_only records nothing.
    @Test func alterConfigsReplacesTheOverrides() throws {
        let base = try image(configs: ["retention.ms": "5", "cleanup.policy": "compact"])
        func alter(_ configs: [(String, String?)], validateOnly: Bool = false) -> ControllerResult<AlterConfigsResponse> {
            AlterConfigs.handle(AlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: configs.map {
                .init(name: $0.0, value: $0.1)
            })], validateOnly: validateOnly), image: base)
        }
        let replaced = alter([("segment.bytes", "1048576"), ("retention.ms", "7")])
        #expect(replaced.response.responses.map(\.errorCode) == [0])
        let changes = replaced.records.compactMap { $0.record as? ConfigRecord }.map { "\($0.name)=\($0.value ?? "nil")" }
        #expect(changes == ["segment.bytes=1048576", "retention.ms=7", "cleanup.policy=nil"])
        #expect(alter([], validateOnly: true).records.isEmpty)
        #expect(alter([]).records.compactMap { $0.record as? ConfigRecord }.map(\.name).sorted() == ["cleanup.policy", "retention.ms"])
        let bad = alter([("segment.bytes", "1048576"), ("no.such.config", "1")])
        #expect(bad.response.responses.map(\.errorCode) == [ErrorCode.invalidConfig.rawValue])
        // As Kafka's ConfigAdminManager: a null value is refused in this form, and so is a resource named twice.
        let null = alter([("retention.ms", nil)])
        #expect(null.response.responses.map(\.errorMessage) == ["Null value not supported for : retention.ms"] && null.records.isEmpty)
        let named2 = AlterConfigs.handle(AlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: []),
                                                                        .init(resourceType: 2, resourceName: "t", configs: [])]), image: base)
        #expect(named2.response.responses.map(\.errorMessage) == ["Each resource must appear at most once.", "Each resource must appear at most once."])
        #expect(bad.records.isEmpty)
        let twice = alter([("retention.ms", "1"), ("retention.ms", "2")])
        #expect(twice.response.responses.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue])
        // A broker resource holds dynamic broker configs (DynamicBrokerConfigsTests); a name that is no node id is refused.
        let broker = AlterConfigs.handle(AlterConfigsRequest(resources: [.init(resourceType: 4, resourceName: "one", configs: [])]), image: base)
        #expect(broker.response.responses.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue])
    }

    @Test func incrementalAlterConfigsSetsDeletesAndChecksEverythingFirst() throws {
        let base = try image(configs: ["retention.ms": "5"])
        func alter(_ configs: [IncrementalAlterConfigsRequest.AlterConfigsResource.AlterableConfig]) -> ControllerResult<IncrementalAlterConfigsResponse> {
            IncrementalAlterConfigs.handle(IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: configs)]), image: base)
        }
        let ok = alter([.init(name: "segment.bytes", configOperation: 0, value: "1048576"), .init(name: "retention.ms", configOperation: 1, value: nil)])
        #expect(ok.response.responses.first?.errorCode == 0)
        #expect(ok.records.count == 2)
        #expect((ok.records[1].record as? ConfigRecord)?.value == nil)
        let bad = alter([.init(name: "segment.bytes", configOperation: 0, value: "1048576"), .init(name: "segment.bytes2", configOperation: 0, value: "1")])
        #expect(bad.response.responses.first?.errorCode == ErrorCode.invalidConfig.rawValue)
        #expect(bad.records.isEmpty)
        let broker = IncrementalAlterConfigs.handle(IncrementalAlterConfigsRequest(resources: [.init(resourceType: 4, resourceName: "-1", configs: [])]), image: base)
        #expect(broker.response.responses.first?.errorCode == ErrorCode.invalidRequest.rawValue)
    }

    @Test func producerIDBlocksNeverOverlap() throws {
        var delta = MetadataDelta(base: .empty)
        var seen: Set<Int64> = []
        for _ in 0..<3 {
            let (range, record) = ProducerIDBlocks.allocate(image: delta.current, brokerID: 1, brokerEpoch: 1)
            for id in range { #expect(seen.insert(id).inserted) }
            try delta.replay(record.record)
        }
        #expect(seen.count == 3000)
    }
}
