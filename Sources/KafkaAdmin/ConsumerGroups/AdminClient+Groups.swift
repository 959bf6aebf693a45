import Foundation
import KafkaProtocol

extension AdminClient {
    /// Registers a node learnt from FindCoordinator, so `.node(id)` can reach it.
    func remember(_ node: Node) { if nodes[node.id] == nil { learn(node) } }

    /// The group's coordinator (FindCoordinator), retried while the coordinator is loading or not yet
    /// available (a fresh cluster creates `__consumer_offsets` on the first lookup), up to `timeoutMs`.
    public func coordinator(of group: String, timeoutMs: Int64) async throws -> Node {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            let r = try await send { v in
                v >= 4 ? FindCoordinatorRequest(keyType: 0, coordinatorKeys: [group]) : FindCoordinatorRequest(key: group, keyType: 0)
            }
            let (code, message, node): (Int16, String?, Node)
            if let c = r.coordinators.first {
                (code, message, node) = (c.errorCode, c.errorMessage, Node(id: c.nodeID, host: c.host, port: Int(c.port)))
            } else {
                (code, message, node) = (r.errorCode, r.errorMessage, Node(id: r.nodeID, host: r.host, port: Int(r.port)))
            }
            if code == 0 {
                remember(node)
                return node
            }
            let retriable = [ErrorCode.coordinatorNotAvailable, .coordinatorLoadInProgress, .notCoordinator].contains(ErrorCode(rawValue: code))
            guard retriable, Date() < deadline else { throw KafkaFailure(code: ErrorCode(rawValue: code), message: message) }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    /// Sends to the group's coordinator, looking it up again (and retrying) while the answer says
    /// NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or COORDINATOR_LOAD_IN_PROGRESS (`retryCode` reads it).
    func sendToCoordinator<R: KafkaRequestMessage>(group: String, timeoutMs: Int64, retryCode: (R.Response) -> Int16,
                                                    _ build: (Int16) throws -> R) async throws -> (R.Response, Node) {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            let node = try await coordinator(of: group, timeoutMs: timeoutMs)
            let r = try await send(to: .node(node.id), build)
            let code = ErrorCode(rawValue: retryCode(r))
            if [ErrorCode.coordinatorNotAvailable, .coordinatorLoadInProgress, .notCoordinator].contains(code), Date() < deadline {
                try await Task.sleep(nanoseconds: 100_000_000)
                continue
            }
            return (r, node)
        }
    }

