import KafkaController
import KafkaMetadata
import KafkaProtocol

/// IncrementalAlterConfigs: topic configs and dynamic broker configs (the cluster default or this
/// node's: `BrokerConfigResource`), decided by the active controller and committed before the answer.
/// Each resource needs ALTER_CONFIGS (`ConfigsAuthorization`).
struct IncrementalAlterConfigsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async -> IncrementalAlterConfigsResponse? {
        var local = request
        let (kept, foreign) = BrokerConfigResource.local(request.resources, nodeID: metadata.config.nodeID, type: \.resourceType, name: \.resourceName)
        local.resources = kept
        let metadata = self.metadata
        var response = await ConfigsAuthorization.incrementalAlterConfigs(local, context: context) {
            $0.resources.isEmpty ? IncrementalAlterConfigsResponse() : await metadata.incrementalAlterConfigs($0)
        }
        let refused = foreign.map {
            IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(errorCode: $0.code.rawValue, errorMessage: $0.message,
                                                                         resourceType: $0.resourceType, resourceName: $0.resourceName)
        }
        response.responses = BrokerConfigResource.inRequestOrder(response.responses + refused,
                                                                 requested: request.resources.map { ConfigResource(type: $0.resourceType, name: $0.resourceName) },
                                                                 key: { ConfigResource(type: $0.resourceType, name: $0.resourceName) })
        return response
    }
}

/// IncrementalAlterConfigs on the controller listener, sent by a broker that forwards it or by an admin client bootstrapped
/// with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller. It serves the
/// versions the client listener serves.
struct ControllerIncrementalAlterConfigsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { IncrementalAlterConfigsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async -> IncrementalAlterConfigsResponse? {
        let metadata = self.metadata
        return await ConfigsAuthorization.incrementalAlterConfigs(request, context: context) { request in
            if let r = await metadata.incrementalAlterConfigsAsController(request) { return r }
            return IncrementalAlterConfigsResponse(responses: request.resources.map {
                .init(errorCode: ErrorCode.notController.rawValue, resourceType: $0.resourceType, resourceName: $0.resourceName)
            })
        }
    }
}
