import KafkaProtocol

/// One partition as Kafka's `TopicPartitionInfo` holds it. `elr`/`lastKnownElr` are nil when the
/// broker did not say (Metadata has no such fields; DescribeTopicPartitions has).
public struct PartitionInfo: Hashable, Sendable {
    public var partition: Int32
    /// nil: no leader (Kafka's `leader() == null`, leader id -1).
    public var leader: Int32?
    public var replicas: [Int32]
    public var isr: [Int32]
    public var elr: [Int32]?
    public var lastKnownElr: [Int32]?

    public init(partition: Int32, leader: Int32?, replicas: [Int32], isr: [Int32], elr: [Int32]? = nil, lastKnownElr: [Int32]? = nil) {
        self.partition = partition
        self.leader = leader
        self.replicas = replicas
        self.isr = isr
        self.elr = elr
        self.lastKnownElr = lastKnownElr
    }
}

/// A topic as Kafka's `TopicDescription` holds it, partitions in partition order.
public struct TopicInfo: Hashable, Sendable {
    public var name: String
    public var id: KafkaUUID
    public var isInternal: Bool
    public var partitions: [PartitionInfo]

    public init(name: String, id: KafkaUUID, isInternal: Bool = false, partitions: [PartitionInfo]) {
        self.name = name
        self.id = id
        self.isInternal = isInternal
        self.partitions = partitions.sorted { $0.partition < $1.partition }
    }
}

/// Kafka's `ConfigEntry.ConfigSource`, by DescribeConfigs' code.
public enum ConfigSource: Int8, Sendable, CustomStringConvertible {
    case unknown = 0
    case dynamicTopicConfig = 1
    case dynamicBrokerConfig = 2
    case dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4
    case defaultConfig = 5
    case dynamicBrokerLoggerConfig = 6
    case clientMetricsConfig = 7
    case groupConfig = 8

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .dynamicTopicConfig: "DYNAMIC_TOPIC_CONFIG"
        case .dynamicBrokerConfig: "DYNAMIC_BROKER_CONFIG"
        case .dynamicDefaultBrokerConfig: "DYNAMIC_DEFAULT_BROKER_CONFIG"
        case .staticBrokerConfig: "STATIC_BROKER_CONFIG"
        case .defaultConfig: "DEFAULT_CONFIG"
        case .dynamicBrokerLoggerConfig: "DYNAMIC_BROKER_LOGGER_CONFIG"
        case .clientMetricsConfig: "CLIENT_METRICS_CONFIG"
        case .groupConfig: "GROUP_CONFIG"
        }
    }
}

/// One entry of a DescribeConfigs result, as Kafka's `ConfigEntry`. `value` nil for a sensitive one.
public struct ConfigEntry: Hashable, Sendable {
    public struct Synonym: Hashable, Sendable {
        public var name: String
        public var value: String?
        public var source: ConfigSource

        public init(name: String, value: String?, source: ConfigSource) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    public var name: String
    public var value: String?
    public var source: ConfigSource
    public var isSensitive: Bool
    public var isReadOnly: Bool
    public var synonyms: [Synonym]

    public init(name: String, value: String?, source: ConfigSource, isSensitive: Bool = false, isReadOnly: Bool = false, synonyms: [Synonym] = []) {
        self.name = name
        self.value = value
        self.source = source
        self.isSensitive = isSensitive
        self.isReadOnly = isReadOnly
        self.synonyms = synonyms
    }

    public var isDefault: Bool { source == .defaultConfig }
    /// Java's string of a possibly-null value.
    public var valueText: String { value ?? "null" }
}

/// DescribeConfigs resource types.
public enum ConfigResourceType: Int8, Sendable {
    case topic = 2
    case broker = 4
    case brokerLogger = 8
    case clientMetrics = 16
    case group = 32
}

/// An ongoing reassignment (ListPartitionReassignments).
public struct PartitionReassignment: Hashable, Sendable {
    public var replicas: [Int32]
    public var adding: [Int32]
    public var removing: [Int32]

    public init(replicas: [Int32], adding: [Int32], removing: [Int32]) {
        self.replicas = replicas
        self.adding = adding
        self.removing = removing
    }
}