    /// Kafka 3.9's `describeConsumerGroups`: ConsumerGroupDescribe first; a group it does not know
    /// (GROUP_ID_NOT_FOUND) or a broker without it goes to DescribeGroups, where a group of another
    /// protocol type is refused.
    public func describeGroup(_ group: String, timeoutMs: Int64) async throws -> GroupDescription {
        let node = try await coordinator(of: group, timeoutMs: timeoutMs)
        if try await supports(ConsumerGroupDescribeRequest.self, at: .node(node.id)) {
            let (r, at) = try await sendToCoordinator(group: group, timeoutMs: timeoutMs, retryCode: { $0.groups.first?.errorCode ?? 0 }) { _ in
                ConsumerGroupDescribeRequest(groupIDs: [group])
            }
            if let g = r.groups.first(where: { $0.groupID == group }) {
                let code = ErrorCode(rawValue: g.errorCode)
                if code == .noError {
                    return GroupDescription(groupID: group, state: GroupDescription.stateName(g.groupState), assignor: g.assignorName, coordinator: at,
                                            members: g.members.map { m in
                                                .init(memberID: m.memberID, groupInstanceID: m.instanceID, clientID: m.clientID, host: m.clientHost,
                                                      assignment: m.assignment.topicPartitions.flatMap { t in t.partitions.map { TopicPartition(t.topicName, $0) } })
                                            })
                }
                if code != .groupIDNotFound && code != .unsupportedVersion { throw KafkaFailure(code: code, message: g.errorMessage) }
            }
        }
        let (r, at) = try await sendToCoordinator(group: group, timeoutMs: timeoutMs, retryCode: { $0.groups.first?.errorCode ?? 0 }) { _ in
            DescribeGroupsRequest(groups: [group])
        }
        guard let g = r.groups.first(where: { $0.groupID == group }) else { throw ToolFailure("no description of group \(group)") }
        if let failure = KafkaFailure(code: g.errorCode) { throw failure }
        guard g.protocolType == "consumer" || g.protocolType.isEmpty else {
            throw ToolFailure("GroupId \(group) is not a consumer group (\(g.protocolType)).")
        }
        return GroupDescription(groupID: group, state: GroupDescription.stateName(g.groupState), assignor: g.protocolData, coordinator: at,
                                members: g.members.map { m in
                                    let assignment = (try? ConsumerProtocolAssignment.decodeVersionPrefixed(m.memberAssignment))
                                        .map { $0.assignedPartitions.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } } } ?? []
                                    return .init(memberID: m.memberID, groupInstanceID: m.groupInstanceID, clientID: m.clientID, host: m.clientHost,
                                                 assignment: m.memberAssignment.isEmpty ? [] : assignment)
                                })
    }

    /// Every consumer group of every broker (ListGroups to each, as Kafka's admin client lists them),
    /// consumer protocol types only, with `states`/`types` filters when given.
    public func listGroups(states: [String] = [], types: [String] = []) async throws -> [GroupListing] {
        let brokers = try await describeCluster().brokers
        for b in brokers { remember(b) }
        var seen: [String: GroupListing] = [:]
        let targets: [Target] = brokers.isEmpty ? [.any] : brokers.map { .node($0.id) }
        for target in targets {
            let r = try await send(to: target) { v in
                ListGroupsRequest(statesFilter: v >= 4 ? states : [], typesFilter: v >= 5 ? types.map { $0.capitalized } : [])
            }
            if let failure = KafkaFailure(code: r.errorCode) { throw failure }
            for g in r.groups where g.protocolType == "consumer" || g.protocolType.isEmpty {
                let listing = GroupListing(groupID: g.groupID, state: g.groupState.isEmpty ? nil : GroupDescription.stateName(g.groupState),
                                           type: g.groupType.isEmpty ? nil : g.groupType.capitalized)
                if !states.isEmpty, let s = listing.state, !states.contains(s) { continue }
                if !types.isEmpty, let t = listing.type, !types.contains(t.lowercased()) { continue }
                seen[g.groupID] = listing
            }
        }
        return seen.values.sorted { $0.groupID < $1.groupID }
    }

    /// The group's committed offsets (OffsetFetch of every partition); nil for a partition without one.
    public func committedOffsets(_ group: String, timeoutMs: Int64) async throws -> [TopicPartition: Int64?] {
        let (r, _) = try await sendToCoordinator(group: group, timeoutMs: timeoutMs, retryCode: { $0.groups.first?.errorCode ?? $0.errorCode }) { v in
            v >= 8 ? OffsetFetchRequest(groups: [.init(groupID: group, topics: nil)]) : OffsetFetchRequest(groupID: group, topics: nil)
        }
        var out: [TopicPartition: Int64?] = [:]
        if let g = r.groups.first {
            if let failure = KafkaFailure(code: g.errorCode) { throw failure }
            for t in g.topics { for p in t.partitions where p.errorCode == 0 { out[TopicPartition(t.name, p.partitionIndex)] = p.committedOffset < 0 ? nil : p.committedOffset } }
        } else {
            if let failure = KafkaFailure(code: r.errorCode) { throw failure }
            for t in r.topics { for p in t.partitions where p.errorCode == 0 { out[TopicPartition(t.name, p.partitionIndex)] = p.committedOffset < 0 ? nil : p.committedOffset } }
        }
        return out
    }

    /// ListOffsets at `timestamp` (-2 earliest, -1 latest, else the first offset at or after it) from
    /// each partition's leader; a partition the leader refuses, or without an offset (-1), is missing.
    public func listOffsets(_ partitions: [TopicPartition], timestamp: Int64) async throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let topics = Array(Set(partitions.map(\.topic))).sorted()
        let m = try await metadata(topics: topics)
        var leaders: [TopicPartition: Int32] = [:]
        for t in m.topics { for p in t.partitions where p.leaderID >= 0 { leaders[TopicPartition(t.name ?? "", p.partitionIndex)] = p.leaderID } }
        var byLeader: [Int32: [TopicPartition]] = [:]
        for tp in partitions { if let l = leaders[tp] { byLeader[l, default: []].append(tp) } }
        var out: [TopicPartition: Int64] = [:]
        for (leader, tps) in byLeader {
            var byTopic: [String: [Int32]] = [:]
            for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
            let r = try await send(to: .node(leader)) { v in
                ListOffsetsRequest(replicaID: -1, topics: byTopic.keys.sorted().map { t in
                    .init(name: t, partitions: byTopic[t]!.map { .init(partitionIndex: $0, timestamp: timestamp, maxNumOffsets: 1) })
                })
            }
            for t in r.topics {
                for p in t.partitions where p.errorCode == 0 {
                    let offset = p.offset >= 0 ? p.offset : (p.oldStyleOffsets.first ?? -1)
                    if offset >= 0 { out[TopicPartition(t.name, p.partitionIndex)] = offset }
                }
            }
        }
        return out
    }

    /// OffsetCommit of `offsets` for an inactive group (generation -1, no member), as Kafka's
    /// `alterConsumerGroupOffsets` sends it; the first partition error is thrown.
    public func commitOffsets(_ group: String, _ offsets: [TopicPartition: Int64], timeoutMs: Int64) async throws {
        var byTopic: [String: [(Int32, Int64)]] = [:]
        for (tp, o) in offsets { byTopic[tp.topic, default: []].append((tp.partition, o)) }
        let (r, _) = try await sendToCoordinator(group: group, timeoutMs: timeoutMs,
                                                 retryCode: { $0.topics.first?.partitions.first?.errorCode ?? 0 }) { _ in
            OffsetCommitRequest(groupID: group, topics: byTopic.keys.sorted().map { t in
                .init(name: t, partitions: byTopic[t]!.sorted { $0.0 < $1.0 }.map { .init(partitionIndex: $0.0, committedOffset: $0.1) })
            })
        }
        for t in r.topics { for p in t.partitions { if let failure = KafkaFailure(code: p.errorCode) { throw failure } } }
    }
}
