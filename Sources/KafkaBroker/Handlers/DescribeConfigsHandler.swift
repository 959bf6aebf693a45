import KafkaController
import KafkaMetadata
import KafkaProtocol
import StromConfig

/// DescribeConfigs: a topic's effective configuration (its own values, else the broker's,
/// with sources and, on request, synonyms), this broker's configuration (dynamic over static,
/// `DynamicBrokerConfigs`; read-only where Strom cannot change it at run time), or the cluster-wide
/// dynamic defaults (the broker resource ""). Another node's resource is INVALID_REQUEST, as in Kafka.
/// Each resource needs DESCRIBE_CONFIGS (`ConfigsAuthorization`), else its authorization error.
struct DescribeConfigsHandler: RequestHandler {
    /// v0 (Kafka 3.9 serves it; sarama 1.22's `ClusterAdmin.DescribeConfig` sends it) says only
    /// whether each value is the default (`IsDefault`), with no source or synonyms.
    static let versions: ClosedRange<Int16> = 0...4

    let metadata: MetadataService
    let config: ServerConfig

    func handle(_ request: DescribeConfigsRequest, context: RequestContext) async -> DescribeConfigsResponse? {
        let image = metadata.image
        let config = self.config.with(dynamicConfigsOf: image)
        var response = DescribeConfigsResponse()
        for resource in request.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(resourceType: resource.resourceType, resourceName: resource.resourceName)
            var entries: [DescribeTopicConfigs.Entry] = []
            if let code = ConfigsAuthorization.refusal(resourceType: resource.resourceType, resourceName: resource.resourceName,
                                                       alter: false, context: context) {
                result.errorCode = code.rawValue
                result.errorMessage = AuthorizationFailure.message(for: code)
                response.results.append(result)
                continue
            }
            switch resource.resourceType {
            case ConfigResource.topicType:
                if image.topic(named: resource.resourceName) == nil {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "The topic '\(resource.resourceName)' does not exist."
                } else {
                    entries = DescribeTopicConfigs.entries(topicOverrides: image.configs(for: .topic(resource.resourceName)), config: config)
                }
            case ConfigResource.brokerType:
                if resource.resourceName.isEmpty {
                    entries = BrokerConfigEntries.clusterDefaultEntries(config)
                } else if resource.resourceName == String(config.nodeID) {
                    entries = BrokerConfigEntries.entries(config)
                } else {
                    result.errorCode = ErrorCode.invalidRequest.rawValue
                    result.errorMessage = "Unexpected broker id, expected \(config.nodeID) or empty string, but received \(resource.resourceName)"
                }
            default:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Unsupported resource type \(resource.resourceType)"
            }
            if let keys = resource.configurationKeys, !keys.isEmpty {   // none named: all of them, as Kafka
                entries = entries.filter { keys.contains($0.name) }
            }
            result.configs = entries.map { e in
                var c = DescribeConfigsResponse.DescribeConfigsResult.DescribeConfigsResourceResult(
                    name: e.name, value: e.value.isEmpty && BrokerConfigEntries.nullWhenUnset.contains(e.name) ? nil : e.value,
                    readOnly: resource.resourceType == ConfigResource.brokerType && !DynamicBrokerConfigs.isUpdatable(e.name, knownKeys: config.knownKeys),
                    configSource: e.source.rawValue, isSensitive: false, configType: e.type.rawValue
                )
                if context.apiVersion == 0 {
                    c.isDefault = e.source == .defaultConfig
                } else if request.includeSynonyms {
                    c.synonyms = e.synonyms.map { .init(name: $0.name, value: $0.value, source: $0.source.rawValue) }
                }
                return c
            }
            response.results.append(result)
        }
        return response
    }
}

