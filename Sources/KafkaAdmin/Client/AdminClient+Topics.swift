import KafkaProtocol

extension AdminClient {
    /// Every topic's name (internal ones too when `listInternal`), sorted, from Metadata.
    public func listTopics(listInternal: Bool) async throws -> [(name: String, id: KafkaUUID)] {
        let m = try await metadata(topics: nil)
        return m.topics.compactMap { t in
            guard t.errorCode == 0, let name = t.name else { return nil }
            if t.isInternal && !listInternal { return nil }
            return (name, t.topicID)
        }.sorted { $0.name < $1.name }
    }

    /// Describes `names` with DescribeTopicPartitions (paged by `partitionLimit`) when the broker has it,
    /// else with Metadata; a topic the broker refuses is a `KafkaFailure` for that name.
    public func describeTopics(_ names: [String], partitionLimit: Int32 = 2000) async throws -> [String: Result<TopicInfo, KafkaFailure>] {
        guard !names.isEmpty else { return [:] }
        if try await supports(DescribeTopicPartitionsRequest.self) {
            return try await describeTopicsPaged(names, partitionLimit: partitionLimit)
        }
        let m = try await metadata(topics: names)
        var out: [String: Result<TopicInfo, KafkaFailure>] = [:]
        for t in m.topics {
            guard let name = t.name else { continue }
            if let failure = KafkaFailure(code: t.errorCode) { out[name] = .failure(failure); continue }
            out[name] = .success(TopicInfo(name: name, id: t.topicID, isInternal: t.isInternal, partitions: t.partitions.map {
                PartitionInfo(partition: $0.partitionIndex, leader: $0.leaderID < 0 ? nil : $0.leaderID, replicas: $0.replicaNodes, isr: $0.isrNodes)
            }))
        }
        return out
    }

    private func describeTopicsPaged(_ names: [String], partitionLimit: Int32) async throws -> [String: Result<TopicInfo, KafkaFailure>] {
        var out: [String: Result<TopicInfo, KafkaFailure>] = [:]
        var partial: [String: TopicInfo] = [:]
        var cursor: DescribeTopicPartitionsRequest.Cursor?
        repeat {
            let request = DescribeTopicPartitionsRequest(topics: names.sorted().map { .init(name: $0) }, responsePartitionLimit: partitionLimit, cursor: cursor)
            let r = try await send(request)
            for t in r.topics {
                guard let name = t.name else { continue }
                if let failure = KafkaFailure(code: t.errorCode) { out[name] = .failure(failure); continue }
                var info = partial[name] ?? TopicInfo(name: name, id: t.topicID, isInternal: t.isInternal, partitions: [])
                info.partitions += t.partitions.map {
                    PartitionInfo(partition: $0.partitionIndex, leader: $0.leaderID < 0 ? nil : $0.leaderID, replicas: $0.replicaNodes,
                                  isr: $0.isrNodes, elr: $0.eligibleLeaderReplicas ?? [], lastKnownElr: $0.lastKnownElr ?? [])
                }
                partial[name] = info
            }
            cursor = r.nextCursor.map { .init(topicName: $0.topicName, partitionIndex: $0.partitionIndex) }
        } while cursor != nil
        for (name, info) in partial { out[name] = .success(TopicInfo(name: name, id: info.id, isInternal: info.isInternal, partitions: info.partitions)) }
        return out
    }

    /// DescribeConfigs for each resource (a broker's goes to that broker, as Kafka's admin client sends it).
    public func describeConfigs(_ type: ConfigResourceType, names: [String], includeSynonyms: Bool) async throws -> [String: Result<[ConfigEntry], KafkaFailure>] {
        var out: [String: Result<[ConfigEntry], KafkaFailure>] = [:]
        var groups: [Target: [String]] = [:]
        for name in names {
            if (type == .broker || type == .brokerLogger), let id = Int32(name) { groups[.node(id), default: []].append(name) } else { groups[.any, default: []].append(name) }
        }
        for (target, names) in groups {
            let response = try await send(to: target) { v in
                DescribeConfigsRequest(resources: names.map { .init(resourceType: type.rawValue, resourceName: $0, configurationKeys: nil) },
                                       includeSynonyms: v >= 1 && includeSynonyms)
            }
            for result in response.results {
                if let failure = KafkaFailure(code: result.errorCode, message: result.errorMessage) { out[result.resourceName] = .failure(failure); continue }
                out[result.resourceName] = .success(result.configs.map { c in
                    let source = c.configSource >= 0 ? ConfigSource(rawValue: c.configSource) ?? .unknown : (c.isDefault ? .defaultConfig : .unknown)
                    return ConfigEntry(name: c.name, value: c.value, source: source, isSensitive: c.isSensitive, isReadOnly: c.readOnly,
                                       synonyms: c.synonyms.map { .init(name: $0.name, value: $0.value, source: ConfigSource(rawValue: $0.source) ?? .unknown) })
                })
            }
        }
        return out
    }

    /// The brokers DescribeCluster lists (Metadata's when the broker has no DescribeCluster), and the cluster id.
    public func describeCluster() async throws -> (clusterID: String?, controllerID: Int32, brokers: [Node]) {
        if try await supports(DescribeClusterRequest.self) {
            let r = try await send(DescribeClusterRequest())
            if let failure = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw failure }
            return (r.clusterID, r.controllerID, r.brokers.map { Node(id: $0.brokerID, host: $0.host, port: Int($0.port), rack: $0.rack) })
        }
        let m = try await refreshNodes()
        return (m.clusterID, m.controllerID, m.brokers.map { Node(id: $0.nodeID, host: $0.host, port: Int($0.port), rack: $0.rack) })
    }

    /// Ongoing reassignments of `partitions`; empty when the broker has no such API or refuses it
    /// (Kafka's TopicCommand ignores UnsupportedVersion and ClusterAuthorization there).
    public func listReassignments(_ partitions: [TopicPartition]) async throws -> [TopicPartition: PartitionReassignment] {
        guard !partitions.isEmpty, try await supports(ListPartitionReassignmentsRequest.self) else { return [:] }
        var byTopic: [String: [Int32]] = [:]
        for p in partitions { byTopic[p.topic, default: []].append(p.partition) }
        let request = ListPartitionReassignmentsRequest(timeoutMs: Int32(clamping: timeoutMs),
                                                        topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.sorted()) })
        guard let r = try? await send(request, to: .controller), r.errorCode == 0 else { return [:] }
        var out: [TopicPartition: PartitionReassignment] = [:]
        for t in r.topics {
            for p in t.partitions {
                out[TopicPartition(t.name, p.partitionIndex)] = PartitionReassignment(replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas)
            }
        }
        return out
    }
}
