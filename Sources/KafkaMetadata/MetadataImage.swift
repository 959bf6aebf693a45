import KafkaProtocol

/// A topic: its name, id and partitions.
public struct TopicImage: Hashable, Sendable {
    public var name: String
    public var id: KafkaUUID
    public var partitions: [Int32: PartitionRegistration]

    public init(name: String, id: KafkaUUID, partitions: [Int32: PartitionRegistration] = [:]) {
        self.name = name
        self.id = id
        self.partitions = partitions
    }

    /// Partition indexes in ascending order.
    public var partitionIndexes: [Int32] { partitions.keys.sorted() }
}

/// A configurable resource, by Kafka's resource type numbers.
public struct ConfigResource: Hashable, Sendable, CustomStringConvertible {
    public static let topicType: Int8 = 2
    public static let brokerType: Int8 = 4

    public var type: Int8
    public var name: String

    public init(type: Int8, name: String) {
        self.type = type
        self.name = name
    }

    public static func topic(_ name: String) -> ConfigResource { ConfigResource(type: topicType, name: name) }
    public static func broker(_ id: String) -> ConfigResource { ConfigResource(type: brokerType, name: id) }

    public var description: String { "\(type == Self.topicType ? "topic" : type == Self.brokerType ? "broker" : "type \(type)") \(name)" }
}

/// Where an image comes from: the offset and epoch of the last record replayed into it.
public struct MetadataProvenance: Hashable, Sendable {
    public var offset: Int64
    public var epoch: Int32

    public init(offset: Int64, epoch: Int32) {
        self.offset = offset
        self.epoch = epoch
    }

    public static let empty = MetadataProvenance(offset: -1, epoch: -1)
}

/// The cluster's metadata at one point of the `__cluster_metadata` log: an immutable value built
/// by replaying records into a `MetadataDelta`. Readers share it freely; writers make a new one.
public struct MetadataImage: Hashable, Sendable {
    public var provenance: MetadataProvenance
    /// The level of every feature a FeatureLevelRecord named, level 0 included: a feature an operator
    /// turned off (UpdateFeatures to 0) differs from one never finalized, which the controller finalizes
    /// at the next broker registration (`BrokerLifecycle.register`). Clients see `finalizedFeatures`.
    public var features: [String: Int16]
    public var topicsByID: [KafkaUUID: TopicImage]
    public var topicIDsByName: [String: KafkaUUID]
    public var brokers: [Int32: BrokerRegistration]
    /// Explicitly set configuration, per resource; defaults are not stored.
    public var configs: [ConfigResource: [String: String]]
    /// The first producer id not yet handed out.
    public var nextProducerID: Int64
    /// Client quotas (`controller_mutation_rate`, …) per entity; an entity without values is absent.
    public var clientQuotas: [ClientQuotaEntity: [String: Double]]
    /// SCRAM credentials by user and mechanism.
    public var scramCredentials: [UserScramCredential.Key: UserScramCredential]
    /// ACLs (AccessControlEntryRecords) by id.
    public var acls: [KafkaUUID: AccessControlEntryRecord]

    public init() {
        provenance = .empty
        features = [:]
        topicsByID = [:]
        topicIDsByName = [:]
        brokers = [:]
        configs = [:]
        nextProducerID = 0
        clientQuotas = [:]
        scramCredentials = [:]
        acls = [:]
    }

    public static let empty = MetadataImage()

    public func topic(named name: String) -> TopicImage? {
        topicIDsByName[name].flatMap { topicsByID[$0] }
    }

    public func topic(id: KafkaUUID) -> TopicImage? { topicsByID[id] }

    /// Topic names in ascending order.
    public var topicNames: [String] { topicIDsByName.keys.sorted() }

    public func configs(for resource: ConfigResource) -> [String: String] { configs[resource] ?? [:] }

    /// The finalized features as Kafka reports them (ApiVersions, the metadata shell): those above level 0.
    public var finalizedFeatures: [String: Int16] { features.filter { $0.value > 0 } }

    /// Brokers that are registered and not fenced, by id (those in controlled shutdown included: they
    /// still serve until they stop).
    public var activeBrokers: [BrokerRegistration] {
        brokers.values.filter { !$0.fenced }.sorted { $0.id < $1.id }
    }

    /// Whether `broker` is registered, unfenced and not in controlled shutdown: the brokers that may be
    /// elected leader, join an ISR, or get new replicas (Kafka's `ClusterControlManager.isActive`).
    public func isAcceptableLeader(_ broker: Int32) -> Bool {
        guard let b = brokers[broker] else { return false }
        return !b.fenced && !b.inControlledShutdown
    }
}
