import KafkaController
import KafkaProtocol

/// CreateTopics: decided by the controller, committed before the answer; under the client's
/// controller mutation quota, strict from v6. Answered by `timeoutMs` (REQUEST_TIMED_OUT for every
/// topic if the controller has not finished; the creation goes on, see `AdminDeadline`). Authorized as
/// Kafka's controller does (`TopicAdminAuthorization.createTopics`).
struct CreateTopicsHandler: RequestHandler {
    /// Every version Kafka 3.9 serves (v0-1 for old admin clients; Kafka 4.0 dropped them).
    static let versions: ClosedRange<Int16> = 0...7

    let metadata: MetadataService

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        // Fields newer than the request's version (configs, counts, topic id) are ignorable and dropped by the encoder.
        let metadata = self.metadata
        let principal = context.quotaPrincipal
        let strict = context.apiVersion >= 6
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await TopicAdminAuthorization.createTopics(request, context: context) {
                await metadata.createTopics($0, principal: principal, strict: strict)
            }
        }, timedOut: {
            CreateTopicsResponse(topics: request.topics.map {
                .init(name: $0.name, errorCode: ErrorCode.requestTimedOut.rawValue,
                      errorMessage: "The controller did not finish within the request's timeoutMs (\(request.timeoutMs)); the creation goes on")
            })
        })
    }
}

/// CreateTopics on the controller listener, sent by a broker that forwards it or by an admin client bootstrapped
/// with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller. It serves the
/// versions the client listener serves.
struct ControllerCreateTopicsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { CreateTopicsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        let metadata = self.metadata
        return await TopicAdminAuthorization.createTopics(request, context: context) { request in
            if let r = await metadata.createTopicsAsController(request) { return r }
            var r = CreateTopicsResponse(topics: request.topics.map { .init(name: $0.name) })
            MetadataService.failTopics(&r, .notController, "This node is not the active controller")
            return r
        }
    }
}
