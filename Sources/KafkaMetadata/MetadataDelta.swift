import KafkaProtocol

/// Replaying records onto an image.
public struct MetadataReplayError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Changes replayed on top of a base image; `apply` gives the new image.
///
/// `replay` takes records in log order. Records that refer to something absent (a partition of an
/// unknown topic, a change to an unknown partition) are refused with an error rather than guessed at,
/// because a log that contains them is not one this controller wrote.
public struct MetadataDelta: Sendable {
    public let base: MetadataImage
    private var image: MetadataImage
    /// Topics created, or whose partitions changed, in this delta.
    public private(set) var changedTopicIDs: Set<KafkaUUID> = []
    /// Topics removed in this delta, with their last state in the base or the delta.
    public private(set) var removedTopics: [KafkaUUID: TopicImage] = [:]
    /// Whether an ACL was added or removed in this delta.
    public private(set) var aclsChanged = false

    public init(base: MetadataImage) {
        self.base = base
        self.image = base
    }

    /// The image as it would be if applied now.
    public var current: MetadataImage { image }

    public mutating func replay(_ record: any KafkaMetadataRecord) throws(MetadataReplayError) {
        switch record {
        case let r as TopicRecord:
            if image.topicIDsByName[r.name] != nil {
                throw MetadataReplayError("TopicRecord for \(r.name), which exists already")
            }
            image.topicsByID[r.topicID] = TopicImage(name: r.name, id: r.topicID)
            image.topicIDsByName[r.name] = r.topicID
            changedTopicIDs.insert(r.topicID)
        case let r as PartitionRecord:
            guard image.topicsByID[r.topicID] != nil else {
                throw MetadataReplayError("PartitionRecord for unknown topic \(r.topicID)")
            }
            image.topicsByID[r.topicID]!.partitions[r.partitionID] = PartitionRegistration(r)
            changedTopicIDs.insert(r.topicID)
        case let r as PartitionChangeRecord:
            guard let current = image.topicsByID[r.topicID]?.partitions[r.partitionID] else {
                throw MetadataReplayError("PartitionChangeRecord for unknown partition \(r.topicID)-\(r.partitionID)")
            }
            image.topicsByID[r.topicID]!.partitions[r.partitionID] = current.applying(r)
            changedTopicIDs.insert(r.topicID)
        case let r as RemoveTopicRecord:
            guard let topic = image.topicsByID.removeValue(forKey: r.topicID) else {
                throw MetadataReplayError("RemoveTopicRecord for unknown topic \(r.topicID)")
            }
            image.topicIDsByName.removeValue(forKey: topic.name)
            image.configs.removeValue(forKey: .topic(topic.name))
            changedTopicIDs.remove(r.topicID)
            removedTopics[r.topicID] = topic
        case let r as ConfigRecord:
            let resource = ConfigResource(type: r.resourceType, name: r.resourceName)
            var values = image.configs[resource] ?? [:]
            values[r.name] = r.value
            image.configs[resource] = values.isEmpty ? nil : values
        case let r as RegisterBrokerRecord:
            image.brokers[r.brokerID] = BrokerRegistration(r)
        case let r as UnregisterBrokerRecord:
            image.brokers.removeValue(forKey: r.brokerID)
        case let r as FenceBrokerRecord:
            image.brokers[r.id]?.fenced = true
        case let r as UnfenceBrokerRecord:
            image.brokers[r.id]?.fenced = false
        case let r as BrokerRegistrationChangeRecord:
            // Fenced: 1 fences, -1 unfences, 0 leaves it. InControlledShutdown: 1 marks it, 0 leaves it.
            if r.fenced == 1 { image.brokers[r.brokerID]?.fenced = true }
            if r.fenced == -1 { image.brokers[r.brokerID]?.fenced = false }
            if r.inControlledShutdown == 1 { image.brokers[r.brokerID]?.inControlledShutdown = true }
        case let r as FeatureLevelRecord:
            // Level 0 is kept (see `MetadataImage.features`): a feature turned off stays off.
            image.features[r.name] = r.featureLevel
        case let r as ProducerIdsRecord:
            guard r.nextProducerID >= image.nextProducerID else {
                throw MetadataReplayError("ProducerIdsRecord moves the next producer id back to \(r.nextProducerID)")
            }
            image.nextProducerID = r.nextProducerID
        case let r as ClientQuotaRecord:
            guard let entity = ClientQuotaEntity(record: r) else {
                throw MetadataReplayError("ClientQuotaRecord names an entity type twice")
            }
            guard r.remove || r.value.isFinite else {
                throw MetadataReplayError("ClientQuotaRecord sets \(r.key) of \(entity) to \(r.value)")
            }
            var values = image.clientQuotas[entity] ?? [:]
            values[r.key] = r.remove ? nil : r.value
            image.clientQuotas[entity] = values.isEmpty ? nil : values
        case let r as UserScramCredentialRecord:
            image.scramCredentials[.init(user: r.name, mechanism: r.mechanism)] = UserScramCredential(r)
        case let r as RemoveUserScramCredentialRecord:
            guard image.scramCredentials.removeValue(forKey: .init(user: r.name, mechanism: r.mechanism)) != nil else {
                throw MetadataReplayError("RemoveUserScramCredentialRecord removes a credential of \(r.name) that does not exist")
            }
        case let r as AccessControlEntryRecord:
            image.acls[r.id] = r
            aclsChanged = true
        case let r as RemoveAccessControlEntryRecord:
            guard image.acls.removeValue(forKey: r.id) != nil else {
                throw MetadataReplayError("RemoveAccessControlEntryRecord removes ACL \(r.id), which does not exist")
            }
            aclsChanged = true
        case is NoOpRecord, is RegisterControllerRecord:
            break
        default:
            // Records of areas Strom does not model yet (delegation tokens,
            // transactions) leave the image as it is.
            break
        }
    }

    /// The new image, stamped with the offset and epoch of the last record replayed.
    public func apply(provenance: MetadataProvenance) -> MetadataImage {
        var out = image
        out.provenance = provenance
        return out
    }
}

extension MetadataDelta {
    /// The change from `old` to `new` when `new` did not come from replaying records on `old` (a
    /// replica that installed a snapshot): topics missing from `new` are removed, topics new or
    /// different in `new` are changed, and applying it gives exactly `new`.
    public static func transition(from old: MetadataImage, to new: MetadataImage) -> MetadataDelta {
        var delta = MetadataDelta(base: old)
        delta.image = new
        for (id, topic) in old.topicsByID where new.topicsByID[id] == nil {
            delta.removedTopics[id] = topic
        }
        for (id, topic) in new.topicsByID where old.topicsByID[id] != topic {
            delta.changedTopicIDs.insert(id)
        }
        delta.aclsChanged = old.acls != new.acls
        return delta
    }
}
