import KafkaMetadata
import StromConfig

/// Kafka's `ConfigSource` numbers, as DescribeConfigs and CreateTopics report them.
public enum ConfigSource: Int8, Sendable {
    case unknown = 0, dynamicTopicConfig = 1, dynamicBrokerConfig = 2, dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4, defaultConfig = 5
}

/// The effective configuration of a topic: for every topic key, the topic's own value when set,
/// else the broker's (from `server.properties`, or Kafka's default), with where it came from.
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
            let brokerSource: ConfigSource = d.brokerSynonym.map { config.explicitKeys.contains($0) } == true ? .staticBrokerConfig : .defaultConfig
            var synonyms: [(String, String, ConfigSource)] = []
            if let v = topicOverrides[d.name] { synonyms.append((d.name, v, .dynamicTopicConfig)) }
            if let b = d.brokerSynonym { synonyms.append((b, d.brokerValue(config), brokerSource)) }
            if let v = topicOverrides[d.name] {
                return Entry(name: d.name, value: v, source: .dynamicTopicConfig, type: d.type, synonyms: synonyms)
            }
            return Entry(name: d.name, value: d.brokerValue(config), source: brokerSource, type: d.type, synonyms: synonyms)
        }
    }

    /// The effective value of one key for a topic.
    public static func value(_ name: String, topicOverrides: [String: String], config: ServerConfig) -> String? {
        topicOverrides[name] ?? TopicConfigs.byName[name]?.brokerValue(config)
    }
}
