import KafkaMetadata
import KafkaProtocol

/// AlterConfigs (key 33), the legacy form that `kafka-configs.sh` before KIP-339 and librdkafka's
/// `AlterConfigs` still send: each resource's configs are *replaced* by the ones given, so a topic
/// override not named is removed, as Kafka's `ConfigurationControlManager.legacyAlterConfigs` does.
/// A null value removes its key too. Decided as the equivalent IncrementalAlterConfigs (SET for each
/// value given, DELETE for each key removed): the same validation, the same records, the same
/// clearing of the eligible leader replicas when min.insync.replicas changes. A null value is
/// INVALID_REQUEST here, as in Kafka.
public enum AlterConfigs {
    public static func handle(_ request: AlterConfigsRequest, image: MetadataImage, knownKeys: Set<String> = []) -> ControllerResult<AlterConfigsResponse> {
        // A null value is refused, as Kafka's ConfigAdminManager refuses it in this form.
        let nulls = request.resources.map { r in r.configs.filter { $0.value == nil }.map(\.name) }
        var equivalent = IncrementalAlterConfigsRequest(resources: [], validateOnly: request.validateOnly)
        for (r, n) in zip(request.resources, nulls) where n.isEmpty { equivalent.resources.append(operations(r, image: image)) }
        let decided = IncrementalAlterConfigs.handle(equivalent, image: image, knownKeys: knownKeys)
        var answers = decided.response.responses.makeIterator()
        var response = AlterConfigsResponse()
        for (r, n) in zip(request.resources, nulls) {
            if n.isEmpty, let a = answers.next() {
                response.responses.append(.init(errorCode: a.errorCode, errorMessage: a.errorMessage, resourceType: a.resourceType, resourceName: a.resourceName))
            } else {
                response.responses.append(.init(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: "Null value not supported for : \(n.joined(separator: ", "))",
                                                resourceType: r.resourceType, resourceName: r.resourceName))
            }
        }
        return ControllerResult(records: decided.records, response: response)
    }

    /// The resource's replacement as incremental operations: SET (0) or DELETE (1) for each config
    /// given, in order (a name given twice stays twice, for IncrementalAlterConfigs to refuse), then
    /// DELETE for every current value of the topic or broker resource that is not given.
    static func operations(_ resource: AlterConfigsRequest.AlterConfigsResource,
                            image: MetadataImage) -> IncrementalAlterConfigsRequest.AlterConfigsResource {
        typealias Op = IncrementalAlterConfigsRequest.AlterConfigsResource.AlterableConfig
        var ops = resource.configs.map { Op(name: $0.name, configOperation: 0, value: $0.value) }
        if resource.resourceType == ConfigResource.topicType || resource.resourceType == ConfigResource.brokerType {
            let given = Set(resource.configs.map(\.name))
            for name in image.configs(for: ConfigResource(type: resource.resourceType, name: resource.resourceName)).keys.sorted()
            where !given.contains(name) {
                ops.append(Op(name: name, configOperation: 1, value: nil))
            }
        }
        return .init(resourceType: resource.resourceType, resourceName: resource.resourceName, configs: ops)
    }
}
