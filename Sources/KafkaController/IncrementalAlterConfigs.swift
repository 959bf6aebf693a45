import KafkaMetadata
import KafkaProtocol

/// IncrementalAlterConfigs for topics and brokers: SET (0), DELETE (1), APPEND (2) and SUBTRACT (3, list
/// keys only) become ConfigRecords. All of a resource's changes are checked before any is
/// recorded, so one bad key leaves the resource untouched. Broker resources ("" for the cluster
/// default, or a node id) hold dynamic broker configs, checked as `DynamicBrokerConfigs` says
/// against `knownKeys` (the keys Strom reads from server.properties). A change to a topic's
/// min.insync.replicas (even to the same value, as Kafka) empties the eligible leader replicas and last
/// known ELR of its partitions: they were kept against the old minimum, under which the high watermark
/// stood still; under a lower one it may have moved past them.
public enum IncrementalAlterConfigs {
    public static func handle(_ request: IncrementalAlterConfigsRequest, image: MetadataImage,
                              knownKeys: Set<String> = []) -> ControllerResult<IncrementalAlterConfigsResponse> {
        var response = IncrementalAlterConfigsResponse()
        var records: [MetadataRecordAndVersion] = []
        var appearances: [ConfigResource: Int] = [:]
        for r in request.resources { appearances[ConfigResource(type: r.resourceType, name: r.resourceName), default: 0] += 1 }
        for resource in request.resources {
            var result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                resourceType: resource.resourceType, resourceName: resource.resourceName)
            if appearances[ConfigResource(type: resource.resourceType, name: resource.resourceName)]! > 1 {
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "Each resource must appear at most once."
                response.responses.append(result)
                continue
            }
            let planned = resource.resourceType == ConfigResource.brokerType
                ? planBroker(resource, image: image, knownKeys: knownKeys) : plan(resource, image: image)
            switch planned {
            case let .failure(f):
                result.errorCode = f.code.rawValue
                result.errorMessage = f.message
            case let .success(changes):
                if !request.validateOnly {
                    records += changes.map {
                        MetadataRecordAndVersion(ConfigRecord(resourceType: resource.resourceType, resourceName: resource.resourceName,
                                                              name: $0.name, value: $0.value), version: 0)
                    }
                    if changes.contains(where: { $0.name == "min.insync.replicas" }) {
                        if resource.resourceType == ConfigResource.topicType {
                            records += clearingELR(topic: resource.resourceName, image: image)
                        } else {
                            // The cluster default: every topic that follows it.
                            for topic in image.topicsByID.values.sorted(by: { $0.name < $1.name })
                            where image.configs(for: .topic(topic.name))["min.insync.replicas"] == nil {
                                records += clearingELR(topic: topic.name, image: image)
                            }
                        }
                    }
                }
            }
            response.responses.append(result)
        }
        return ControllerResult(records: records, response: response)
    }

    static func plan(
        _ resource: IncrementalAlterConfigsRequest.AlterConfigsResource, image: MetadataImage
    ) -> Result<[(name: String, value: String?)], CreateTopics.Failure> {
        guard resource.resourceType == ConfigResource.topicType else {
            return .failure(.init(code: .invalidRequest, message: "Unknown resource type \(resource.resourceType)"))
        }
        guard image.topic(named: resource.resourceName) != nil else {
            return .failure(.init(code: .unknownTopicOrPartition, message: "The topic '\(resource.resourceName)' does not exist."))
        }
        var current = image.configs(for: .topic(resource.resourceName))
        var seen: Set<String> = []
        var changes: [(String, String?)] = []
        for c in resource.configs {
            guard seen.insert(c.name).inserted else {
                return .failure(.init(code: .invalidRequest, message: "Error due to duplicate config keys"))
            }
            guard let definition = TopicConfigs.byName[c.name] else {
                return .failure(.init(code: .invalidConfig, message: "Unknown topic config name: \(c.name)"))
            }
            let newValue: String?
            switch c.configOperation {
            case 0:
                guard let v = c.value else { return .failure(.init(code: .invalidRequest, message: "SET of \(c.name) needs a value")) }
                newValue = v
            case 1:
                newValue = nil
            case 2, 3:
                guard definition.type == .list, let v = c.value else {
                    return .failure(.init(code: .invalidConfig, message: "APPEND and SUBTRACT apply to list configs only, not \(c.name)"))
                }
                var items = (current[c.name] ?? "").split(separator: ",").map(String.init)
                let given = v.split(separator: ",").map(String.init)
                if c.configOperation == 2 {
                    items += given.filter { !items.contains($0) }
                } else {
                    items.removeAll { given.contains($0) }
                }
                newValue = items.isEmpty ? nil : items.joined(separator: ",")
            default:
                return .failure(.init(code: .invalidRequest, message: "Unknown config operation \(c.configOperation)"))
            }
            if let problem = TopicConfigs.validate(name: c.name, value: newValue) {
                return .failure(.init(code: .invalidConfig, message: problem))
            }
            current[c.name] = newValue
            changes.append((c.name, newValue))
        }
        return .success(changes)
    }

    /// A broker resource's changes, as Kafka's `ConfigAdminManager` checks them: no key twice, no SET
    /// without a value, APPEND and SUBTRACT for list keys only; then the whole resulting set as
    /// `DynamicBrokerConfigs.validate` says.
    static func planBroker(
        _ resource: IncrementalAlterConfigsRequest.AlterConfigsResource, image: MetadataImage, knownKeys: Set<String>
    ) -> Result<[(name: String, value: String?)], CreateTopics.Failure> {
        var current = image.configs(for: .broker(resource.resourceName))
        guard Set(resource.configs.map(\.name)).count == resource.configs.count else {
            return .failure(.init(code: .invalidRequest, message: "Error due to duplicate config keys"))
        }
        let nulls = resource.configs.filter { $0.configOperation != 1 && $0.value == nil }.map(\.name)
        guard nulls.isEmpty else {
            return .failure(.init(code: .invalidRequest, message: "Null value not supported for : \(nulls.joined(separator: ", "))"))
        }
        // The eligible leader replicas are kept against one cluster-wide minimum (Kafka 4.0 refuses a
        // node's own value while ELR is enabled, and ELR always is in Strom).
        if !resource.resourceName.isEmpty, resource.configs.contains(where: { $0.name == "min.insync.replicas" }) {
            return .failure(.init(code: .invalidConfig, message: "Broker-level min.insync.replicas cannot be altered while ELR is enabled."))
        }
        var changes: [(String, String?)] = []
        for c in resource.configs {
            let newValue: String?
            switch c.configOperation {
            case 0: newValue = c.value
            case 1: newValue = nil
            case 2, 3:
                guard DynamicBrokerConfigs.type(of: c.name) == .list, let v = c.value else {
                    return .failure(.init(code: .invalidConfig, message: "Config value \(c.configOperation == 2 ? "append" : "subtract") is not allowed for config key: \(c.name)"))
                }
                // From the resource's value, else Kafka's default of the key (ConfigAdminManager.prepareIncrementalConfigs).
                var items = (current[c.name] ?? DynamicBrokerConfigs.kafkaDefault(of: c.name) ?? "").split(separator: ",").map(String.init)
                let given = v.split(separator: ",").map(String.init)
                if c.configOperation == 2 { items += given.filter { !items.contains($0) } } else { items.removeAll { given.contains($0) } }
                newValue = items.isEmpty ? nil : items.joined(separator: ",")
            default:
                return .failure(.init(code: .invalidRequest, message: "Unknown operations type \(c.configOperation)"))
            }
            current[c.name] = newValue
            changes.append((c.name, newValue))
        }
        if let problem = DynamicBrokerConfigs.validate(name: resource.resourceName, configs: current, knownKeys: knownKeys) {
            return .failure(.init(code: problem.code, message: problem.message))
        }
        return .success(changes)
    }

    /// PartitionChangeRecords emptying the ELR and LastKnownElr of `topic`'s partitions that have any.
    static func clearingELR(topic name: String, image: MetadataImage) -> [MetadataRecordAndVersion] {
        guard let topic = image.topic(named: name) else { return [] }
        return topic.partitionIndexes.compactMap { index in
            let partition = topic.partitions[index]!
            guard !partition.elr.isEmpty || !partition.lastKnownElr.isEmpty else { return nil }
            let change = PartitionChangeRecord(partitionID: index, topicID: topic.id, eligibleLeaderReplicas: [], lastKnownElr: [])
            return MetadataRecordAndVersion(change, version: change.lowestVersion)
        }
    }
}
