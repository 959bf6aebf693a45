import KafkaController
import KafkaProtocol

/// CreateTopics (v2-7): decided by the controller, committed before the answer; under the client's
/// controller mutation quota, strict from v6.
struct CreateTopicsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        // Fields newer than the request's version (configs, counts, topic id) are ignorable and dropped by the encoder.
        await metadata.createTopics(request, principal: QuotaPrincipal(clientID: context.clientID), strict: context.apiVersion >= 6)
    }
}

/// DeleteTopics (v1-6): by name, or (v6+) by name or id; under the client's controller mutation
/// quota, strict from v5.
struct DeleteTopicsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        await metadata.deleteTopics(request, version: context.apiVersion, principal: QuotaPrincipal(clientID: context.clientID))
    }
}

/// CreatePartitions (v0-3): grows topics; under the client's controller mutation quota, strict from v3.
struct CreatePartitionsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        await metadata.createPartitions(request, principal: QuotaPrincipal(clientID: context.clientID), strict: context.apiVersion >= 3)
    }
}

/// IncrementalAlterConfigs (v0-1): topic configs.
struct IncrementalAlterConfigsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async -> IncrementalAlterConfigsResponse? {
        await metadata.incrementalAlterConfigs(request)
    }
}
