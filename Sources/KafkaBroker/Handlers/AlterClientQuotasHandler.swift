import KafkaController
import KafkaProtocol

/// AlterClientQuotas: decided by the active controller, committed before the answer. Only
/// `controller_mutation_rate` for user and client-id entities is accepted (see `AlterClientQuotas`).
struct AlterClientQuotasHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext) async -> AlterClientQuotasResponse? {
        guard context.authorizeCluster(.alterConfigs) else { return Self.refused(request) }
        return await metadata.alterClientQuotas(request)
    }

    /// Without ALTER_CONFIGS on the cluster: every entry refused.
    static func refused(_ request: AlterClientQuotasRequest) -> AlterClientQuotasResponse {
        MetadataService.entries(of: request, code: .clusterAuthorizationFailed, message: AuthorizationFailure.message(for: .cluster))
    }
}

/// AlterClientQuotas on the controller listener, sent by a broker that forwards it or by an admin client bootstrapped
/// with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller. It serves the
/// versions the client listener serves.
struct ControllerAlterClientQuotasHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { AlterClientQuotasHandler.versions }

    let metadata: MetadataService

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext) async -> AlterClientQuotasResponse? {
        guard context.authorizeCluster(.alterConfigs) else { return AlterClientQuotasHandler.refused(request) }
        if let r = await metadata.alterClientQuotasAsController(request) { return r }
        return MetadataService.entries(of: request, code: .notController, message: "This node is not the active controller")
    }
}