/// The broker's own settings as DescribeConfigs reports them: dynamic for this node, dynamic for the
/// cluster, static from server.properties, or Kafka's defaults, the first set winning (and every one
/// set among the synonyms).
enum BrokerConfigEntries {
    static func entries(_ c: ServerConfig) -> [DescribeTopicConfigs.Entry] {
        let values: [(String, String, TopicConfigDefinition.ValueType)] = [
            ("node.id", String(c.nodeID), .int),
            ("broker.id", String(c.nodeID), .int),
            ("process.roles", c.processRoles.map(\.rawValue).sorted().joined(separator: ","), .list),
            ("listeners", c.listeners.map(\.description).joined(separator: ","), .string),
            ("advertised.listeners", c.clientListeners.map(\.description).joined(separator: ","), .string),
            ("controller.listener.names", c.controllerListenerNames.joined(separator: ","), .string),
            ("controller.quorum.voters", c.quorumVoters.map(\.description).joined(separator: ","), .list),
            ("log.dirs", c.logDirs.joined(separator: ","), .string),
            ("num.partitions", String(c.numPartitions), .int),
            ("default.replication.factor", String(c.defaultReplicationFactor), .int),
            ("auto.create.topics.enable", String(c.autoCreateTopicsEnable), .boolean),
            ("log.segment.bytes", String(c.logSegmentBytes), .int),
            ("log.roll.ms", String(c.logRollMs), .long),
            ("log.retention.ms", String(c.logRetentionMs), .long),
            ("log.retention.bytes", String(c.logRetentionBytes), .long),
            ("log.flush.interval.messages", c.logFlushIntervalMessages.map(String.init) ?? String(Int64.max), .long),
            ("log.flush.interval.ms", c.logFlushIntervalMs.map(String.init) ?? String(Int64.max), .long),
            ("message.max.bytes", String(c.messageMaxBytes), .int),
            ("socket.request.max.bytes", String(c.socketRequestMaxBytes), .int),
            ("offsets.topic.num.partitions", String(c.offsetsTopicNumPartitions), .int),
            ("offsets.topic.replication.factor", String(c.offsetsTopicReplicationFactor), .short),
            ("offsets.commit.timeout.ms", String(c.offsetsCommitTimeoutMs), .int),
            ("controller.quota.window.num", String(c.controllerQuotaWindowNum), .int),
            ("controller.quota.window.size.seconds", String(c.controllerQuotaWindowSizeSeconds), .int),
            ("quota.window.num", String(c.quotaWindowNum), .int),
            ("quota.window.size.seconds", String(c.quotaWindowSizeSeconds), .int),
            ("unclean.leader.election.enable", String(c.uncleanLeaderElectionEnable), .boolean),
            ("log.message.downconversion.enable", String(c.logMessageDownconversionEnable), .boolean),
            ("auto.leader.rebalance.enable", String(c.autoLeaderRebalanceEnable), .boolean),
            ("leader.imbalance.check.interval.seconds", String(c.leaderImbalanceCheckIntervalSeconds), .long),
            ("leader.imbalance.per.broker.percentage", String(c.leaderImbalancePerBrokerPercentage), .int),
            ("broker.rack", c.brokerRack ?? "", .string),
            ("replica.selector.class", c.replicaSelectorClass?.rawValue ?? "", .class),
        ]
        var seen = Set(values.map(\.0))
        var all = values
        // The broker defaults of topic configs the list above does not name, then dynamic keys of neither.
        for d in TopicConfigs.definitions {
            guard let b = d.brokerSynonym, seen.insert(b).inserted else { continue }
            all.append((b, d.defaultValue(c), d.type))
        }
        for name in Set(c.dynamicPerBroker.keys).union(c.dynamicClusterDefault.keys).sorted() where seen.insert(name).inserted {
            all.append((name, "", DynamicBrokerConfigs.type(of: name)))
        }
        return all.map { name, staticValue, type in
            var synonyms: [(name: String, value: String, source: ConfigSource)] = []
            if let v = c.dynamicPerBroker[name] { synonyms.append((name, v, .dynamicBrokerConfig)) }
            if let v = c.dynamicClusterDefault[name] { synonyms.append((name, v, .dynamicDefaultBrokerConfig)) }
            if c.explicitKeys.contains(name) {
                synonyms.append((name, staticValue, .staticBrokerConfig))
            } else if !staticValue.isEmpty || c.knownKeys.contains(name) {
                synonyms.append((name, staticValue, .defaultConfig))
            }
            let first = synonyms.first ?? (name, staticValue, .defaultConfig)
            return DescribeTopicConfigs.Entry(name: name, value: first.value, source: first.source, type: type, synonyms: synonyms)
        }
    }

    /// Keys whose unset value Kafka describes as null rather than a default.
    static let nullWhenUnset: Set<String> = ["broker.rack", "replica.selector.class"]

    /// The cluster-wide dynamic defaults (the broker resource ""), as Kafka describes them: those set, and only those.
    static func clusterDefaultEntries(_ c: ServerConfig) -> [DescribeTopicConfigs.Entry] {
        c.dynamicClusterDefault.sorted { $0.key < $1.key }.map { name, value in
            DescribeTopicConfigs.Entry(name: name, value: value, source: .dynamicDefaultBrokerConfig, type: DynamicBrokerConfigs.type(of: name),
                                              synonyms: [(name, value, .dynamicDefaultBrokerConfig)])
        }
    }
}
