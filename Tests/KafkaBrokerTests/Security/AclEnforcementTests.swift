import BrokerTestKit
@testable import KafkaBroker
import StromConfig
import KafkaProtocol
import KafkaSecurity
import NIOCore
import Testing

/// ACLs enforced as Kafka's StandardAuthorizer and KafkaApis enforce them, on a node with a SASL
/// listener (users admin, alice, bob; admin a super user) and a PLAINTEXT one (User:ANONYMOUS, a
/// super user too, used to set up). Every check is made by a real request over a socket.
@Suite struct AclEnforcementTests {
    static let users = ["admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"]

    static func broker(superUsers: String = "User:admin;User:ANONYMOUS", extra: [String: String] = [:],
                       directory: String? = nil) async throws -> TestBroker {
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"admin-secret\" "
            + users.sorted { $0.key < $1.key }.map { "user_\($0.key)=\"\($0.value)\"" }.joined(separator: " ") + ";"
        var overrides = [
            "listeners": "PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0,CONTROLLER://127.0.0.1:0",
            "advertised.listeners": "PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl.plain.sasl.jaas.config": jaas,
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": superUsers,
        ]
        overrides.merge(extra) { $1 }
        return try await TestBroker(overrides: overrides, directory: directory)
    }

    /// A client logged in as `user` on the SASL listener.
    static func login(_ broker: TestBroker, _ user: String) async throws -> TestKafkaClient {
        let client = try await TestKafkaClient(port: broker.node.boundPorts["SASL"]!)
        try await client.authenticatePlain(user: user, password: users[user]!)
        return client
    }

    static func acl(_ type: AclResourceType, _ name: String, _ principal: String, _ operation: AclOperation,
                    _ permission: AclPermissionType = .allow, pattern: AclPatternType = .literal) -> CreateAclsRequest.AclCreation {
        .init(resourceType: type.rawValue, resourceName: name, resourcePatternType: pattern.rawValue, principal: principal,
              host: "*", operation: operation.rawValue, permissionType: permission.rawValue)
    }

