import KafkaController
import KafkaProtocol

/// AlterClientQuotas (v0-1): decided by the active controller, committed before the answer. Only
/// `controller_mutation_rate` for user and client-id entities is accepted (see `AlterClientQuotas`).
struct AlterClientQuotasHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext) async -> AlterClientQuotasResponse? {
        await metadata.alterClientQuotas(request)
    }
}

/// AlterClientQuotas on the controller listener (forwarded by a broker): NOT_CONTROLLER unless this
/// node is the active controller.
struct ControllerAlterClientQuotasHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: AlterClientQuotasRequest, context: RequestContext) async -> AlterClientQuotasResponse? {
        if let r = await metadata.alterClientQuotasAsController(request) { return r }
        return MetadataService.entries(of: request, code: .notController, message: "This node is not the active controller")
    }
}

/// DescribeClientQuotas (v0-1): the quotas in this node's metadata image matching the filter.
struct DescribeClientQuotasHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: DescribeClientQuotasRequest, context: RequestContext) async -> DescribeClientQuotasResponse? {
        DescribeClientQuotas.handle(request, image: metadata.image)
    }
}
