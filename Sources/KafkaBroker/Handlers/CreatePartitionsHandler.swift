import KafkaController
import KafkaProtocol

/// CreatePartitions: grows topics; under the client's controller mutation quota, strict from v3.
/// Answered by `timeoutMs` (REQUEST_TIMED_OUT otherwise; see `AdminDeadline`). Authorized as Kafka's
/// controller does (`TopicAdminAuthorization.createPartitions`).
struct CreatePartitionsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...3

    let metadata: MetadataService

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        let metadata = self.metadata
        let principal = context.quotaPrincipal
        let strict = context.apiVersion >= 3
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await TopicAdminAuthorization.createPartitions(request, context: context) {
                await metadata.createPartitions($0, principal: principal, strict: strict)
            }
        }, timedOut: {
            CreatePartitionsResponse(results: request.topics.map { .init(name: $0.name, errorCode: ErrorCode.requestTimedOut.rawValue) })
        })
    }
}

/// CreatePartitions on the controller listener, sent by a broker that forwards it or by an admin client bootstrapped
/// with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller. It serves the
/// versions the client listener serves.
struct ControllerCreatePartitionsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { CreatePartitionsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        let metadata = self.metadata
        return await TopicAdminAuthorization.createPartitions(request, context: context) { request in
            if let r = await metadata.createPartitionsAsController(request) { return r }
            return CreatePartitionsResponse(results: request.topics.map { .init(name: $0.name, errorCode: ErrorCode.notController.rawValue) })
        }
    }
}
