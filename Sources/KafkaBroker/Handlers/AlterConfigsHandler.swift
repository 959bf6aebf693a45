import KafkaController
import KafkaMetadata
import KafkaProtocol

/// AlterConfigs (key 33, the legacy form librdkafka's and older admin clients send): each topic's
/// overrides are replaced by the ones given (see `KafkaController.AlterConfigs`), decided by the active
/// controller and committed before the answer. Each resource needs ALTER_CONFIGS
/// (`ConfigsAuthorization`). A broker resource's dynamic configs are replaced the same way (the cluster
/// default, or this node's: `BrokerConfigResource`).
struct AlterConfigsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let metadata: MetadataService

    func handle(_ request: AlterConfigsRequest, context: RequestContext) async -> AlterConfigsResponse? {
        var local = request
        let (kept, foreign) = BrokerConfigResource.local(request.resources, nodeID: metadata.config.nodeID, type: \.resourceType, name: \.resourceName)
        local.resources = kept
        var response = await Self.authorized(local, context: context) { await metadata.alterConfigs($0) }
        let refused = foreign.map {
            AlterConfigsResponse.AlterConfigsResourceResponse(errorCode: $0.code.rawValue, errorMessage: $0.message,
                                                              resourceType: $0.resourceType, resourceName: $0.resourceName)
        }
        response.responses = BrokerConfigResource.inRequestOrder(response.responses + refused,
                                                                 requested: request.resources.map { ConfigResource(type: $0.resourceType, name: $0.resourceName) },
                                                                 key: { ConfigResource(type: $0.resourceType, name: $0.resourceName) })
        return response
    }

    /// The resources the principal may alter go to `decide`; the others are refused in the answer.
    static func authorized(_ request: AlterConfigsRequest, context: RequestContext,
                           decide: (AlterConfigsRequest) async -> AlterConfigsResponse) async -> AlterConfigsResponse {
        var allowed = request
        let (resources, refused) = ConfigsAuthorization.alterable(request.resources, context: context,
                                                                  type: \.resourceType, name: \.resourceName)
        allowed.resources = resources
        var response = allowed.resources.isEmpty ? AlterConfigsResponse() : await decide(allowed)
        response.responses += refused.map {
            .init(errorCode: $0.code.rawValue, errorMessage: AuthorizationFailure.message(for: $0.code),
                  resourceType: $0.resourceType, resourceName: $0.resourceName)
        }
        return response
    }
}

/// AlterConfigs on the controller listener, from a broker that forwards it or an admin client
/// bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerAlterConfigsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { AlterConfigsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: AlterConfigsRequest, context: RequestContext) async -> AlterConfigsResponse? {
        let metadata = self.metadata
        return await AlterConfigsHandler.authorized(request, context: context) { request in
            if let r = await metadata.alterConfigsAsController(request) { return r }
            return MetadataService.alterConfigsFailed(request, code: .notController, message: "This node is not the active controller")
        }
    }
}
