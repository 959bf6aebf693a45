import KafkaMetadata
import StromConfig

/// Kafka's `ConfigSource` numbers, as DescribeConfigs and CreateTopics report them.
public enum ConfigSource: Int8, Sendable {
    case unknown = 0, dynamicTopicConfig = 1, dynamicBrokerConfig = 2, dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4, defaultConfig = 5
}

/// The effective configuration of a topic: for every topic key, the topic's own value when set,
/// else the broker's (dynamic for this node, dynamic for the cluster, from `server.properties`, or
/// Kafka's default: `DynamicBrokerConfigs`), with where it came from and, as synonyms, every level set.
public enum DescribeTopicConfigs {
    public struct Entry: Hashable, Sendable {
        public var name: String
        public var value: String
        public var source: ConfigSource
        public var type: TopicConfigDefinition.ValueType
        /// Where the value could also come from, most specific first (Kafka's synonyms).
        public var synonyms: [(name: String, value: String, source: ConfigSource)]

        public init(name: String, value: String, source: ConfigSource, type: TopicConfigDefinition.ValueType,
                    synonyms: [(name: String, value: String, source: ConfigSource)]) {
            self.name = name
            self.value = value
            self.source = source
            self.type = type
            self.synonyms = synonyms
        }

        public static func == (a: Entry, b: Entry) -> Bool {
            a.name == b.name && a.value == b.value && a.source == b.source
        }

        public func hash(into h: inout Hasher) { h.combine(name); h.combine(value) }
    }

    public static func entries(topicOverrides: [String: String], config: ServerConfig) -> [Entry] {
        TopicConfigs.definitions.map { d in
            var synonyms: [(String, String, ConfigSource)] = []
            if let v = topicOverrides[d.name] { synonyms.append((d.name, v, .dynamicTopicConfig)) }
            if let b = d.brokerSynonym {
                let dynamic = config.dynamicLayers(b)
                if let v = dynamic.perBroker { synonyms.append((b, v, .dynamicBrokerConfig)) }
                if let v = dynamic.clusterDefault { synonyms.append((b, v, .dynamicDefaultBrokerConfig)) }
                synonyms.append((b, d.defaultValue(config), config.explicitKeys.contains(b) ? .staticBrokerConfig : .defaultConfig))
            }
            let first = synonyms.first.map { (value: $0.1, source: $0.2) } ?? (d.defaultValue(config), .defaultConfig)
            return Entry(name: d.name, value: first.value, source: first.source, type: d.type, synonyms: synonyms)
        }
    }

    /// The effective value of one key for a topic.
    public static func value(_ name: String, topicOverrides: [String: String], config: ServerConfig) -> String? {
        topicOverrides[name] ?? TopicConfigs.byName[name]?.brokerValue(config)
    }
}