    static func createAcls(_ client: TestKafkaClient, _ creations: [CreateAclsRequest.AclCreation]) async throws {
        let response = try await client.send(CreateAclsRequest(creations: creations), version: 3)
        #expect(response.results.count == creations.count)
        for r in response.results { #expect(r.errorCode == 0, "\(r.errorMessage ?? "")") }
    }

    static func createTopics(_ client: TestKafkaClient, _ names: [String]) async throws {
        let response = try await client.send(CreateTopicsRequest(topics: names.map { .init(name: $0, numPartitions: 1, replicationFactor: 1) }),
                                             version: 7)
        for t in response.topics { #expect(t.errorCode == 0, "\(t.name): \(t.errorMessage ?? "")") }
    }

    static func produce(_ client: TestKafkaClient, _ topic: String, _ value: String = "v") async throws -> ErrorCode {
        let response = try await client.send(DataPathTests.produce(try DataPathTests.batch([value]), topic: topic), version: 9)
        return ErrorCode(rawValue: try #require(response.responses.first?.partitionResponses.first).errorCode)
    }

    static func fetch(_ client: TestKafkaClient, _ topic: String) async throws -> ErrorCode {
        var request = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        request.topics = [.init(topic: topic, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        let response = try await client.send(request, version: 12)
        return ErrorCode(rawValue: try #require(response.responses.first?.partitions.first).errorCode)
    }

    static func metadata(_ client: TestKafkaClient, _ topics: [String]?, includeOps: Bool = false) async throws -> MetadataResponse {
        var request = MetadataRequest(topics: topics.map { $0.map { .init(name: $0) } })
        request.allowAutoTopicCreation = false
        request.includeTopicAuthorizedOperations = includeOps
        return try await client.send(request, version: 12)
    }

    static func bits(_ ops: [AclOperation]) -> Int32 { ops.reduce(0) { $0 | (1 << Int32($1.rawValue)) } }

    /// The matrix: literal and prefixed ALLOWs, a DENY over an ALLOW, implied DESCRIBE, topics a
    /// principal may not see, groups, idempotent producers, administration refused to non-super users.
    @Test func topicsGroupsAndProducersAreDecidedByTheAcls() async throws {
        let broker = try await Self.broker()
        let setup = try await broker.client()
        try await Self.createTopics(setup, ["orders", "logs", "pre-a", "pre-b"])
        try await Self.createAcls(setup, [
            Self.acl(.topic, "orders", "User:alice", .write),
            Self.acl(.topic, "pre-", "User:alice", .read, pattern: .prefixed),
            Self.acl(.topic, "pre-b", "User:alice", .read, .deny),
            Self.acl(.group, "g", "User:alice", .read),
        ])
        let alice = try await Self.login(broker, "alice")
        let bob = try await Self.login(broker, "bob")

        // Produce: WRITE on the topic; no ACL at all means no (allow.everyone.if.no.acl.found is false).
        #expect(try await Self.produce(alice, "orders") == .noError)
        #expect(try await Self.produce(alice, "logs") == .topicAuthorizationFailed)
        #expect(try await Self.produce(bob, "orders") == .topicAuthorizationFailed)
        // Whether a topic exists is not told to whom may not describe it.
        #expect(try await Self.produce(alice, "missing") == .topicAuthorizationFailed)

        // Fetch: READ; a prefixed ALLOW covers pre-a, the literal DENY wins on pre-b; WRITE is not READ.
        #expect(try await Self.fetch(alice, "pre-a") == .noError)
        #expect(try await Self.fetch(alice, "pre-b") == .topicAuthorizationFailed)
        #expect(try await Self.fetch(alice, "orders") == .topicAuthorizationFailed)

        // Metadata: DESCRIBE, implied by WRITE and READ (a DENY of READ does not deny DESCRIBE).
        let all = try await Self.metadata(alice, nil)
        #expect(Set(all.topics.compactMap(\.name)) == ["orders", "pre-a", "pre-b"])
        let named = try await Self.metadata(alice, ["orders", "logs", "missing"], includeOps: true)
        let byName = Dictionary(uniqueKeysWithValues: named.topics.map { ($0.name ?? "", $0) })
        #expect(byName["orders"]?.errorCode == 0)
        #expect(byName["orders"]?.topicAuthorizedOperations == Self.bits([.write, .describe]))
        #expect(byName["logs"]?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
        #expect(byName["missing"]?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
        #expect(try await Self.metadata(bob, nil).topics.isEmpty)

        // ListOffsets: DESCRIBE.
        let offsets = try await alice.send(ListOffsetsRequest(replicaID: -1, topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 0, timestamp: -1)]),
            .init(name: "logs", partitions: [.init(partitionIndex: 0, timestamp: -1)]),
        ]), version: 7)
        #expect(offsets.topics.map { $0.partitions[0].errorCode } == [0, ErrorCode.topicAuthorizationFailed.rawValue])

        // Groups: READ on the group (FindCoordinator: DESCRIBE, implied by READ); OffsetCommit also
        // needs READ on each topic.
        let found = try await alice.send(FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["g", "h"]), version: 4)
        #expect(found.coordinators.map(\.errorCode) == [0, ErrorCode.groupAuthorizationFailed.rawValue])
        let join = { (group: String) in
            JoinGroupRequest(groupID: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberID: "", protocolType: "consumer",
                             protocols: [.init(name: "range", metadata: [])])
        }
        #expect(try await alice.send(join("g"), version: 9).errorCode != ErrorCode.groupAuthorizationFailed.rawValue)
        #expect(try await alice.send(join("h"), version: 9).errorCode == ErrorCode.groupAuthorizationFailed.rawValue)
        let commit = try await alice.send(OffsetCommitRequest(groupID: "g", generationIDOrMemberEpoch: -1, memberID: "", topics: [
            .init(name: "pre-a", partitions: [.init(partitionIndex: 0, committedOffset: 0)]),
            .init(name: "orders", partitions: [.init(partitionIndex: 0, committedOffset: 0)]),
        ]), version: 8)
        let commitCodes = Dictionary(uniqueKeysWithValues: commit.topics.map { ($0.name, $0.partitions[0].errorCode) })
        #expect(commitCodes == ["pre-a": 0, "orders": ErrorCode.topicAuthorizationFailed.rawValue])

        // An idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic.
        #expect(try await alice.send(InitProducerIdRequest(transactionalID: nil, transactionTimeoutMs: -1), version: 4).errorCode == 0)
        #expect(try await bob.send(InitProducerIdRequest(transactionalID: nil, transactionTimeoutMs: -1), version: 4).errorCode
            == ErrorCode.clusterAuthorizationFailed.rawValue)
        #expect(try await alice.send(InitProducerIdRequest(transactionalID: "tx", transactionTimeoutMs: 60_000), version: 4).errorCode
            == ErrorCode.transactionalIDAuthorizationFailed.rawValue)

