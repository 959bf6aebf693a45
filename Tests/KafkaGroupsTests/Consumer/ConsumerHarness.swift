@testable import KafkaGroups
import KafkaProtocol
import Testing

/// Drives consumer (KIP-848) groups with a manual clock and simulated clients that follow the
/// protocol: each client remembers its member id, epoch and owned partitions, reports them in every
/// heartbeat, and revokes at once what the coordinator no longer gives it. Every appended record goes
/// to `log`; after every input the harness checks that no partition has two owners.
struct ConsumerHarness {
    var coordinator: GroupCoordinator
    var now: Int64 = 0
    var log: [CoordinatorRecord] = []
    var topics: TopicsImage
    var clients: [String: Client] = [:]

    struct Client {
        var memberID: String
        var epoch: Int32 = 0
        var owned: PartitionAssignment = [:]
        var instance: String?
        var topics: [String]
        var regex: String?
        var assignor: String?
    }

    static func topicID(_ name: String) -> KafkaUUID {
        KafkaUUID(mostSignificantBits: UInt64(name.utf8.reduce(7) { $0 &* 31 &+ Int($1) }.magnitude), leastSignificantBits: 1)
    }

    init(topics: [String: Int32] = ["t1": 6], config: GroupCoordinatorConfig = GroupCoordinatorConfig()) {
        coordinator = GroupCoordinator(config: config, seed: 7)
        self.topics = TopicsImage(topics.map { .init(id: Self.topicID($0.key), name: $0.key, partitionCount: $0.value) })
    }

    mutating func setTopics(_ topics: [String: Int32]) {
        self.topics = TopicsImage(topics.map { .init(id: Self.topicID($0.key), name: $0.key, partitionCount: $0.value) })
    }

    var group: ConsumerGroup { coordinator.consumerGroups["g"]! }

    /// Sends one raw heartbeat and records its appends.
    mutating func send(_ request: ConsumerGroupHeartbeatRequest, version: Int16 = 1, client: String = "client") -> ConsumerGroupHeartbeatResponse {
        let outcome = coordinator.consumerGroupHeartbeat(request, version: version, context: .init(apiVersion: version, clientID: client, clientHost: "/127.0.0.1"), topics: topics, now: now)
        record(outcome.actions)
        checkSingleOwnership()
        return outcome.response
    }

    mutating func record(_ actions: [GroupAction]) {
        for case .append(_, let records) in actions { log += records }
    }

    /// A client joins (epoch 0) with a fresh member id.
    @discardableResult
    mutating func join(_ name: String, topics: [String] = ["t1"], regex: String? = nil, instance: String? = nil, assignor: String? = nil,
                       rebalanceTimeoutMs: Int32 = 60_000) -> ConsumerGroupHeartbeatResponse {
        let c = Client(memberID: "\(name)-id\(clients.count)", instance: instance, topics: topics, regex: regex, assignor: assignor)
        clients[name] = c
        let r = ConsumerGroupHeartbeatRequest(
            groupID: "g", memberID: c.memberID, memberEpoch: 0, instanceID: instance, rebalanceTimeoutMs: rebalanceTimeoutMs,
            subscribedTopicNames: topics, subscribedTopicRegex: regex, serverAssignor: assignor, topicPartitions: [])
        let response = send(r, client: name)
        absorb(name, response)
        return response
    }

    /// A regular heartbeat: the client's epoch and owned partitions.
    @discardableResult
    mutating func heartbeat(_ name: String) -> ConsumerGroupHeartbeatResponse {
        let c = clients[name]!
        let r = ConsumerGroupHeartbeatRequest(
            groupID: "g", memberID: c.memberID, memberEpoch: c.epoch, instanceID: c.instance,
            topicPartitions: c.owned.sortedTopicIDs.map { .init(topicID: $0, partitions: c.owned[$0]!.sorted()) })
        let response = send(r, client: name)
        absorb(name, response)
        return response
    }

    mutating func leave(_ name: String, epoch: Int32 = -1) -> ConsumerGroupHeartbeatResponse {
        let c = clients[name]!
        let r = ConsumerGroupHeartbeatRequest(groupID: "g", memberID: c.memberID, memberEpoch: epoch, instanceID: c.instance)
        let response = send(r, client: name)
        clients[name] = nil
        return response
    }

    /// Takes the response as a client does: a new epoch, and the assignment when one is sent.
    mutating func absorb(_ name: String, _ response: ConsumerGroupHeartbeatResponse) {
        guard response.errorCode == 0, var c = clients[name] else { return }
        c.epoch = response.memberEpoch
        if let a = response.assignment {
            var owned: PartitionAssignment = [:]
            for t in a.topicPartitions where !t.partitions.isEmpty { owned[t.topicID] = Set(t.partitions) }
            c.owned = owned
        }
        clients[name] = c
    }

    /// Heartbeats every client (by name) until nothing changes, at most `rounds` times.
    mutating func settle(rounds: Int = 10) {
        for _ in 0..<rounds {
            let before = clients.mapValues { "\($0.epoch) \($0.owned)" }
            for name in clients.keys.sorted() { heartbeat(name) }
            if clients.mapValues({ "\($0.epoch) \($0.owned)" }) == before && group.state == .stable { return }
        }
    }

    mutating func advance(to t: Int64) {
        now = t
        record(coordinator.timeout(now: now))
        checkSingleOwnership()
    }

    /// Partitions owned by the clients, as "t1-0" strings per client.
    func owned(_ name: String) -> [String] {
        let c = clients[name]!
        return c.owned.sortedTopicIDs.flatMap { id in c.owned[id]!.sorted().map { "\(topics.byID[id]!.name)-\($0)" } }
    }

    /// The protocol's promise: no partition is ever owned by two clients.
    func checkSingleOwnership() {
        var seen: [String: String] = [:]
        for (name, c) in clients {
            for (topic, partitions) in c.owned {
                for p in partitions {
                    let key = "\(topic)-\(p)"
                    #expect(seen[key] == nil, "\(key) owned by \(seen[key] ?? "") and \(name)")
                    seen[key] = name
                }
            }
        }
    }

    /// A coordinator rebuilt from `log`.
    func reloaded() throws -> GroupCoordinator {
        var fresh = GroupCoordinator(config: coordinator.config, seed: 1)
        for r in log { try fresh.replay(r) }
        return fresh
    }
}

extension ConsumerGroup {
    /// The group without its (unpersisted) deadlines.
    var durable: ConsumerGroup {
        var g = self
        g.sessionDeadlines = [:]
        g.rebalanceDeadlines = [:]
        return g
    }
}
