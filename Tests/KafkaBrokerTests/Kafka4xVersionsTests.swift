import BrokerTestKit
@testable import KafkaBroker
import KafkaProtocol
import Testing

/// The versions Kafka 4.x added to APIs Strom served in Kafka 3.9's versions, each on a running node
/// and in every advertised version: topic ids in OffsetCommit and OffsetFetch v10 and Produce v13,
/// DescribeGroups v6's GROUP_ID_NOT_FOUND, DescribeCluster v2's fenced brokers and Metadata v13's
/// top-level error. ListOffsets v10-11 and every Produce version are with the other data-path versions
/// (`DataPathTests`); Fetch v18 and AlterPartitionReassignments v1 with reassignment
/// (`ReassignmentAPITests`); WriteTxnMarkers v2 in `WriteTxnMarkersTests`; ListTransactions v2 in
/// `TransactionalProduceTests`.
@Suite struct Kafka4xVersionsTests {
    static let unknownID = KafkaUUID(mostSignificantBits: 0x5157_0000_0000_0001, leastSignificantBits: 42)

    /// Commits with one OffsetCommit version and reads back with every OffsetFetch version, each in its
    /// own layout: by name before v10, by topic id in v10. The offset committed names the version.
    @Test func offsetsCommittedInEveryVersionAreFetchedInEveryVersion() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let created = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 1, replicationFactor: 1)]), version: 7)
        #expect(created.topics.first?.errorCode == 0)
        let id = try #require(broker.metadata.image.topic(named: "t")?.id)
        let commitVersions = try #require(BrokerAssembly.clientAPIs.versions(for: .offsetCommit))
        let fetchVersions = try #require(BrokerAssembly.clientAPIs.versions(for: .offsetFetch))
        #expect(commitVersions.upperBound == 10 && fetchVersions.upperBound == 10)
        for commitVersion in commitVersions {
            let offset = 100 + Int64(commitVersion)
            let topic = commitVersion >= 10 ? OffsetCommitRequest.OffsetCommitRequestTopic(topicID: id, partitions: [])
                : .init(name: "t", partitions: [])
            var request = OffsetCommitRequest(groupID: "g", topics: [topic])
            request.topics[0].partitions = [.init(partitionIndex: 0, committedOffset: offset, committedMetadata: "v\(commitVersion)")]
            let committed = try await client.send(request, version: commitVersion)
            let answer = try #require(committed.topics.first)
            #expect(answer.partitions.map(\.errorCode) == [0], "OffsetCommit v\(commitVersion)")
            #expect(commitVersion >= 10 ? answer.topicID == id && answer.name.isEmpty : answer.name == "t", "OffsetCommit v\(commitVersion)")

            for fetchVersion in fetchVersions {
                let context = "OffsetCommit v\(commitVersion), OffsetFetch v\(fetchVersion)"
                if fetchVersion < 8 {
                    let fetched = try await client.send(OffsetFetchRequest(groupID: "g", topics: [.init(name: "t", partitionIndexes: [0])]),
                                                        version: fetchVersion)
                    #expect(fetched.topics.first?.partitions.first?.committedOffset == offset, "\(context)")
                    continue
                }
                let topic = fetchVersion >= 10 ? OffsetFetchRequest.OffsetFetchRequestGroup.OffsetFetchRequestTopics(topicID: id, partitionIndexes: [0])
                    : .init(name: "t", partitionIndexes: [0])
                let fetched = try await client.send(OffsetFetchRequest(groups: [.init(groupID: "g", topics: [topic])]), version: fetchVersion)
                let t = try #require(fetched.groups.first?.topics.first, "\(context)")
                #expect(t.partitions.first?.committedOffset == offset && t.partitions.first?.errorCode == 0, "\(context)")
                #expect(t.partitions.first?.metadata == "v\(commitVersion)", "\(context)")
                #expect(fetchVersion >= 10 ? t.topicID == id && t.name.isEmpty : t.name == "t", "\(context)")
            }
        }
        await client.close()
        await broker.shutdown()
    }

    /// An id no topic has is UNKNOWN_TOPIC_ID for each of its partitions, beside the topics that resolve;
    /// asking for all of a group's topics in v10 names each by its id.
    @Test func unknownTopicIDsAreUnknownTopicID() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 2, replicationFactor: 1)]), version: 7)
        let id = try #require(broker.metadata.image.topic(named: "t")?.id)
        let unknownTopicID = ErrorCode.unknownTopicID.rawValue

        let commit = OffsetCommitRequest(groupID: "g", topics: [
            .init(topicID: id, partitions: [.init(partitionIndex: 0, committedOffset: 5, committedMetadata: nil),
                                            .init(partitionIndex: 7, committedOffset: 5, committedMetadata: nil)]),
            .init(topicID: Self.unknownID, partitions: [.init(partitionIndex: 0, committedOffset: 5, committedMetadata: nil),
                                                        .init(partitionIndex: 1, committedOffset: 5, committedMetadata: nil)]),
        ])
        let committed = try await client.send(commit, version: 10)
        let unknown = try #require(committed.topics.first { $0.topicID == Self.unknownID })
        #expect(unknown.partitions.map(\.partitionIndex) == [0, 1] && unknown.partitions.allSatisfy { $0.errorCode == unknownTopicID })
        let known = try #require(committed.topics.first { $0.topicID == id })
        #expect(known.name.isEmpty)
        // A partition the known topic lacks is still UNKNOWN_TOPIC_OR_PARTITION.
        #expect(Dictionary(uniqueKeysWithValues: known.partitions.map { ($0.partitionIndex, ErrorCode(rawValue: $0.errorCode)) })
                == [0: ErrorCode.noError, 7: .unknownTopicOrPartition])

        let fetched = try await client.send(OffsetFetchRequest(groups: [
            .init(groupID: "g", topics: [.init(topicID: Self.unknownID, partitionIndexes: [3]), .init(topicID: id, partitionIndexes: [0, 1])]),
            .init(groupID: "other", topics: [.init(topicID: Self.unknownID, partitionIndexes: [0])]),
        ]), version: 10)
        #expect(fetched.groups.map(\.groupID) == ["g", "other"] && fetched.groups.allSatisfy { $0.errorCode == 0 })
        let g = fetched.groups[0]
        let resolved = try #require(g.topics.first { $0.topicID == id })
        #expect(resolved.partitions.map(\.committedOffset) == [5, -1] && resolved.name.isEmpty)
        let unresolved = try #require(g.topics.first { $0.topicID == Self.unknownID })
        #expect(unresolved.partitions.map(\.partitionIndex) == [3] && unresolved.partitions[0].errorCode == unknownTopicID)
        #expect(unresolved.partitions[0].committedOffset == -1)
        #expect(fetched.groups[1].topics.map(\.topicID) == [Self.unknownID])
        #expect(fetched.groups[1].topics.first?.partitions.map(\.errorCode) == [unknownTopicID])

        let all = try await client.send(OffsetFetchRequest(groups: [.init(groupID: "g", topics: nil)]), version: 10)
        #expect(all.groups.first?.topics.map(\.topicID) == [id])
        #expect(all.groups.first?.topics.first?.name == "")
        #expect(all.groups.first?.topics.first?.partitions.map(\.committedOffset) == [5])
        await client.close()
        await broker.shutdown()
    }

    /// The record values of partition 0 of the topic with `id`, read with Fetch v13 (by topic id).
    static func values(of id: KafkaUUID, through client: TestKafkaClient) async throws -> [String] {
        var fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        fetch.topics = [.init(topicID: id, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        let fetched = try await client.send(fetch, version: 13)
        return try DataPathTests.values(in: fetched.responses.first?.partitions.first?.records)
    }

    /// Produce v13 names topics by id: an id no topic has is UNKNOWN_TOPIC_ID beside a known one, which
    /// is written; the answer names both by id.
    @Test func produceVersion13ResolvesTopicIDs() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "p", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let id = try #require(broker.metadata.image.topic(named: "p")?.id)
        let produced = try await client.send(ProduceRequest(acks: -1, timeoutMs: 5_000, topicData: [
            .init(topicID: Self.unknownID, partitionData: [.init(index: 0, records: try DataPathTests.batch(["lost"]))]),
            .init(topicID: id, partitionData: [.init(index: 0, records: try DataPathTests.batch(["kept"]))]),
        ]), version: 13)
        #expect(produced.responses.allSatisfy { $0.name.isEmpty })
        let unknown = try #require(produced.responses.first { $0.topicID == Self.unknownID }?.partitionResponses.first)
        #expect(ErrorCode(rawValue: unknown.errorCode) == .unknownTopicID && unknown.baseOffset == -1)
        let known = try #require(produced.responses.first { $0.topicID == id }?.partitionResponses.first)
        #expect(known.errorCode == 0 && known.baseOffset == 0)
        #expect(try await Self.values(of: id, through: client) == ["kept"])
        await client.close()
        await broker.shutdown()
    }

    /// acks=0 with an id no topic has beside a known topic: the known topic's records are written, and
    /// the connection closes before the requests read after this one append anything.
    @Test func produceVersion13AcksZeroWithAnUnknownIDClosesBeforeTheNextRequestsAppend() async throws {
        let broker = try await TestBroker()
        let setup = try await broker.client()
        _ = try await setup.send(CreateTopicsRequest(topics: [.init(name: "p", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let id = try #require(broker.metadata.image.topic(named: "p")?.id)
        let producer = try await broker.client()
        try await producer.sendWithoutResponse(ProduceRequest(acks: 0, timeoutMs: 5_000, topicData: [
            .init(topicID: Self.unknownID, partitionData: [.init(index: 0, records: try DataPathTests.batch(["lost"]))]),
            .init(topicID: id, partitionData: [.init(index: 0, records: try DataPathTests.batch(["kept"]))]),
        ]), version: 13)
        for n in 0..<4 {
            try await producer.sendWithoutResponse(ProduceRequest(acks: 1, timeoutMs: 5_000, topicData: [
                .init(topicID: id, partitionData: [.init(index: 0, records: try DataPathTests.batch(["after-\(n)"]))]),
            ]), version: 13)
        }
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await producer.receive() }
        #expect(try await Self.values(of: id, through: setup) == ["kept"])
        await producer.close()
        await setup.close()
        await broker.shutdown()
    }

    /// A group DescribeGroups cannot describe is Dead: silently up to v5, with GROUP_ID_NOT_FOUND and
    /// Kafka's message from v6.
    @Test func describeGroupsSaysWhyFromVersion6() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let versions = try #require(BrokerAssembly.clientAPIs.versions(for: .describeGroups))
        #expect(versions.upperBound == 6)
        for version in versions {
            let response = try await client.send(DescribeGroupsRequest(groups: ["nobody"]), version: version)
            let group = try #require(response.groups.first)
            #expect(group.groupID == "nobody" && group.groupState == "Dead", "v\(version)")
            if version >= 6 {
                #expect(ErrorCode(rawValue: group.errorCode) == .groupIDNotFound)
                #expect(group.errorMessage == "Group nobody not found.")
            } else {
                #expect(group.errorCode == 0 && group.errorMessage == nil, "v\(version)")
            }
        }
        await client.close()
        await broker.shutdown()
    }

    /// A registered broker that has not caught up is fenced: DescribeCluster lists it only in v2 and only
    /// when asked, marked fenced. The controller listener lists controllers, never fenced.
    @Test func describeClusterListsFencedBrokersOnlyWhenAsked() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        let controller = try await TestKafkaClient(port: try #require(broker.node.boundPorts["CONTROLLER"]))
        var registration = BrokerRegistrationRequest()
        registration.brokerID = 2
        registration.clusterID = broker.metadata.clusterID
        registration.incarnationID = KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2)
        registration.listeners = [.init(name: "PLAINTEXT", host: "127.0.0.1", port: 1, securityProtocol: 0)]
        registration.features = [.init(name: "metadata.version", minSupportedVersion: 7, maxSupportedVersion: 21),
                                 .init(name: "transaction.version", minSupportedVersion: 0, maxSupportedVersion: 2)]
        #expect(try await controller.send(registration, version: 4).errorCode == 0)
        let clock = broker.metadata.clock
        let seen = await broker.metadata.publication.wait(until: { $0.image.brokers[2] != nil }, deadlineMs: clock.nowMs() + 10_000)
        #expect(seen)
        #expect(broker.metadata.image.brokers[2]?.fenced == true)

        let versions = try #require(BrokerAssembly.clientAPIs.versions(for: .describeCluster))
        #expect(versions.upperBound == 2)
        for version in versions {
            for include in [false, true] {
                let response = try await client.send(DescribeClusterRequest(includeFencedBrokers: include), version: version)
                #expect(response.errorCode == 0)
                // Only v2 carries the flag; older versions list the unfenced brokers.
                let listed = version >= 2 && include
                #expect(response.brokers.map(\.brokerID) == (listed ? [1, 2] : [1]), "v\(version) include \(include)")
                #expect(response.brokers.map(\.isFenced) == (listed ? [false, true] : [false]), "v\(version) include \(include)")
            }
        }
        let controllers = try await controller.send(DescribeClusterRequest(endpointType: 2, includeFencedBrokers: true), version: 2)
        #expect(controllers.errorCode == 0 && controllers.brokers.map(\.brokerID) == [1] && controllers.brokers.map(\.isFenced) == [false])
        await controller.close()
        await client.close()
        await broker.shutdown()
    }

    /// Metadata v13's top-level error is 0: Strom never sends a client back to bootstrap.
    @Test func metadataVersion13HasNoTopLevelError() async throws {
        let broker = try await TestBroker()
        let client = try await broker.client()
        _ = try await client.send(CreateTopicsRequest(topics: [.init(name: "m", numPartitions: 1, replicationFactor: 1)]), version: 7)
        let versions = try #require(BrokerAssembly.clientAPIs.versions(for: .metadata))
        #expect(versions.upperBound == 13)
        let response = try await client.send(MetadataRequest(topics: [.init(name: "m")]), version: 13)
        #expect(response.errorCode == 0)
        #expect(response.topics.map(\.name) == ["m"] && response.topics.first?.errorCode == 0)
        #expect(response.brokers.map(\.nodeID) == [1])
        await client.close()
        await broker.shutdown()
    }
}