        // Administration: CREATE, DELETE, DESCRIBE_CONFIGS on topics; ALTER and DESCRIBE on the cluster for ACLs.
        let created = try await alice.send(CreateTopicsRequest(topics: [.init(name: "new", numPartitions: 1, replicationFactor: 1)]), version: 7)
        #expect(created.topics.map(\.errorCode) == [ErrorCode.topicAuthorizationFailed.rawValue])
        #expect(broker.metadata.image.topic(named: "new") == nil)
        let deleted = try await alice.send(DeleteTopicsRequest(topicNames: ["orders"]), version: 5)
        #expect(deleted.responses.map(\.errorCode) == [ErrorCode.topicAuthorizationFailed.rawValue])
        #expect(broker.metadata.image.topic(named: "orders") != nil)
        let configs = try await alice.send(DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "orders")]), version: 4)
        #expect(configs.results.map(\.errorCode) == [ErrorCode.topicAuthorizationFailed.rawValue])
        let aclsCreated = try await alice.send(CreateAclsRequest(creations: [Self.acl(.topic, "logs", "User:alice", .write)]), version: 3)
        #expect(aclsCreated.results.map(\.errorCode) == [ErrorCode.clusterAuthorizationFailed.rawValue])
        #expect(try await Self.produce(alice, "logs") == .topicAuthorizationFailed)
        let described = try await bob.send(DescribeAclsRequest(resourceTypeFilter: 1, resourceNameFilter: nil, patternTypeFilter: 1,
                                                               principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1), version: 3)
        #expect(described.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)
        #expect(described.resources.isEmpty)

        // The super user does everything.
        let admin = try await Self.login(broker, "admin")
        #expect(try await Self.produce(admin, "logs") == .noError)
        #expect(try await Self.fetch(admin, "pre-b") == .noError)
        for c in [setup, alice, bob, admin] { await c.close() }
        await broker.shutdown()
    }

    /// CreateAcls, DescribeAcls and DeleteAcls by a super user over SASL; each change decides the next
    /// request on this node, and survives a restart (the ACLs are replayed from the metadata log).
    @Test func aclsAreCreatedDescribedDeletedAndKeptAcrossARestart() async throws {
        var broker = try await Self.broker()
        let directory = broker.directory
        let setup = try await broker.client()
        try await Self.createTopics(setup, ["t"])
        await setup.close()
        let admin = try await Self.login(broker, "admin")
        var alice = try await Self.login(broker, "alice")
        #expect(try await Self.produce(alice, "t") == .topicAuthorizationFailed)
        try await Self.createAcls(admin, [Self.acl(.topic, "t", "User:alice", .write), Self.acl(.topic, "t", "User:alice", .write)])
        #expect(try await Self.produce(alice, "t") == .noError)

        let filter = DescribeAclsRequest(resourceTypeFilter: AclResourceType.topic.rawValue, resourceNameFilter: "t",
                                         patternTypeFilter: AclPatternType.any.rawValue, principalFilter: nil, hostFilter: nil,
                                         operation: AclOperation.any.rawValue, permissionType: AclPermissionType.any.rawValue)
        let described = try await admin.send(filter, version: 3)
        #expect(described.errorCode == 0)
        #expect(described.resources.count == 1)
        #expect(described.resources.first?.acls.map(\.principal) == ["User:alice"])
        await admin.close()
        await alice.close()

        await broker.shutdown(keepData: true)
        broker = try await Self.broker(directory: directory)
        let again = try await Self.login(broker, "admin")
        alice = try await Self.login(broker, "alice")
        #expect(try await Self.produce(alice, "t") == .noError)
        let deleted = try await again.send(DeleteAclsRequest(filters: [.init(
            resourceTypeFilter: AclResourceType.topic.rawValue, resourceNameFilter: "t", patternTypeFilter: AclPatternType.literal.rawValue,
            principalFilter: "User:alice", hostFilter: nil, operation: AclOperation.any.rawValue, permissionType: AclPermissionType.any.rawValue)]),
            version: 3)
        #expect(deleted.filterResults.map(\.errorCode) == [0])
        #expect(deleted.filterResults.first?.matchingAcls.count == 1)
        #expect(try await Self.produce(alice, "t") == .topicAuthorizationFailed)
        await again.close()
        await alice.close()
        await broker.shutdown()
    }

    /// v0 of the ACL APIs (Kafka 3.9 serves it) has no pattern type: LITERAL, in creations and filters; a
    /// PREFIXED ACL is neither described nor deleted through it.
    @Test func version0OfTheAclAPIsIsLiteral() async throws {
        let broker = try await Self.broker()
        let admin = try await Self.login(broker, "admin")
        let created = try await admin.send(CreateAclsRequest(creations: [
            .init(resourceType: AclResourceType.topic.rawValue, resourceName: "v0", principal: "User:alice", host: "*",
                  operation: AclOperation.read.rawValue, permissionType: AclPermissionType.allow.rawValue),
        ]), version: 0)
        #expect(created.results.map(\.errorCode) == [0])
        try await Self.createAcls(admin, [Self.acl(.topic, "v0", "User:bob", .read, pattern: .prefixed)])
        let filter = DescribeAclsRequest(resourceTypeFilter: AclResourceType.topic.rawValue, resourceNameFilter: "v0",
                                         principalFilter: nil, hostFilter: nil, operation: AclOperation.any.rawValue,
                                         permissionType: AclPermissionType.any.rawValue)
        let described = try await admin.send(filter, version: 0)
        #expect(described.errorCode == 0)
        #expect(described.resources.flatMap(\.acls).map(\.principal) == ["User:alice"])
        let deleted = try await admin.send(DeleteAclsRequest(filters: [.init(
            resourceTypeFilter: AclResourceType.topic.rawValue, resourceNameFilter: "v0", principalFilter: nil, hostFilter: nil,
            operation: AclOperation.any.rawValue, permissionType: AclPermissionType.any.rawValue)]), version: 0)
        #expect(deleted.filterResults.first?.matchingAcls.map(\.principal) == ["User:alice"])
        let left = try await admin.send(DescribeAclsRequest(resourceTypeFilter: AclResourceType.topic.rawValue, resourceNameFilter: "v0",
                                                            patternTypeFilter: AclPatternType.any.rawValue, principalFilter: nil,
                                                            hostFilter: nil, operation: AclOperation.any.rawValue,
                                                            permissionType: AclPermissionType.any.rawValue), version: 3)
        #expect(left.resources.flatMap(\.acls).map(\.principal) == ["User:bob"])
        await admin.close()
        await broker.shutdown()
    }

    /// A refused acks=0 produce gets no answer: the connection closes, the only way Kafka tells such a
    /// producer; an allowed one leaves the connection open.
    @Test func aRefusedAcksZeroProduceClosesTheConnection() async throws {
        let broker = try await Self.broker()
        let setup = try await broker.client()
        try await Self.createTopics(setup, ["t"])
        try await Self.createAcls(setup, [Self.acl(.topic, "t", "User:alice", .write)])
        await setup.close()
        let alice = try await Self.login(broker, "alice")
        try await alice.sendWithoutResponse(DataPathTests.produce(try DataPathTests.batch(["a"]), topic: "t", acks: 0), version: 9)
        #expect(try await alice.send(MetadataRequest(topics: []), version: 12).brokers.count == 1)
        let bob = try await Self.login(broker, "bob")
        try await bob.sendWithoutResponse(DataPathTests.produce(try DataPathTests.batch(["b"]), topic: "t", acks: 0), version: 9)
        // The next request finds the connection closed (were it open, Metadata would be answered).
        await #expect(throws: TestKafkaClient.ConnectionClosed.self) { _ = try await bob.send(MetadataRequest(topics: []), version: 12) }
        await alice.close()
        await broker.shutdown()
    }

    /// With `allow.everyone.if.no.acl.found`, a resource no ACL names is open; one with an ACL for
    /// someone else is not.
    @Test func allowEveryoneIfNoAclFoundOpensOnlyResourcesWithoutAcls() async throws {
        let broker = try await Self.broker(extra: ["allow.everyone.if.no.acl.found": "true"])
        let setup = try await broker.client()
        try await Self.createTopics(setup, ["open", "guarded"])
        try await Self.createAcls(setup, [Self.acl(.topic, "guarded", "User:alice", .write)])
        let bob = try await Self.login(broker, "bob")
        #expect(try await Self.produce(bob, "open") == .noError)
        #expect(try await Self.produce(bob, "guarded") == .topicAuthorizationFailed)
        await setup.close()
        await bob.close()
        await broker.shutdown()
    }

    /// The controller listener serves the quorum and the brokers: a principal without CLUSTER_ACTION
    /// may not vote, register, heartbeat or fetch the metadata log, nor describe the quorum without
    /// DESCRIBE on the cluster; the node itself goes on (it needs no connection to itself).
    @Test func quorumAndBrokerRPCsNeedClusterAction() async throws {
        let broker = try await Self.broker(superUsers: "User:admin")
        let controller = try await TestKafkaClient(port: broker.node.boundPorts["CONTROLLER"]!)
        let clusterID = broker.metadata.clusterID
        let refused = ErrorCode.clusterAuthorizationFailed.rawValue
        let vote = try await controller.send(VoteRequest(clusterID: clusterID, topics: [
            .init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0, candidateEpoch: 99, candidateID: 7,
                                                                      lastOffsetEpoch: 99, lastOffset: 1_000)]),
        ]), version: 1)
        #expect(vote.errorCode == refused)
        let heartbeat = try await controller.send(BrokerHeartbeatRequest(brokerID: 1, brokerEpoch: 1, currentMetadataOffset: 0,
                                                                         wantFence: true, wantShutDown: true), version: 1)
        #expect(heartbeat.errorCode == refused)
        let registration = try await controller.send(BrokerRegistrationRequest(brokerID: 9, clusterID: clusterID, incarnationID: .zero,
                                                                               listeners: [], features: [], rack: nil), version: 1)
        #expect(registration.errorCode == refused)
        var fetch = FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20)
        fetch.replicaID = 7
        fetch.topics = [.init(topic: "__cluster_metadata", partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])]
        #expect(try await controller.send(fetch, version: 12).errorCode == refused)
        let quorum = try await controller.send(DescribeQuorumRequest(topics: [
            .init(topicName: "__cluster_metadata", partitions: [.init(partitionIndex: 0)]),
        ]), version: 1)
        #expect(quorum.errorCode == refused)
        #expect(broker.metadata.image.brokers[1].map { !$0.fenced } == true)
        #expect(broker.metadata.image.brokers[9] == nil)
        #expect(broker.metadata.quorumStatus.isLeader)
        await controller.close()
        await broker.shutdown()
    }
}

