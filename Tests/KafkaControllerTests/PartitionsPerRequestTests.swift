import KafkaController
import KafkaMetadata
import KafkaProtocol
import KafkaTestKit
import SeededRandom
import StromConfig
import Testing

/// One CreateTopics request asks for at most `CreateTopics.maxPartitionsPerRequest` partitions over
/// all its topics, counted as Kafka counts them (before any other check): a request over it is refused
/// whole, POLICY_VIOLATION for every topic. CreatePartitions refuses topic by topic instead.
@Suite struct PartitionsPerRequestTests {
    let config = try! ServerConfig.parse(ServerConfig.embeddedDefaults)
    let limit = CreateTopics.maxPartitionsPerRequest

    private func create(_ partitions: [Int32], validateOnly: Bool = false, image: MetadataImage? = nil) throws -> ControllerResult<CreateTopicsResponse> {
        var g = SplitMix64(seed: 3)
        let topics = partitions.enumerated().map { CreateTopicsRequest.CreatableTopic(name: "t\($0.offset)", numPartitions: $0.element, replicationFactor: 1) }
        return CreateTopics.handle(CreateTopicsRequest(topics: topics, validateOnly: validateOnly),
                                   image: try image ?? CreateTopicsTests.image(), config: config, generator: &g)
    }

    @Test(arguments: [false, true]) func sixFullTopicsAreRefusedWhole(validateOnly: Bool) throws {
        let result = try create(Array(repeating: limit, count: 6), validateOnly: validateOnly)
        #expect(result.response.topics.map(\.errorCode) == Array(repeating: ErrorCode.policyViolation.rawValue, count: 6))
        #expect(result.response.topics[0].errorMessage?.contains("limit of \(limit)") == true)
        #expect(result.records.isEmpty)
    }

    @Test func aRequestOfExactlyTheLimitIsCreated() throws {
        let result = try create([limit - 10, 10])
        #expect(result.response.topics.map(\.errorCode) == [0, 0])
        #expect(result.records.filter { $0.record is PartitionRecord }.count == Int(limit))
        #expect(try create([limit - 10, 10, 1]).response.topics.map(\.errorCode) == Array(repeating: ErrorCode.policyViolation.rawValue, count: 3))
    }

    /// Kafka counts what is asked for, before validating: even topics that would be refused count, and
    /// -1 counts as the broker's num.partitions.
    @Test func whatIsAskedForCountsBeforeAnyOtherCheck() throws {
        var g = SplitMix64(seed: 4)
        let request = CreateTopicsRequest(topics: [
            .init(name: "bad name", numPartitions: limit, replicationFactor: 1),
            .init(name: "defaults", numPartitions: -1, replicationFactor: -1),
        ])
        let result = CreateTopics.handle(request, image: try CreateTopicsTests.image(), config: config, generator: &g)
        #expect(result.response.topics.map(\.errorCode) == Array(repeating: ErrorCode.policyViolation.rawValue, count: 2))
        #expect(result.records.isEmpty)
    }

    @Test(arguments: [false, true]) func createPartitionsIsBoundedOverTheRequest(validateOnly: Bool) throws {
        var delta = MetadataDelta(base: try CreateTopicsTests.image())
        for r in try create([1, 1, 1]).records { try delta.replay(r.record) }
        let image = delta.apply(provenance: .init(offset: 9, epoch: 1))
        var g = SplitMix64(seed: 5)
        let request = CreatePartitionsRequest(topics: [
            .init(name: "t0", count: limit - 99), .init(name: "t1", count: 101), .init(name: "t2", count: 50),
        ], validateOnly: validateOnly)
        let result = CreatePartitions.handle(request, image: image, generator: &g)
        // t0 adds limit-100 and t1 100 more, exactly the limit; t2's 49 would pass it.
        #expect(result.response.results.map(\.errorCode) == [0, 0, ErrorCode.policyViolation.rawValue])
        #expect(result.response.results[2].errorMessage?.contains("limit of \(limit)") == true)
        #expect(result.records.count == (validateOnly ? 0 : Int(limit)))
    }
}
