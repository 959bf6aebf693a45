import KafkaMetadata
import KafkaProtocol
import KafkaSecurity

/// What describing or altering a config resource needs, as Kafka's `ConfigHelper` and `KafkaApis`
/// check it: DESCRIBE_CONFIGS or ALTER_CONFIGS on the topic for a topic (else TOPIC_AUTHORIZATION_FAILED),
/// on the group for a group (else GROUP_AUTHORIZATION_FAILED), and on the cluster for a broker, a
/// broker logger or client metrics (else CLUSTER_AUTHORIZATION_FAILED). Other resource types are
/// left to the handler, which refuses them.
enum ConfigsAuthorization {
    /// The error for a resource the principal may not describe (`describe`) or alter, or nil when it may.
    static func refusal(resourceType: Int8, resourceName: String, alter: Bool, context: RequestContext) -> ErrorCode? {
        let operation: AclOperation = alter ? .alterConfigs : .describeConfigs
        let resource: AclResourceType
        let name: String
        switch resourceType {
        case ConfigResource.topicType: (resource, name) = (.topic, resourceName)
        case groupType: (resource, name) = (.group, resourceName)
        case ConfigResource.brokerType, brokerLoggerType, clientMetricsType: (resource, name) = (.cluster, RequestContext.clusterResourceName)
        default: return nil
        }
        return context.authorize(operation, resource, name) ? nil : AuthorizationFailure.code(for: resource)
    }

    static let brokerLoggerType: Int8 = 8
    static let clientMetricsType: Int8 = 16
    static let groupType: Int8 = 32

    /// The resources the principal may alter, and the others with their authorization error.
    static func alterable<R>(_ resources: [R], context: RequestContext, type: (R) -> Int8, name: (R) -> String)
        -> (allowed: [R], refused: [(resourceType: Int8, resourceName: String, code: ErrorCode)]) {
        var refused: [(resourceType: Int8, resourceName: String, code: ErrorCode)] = []
        let allowed = resources.filter { r in
            guard let code = refusal(resourceType: type(r), resourceName: name(r), alter: true, context: context) else { return true }
            refused.append((type(r), name(r), code))
            return false
        }
        return (allowed, refused)
    }

    /// IncrementalAlterConfigs: the resources the principal may alter go to `decide`; the others are
    /// refused in the answer.
    static func incrementalAlterConfigs(_ request: IncrementalAlterConfigsRequest, context: RequestContext,
                                        decide: (IncrementalAlterConfigsRequest) async -> IncrementalAlterConfigsResponse) async
        -> IncrementalAlterConfigsResponse {
        guard context.authorizer != nil else { return await decide(request) }
        var allowed = request
        let (resources, refused) = alterable(request.resources, context: context, type: \.resourceType, name: \.resourceName)
        allowed.resources = resources
        var response = allowed.resources.isEmpty ? IncrementalAlterConfigsResponse() : await decide(allowed)
        response.responses += refused.map {
            .init(errorCode: $0.code.rawValue, errorMessage: AuthorizationFailure.message(for: $0.code),
                  resourceType: $0.resourceType, resourceName: $0.resourceName)
        }
        return response
    }
}