/// The start-up warnings about the authorizer and the nodes' own principals.
@Suite struct SecurityWarningTests {
    static func config(_ extra: [String: String]) throws -> ServerConfig {
        var p = ServerConfig.embeddedDefaults
        p.merge(extra) { $1 }
        return try ServerConfig.parse(p)
    }

    @Test func nodePrincipalsMustBeSuperUsersUnderAnAuthorizer() throws {
        let authorizer = ["authorizer.class.name": ServerConfig.standardAuthorizerClassName]
        // PLAINTEXT controller and inter-broker listeners: the node is User:ANONYMOUS there.
        let plain = try Self.config(authorizer.merging(["super.users": "User:admin"]) { $1 }).securityWarnings
        #expect(plain.count == 2)
        #expect(plain.allSatisfy { $0.contains("this node is User:ANONYMOUS, which is not in super.users") })
        #expect(try Self.config(authorizer.merging(["super.users": "User:admin;User:ANONYMOUS"]) { $1 }).securityWarnings.isEmpty)
        // A SASL controller listener: the node is its JAAS username there.
        let sasl = authorizer.merging([
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config":
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ctl\" password=\"s\" user_ctl=\"s\";",
        ]) { $1 }
        let missing = try Self.config(sasl.merging(["super.users": "User:ANONYMOUS"]) { $1 }).securityWarnings
        #expect(missing.map { $0.contains("on listener CONTROLLER this node is User:ctl") } == [true])
        #expect(try Self.config(sasl.merging(["super.users": "User:ANONYMOUS;User:ctl"]) { $1 }).securityWarnings.isEmpty)
        // Without an authorizer nothing is said about them.
        #expect(try Self.config(["super.users": "User:admin"]).securityWarnings.isEmpty)
    }
}
