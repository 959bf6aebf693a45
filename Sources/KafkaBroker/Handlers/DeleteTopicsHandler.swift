import KafkaController
import KafkaProtocol

/// DeleteTopics: by name, or (v6+) by name or id; under the client's controller mutation
/// quota, strict from v5. Answered by `timeoutMs` (REQUEST_TIMED_OUT otherwise; see `AdminDeadline`).
/// Authorized as Kafka's controller does (`TopicAdminAuthorization.deleteTopics`).
struct DeleteTopicsHandler: RequestHandler {
    /// Every version Kafka 3.9 serves (v0 for old admin clients; Kafka 4.0 dropped it).
    static let versions: ClosedRange<Int16> = 0...6

    let metadata: MetadataService

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        let metadata = self.metadata
        let principal = context.quotaPrincipal
        let version = context.apiVersion
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await TopicAdminAuthorization.deleteTopics(request, version: version, image: metadata.image, context: context) {
                await metadata.deleteTopics($0, version: version, principal: principal)
            }
        }, timedOut: {
            DeleteTopicsResponse(responses: request.topicNames.map { .init(name: $0, errorCode: ErrorCode.requestTimedOut.rawValue) }
                + request.topics.map { .init(name: $0.name, topicID: $0.topicID, errorCode: ErrorCode.requestTimedOut.rawValue) })
        })
    }
}

/// DeleteTopics on the controller listener, sent by a broker that forwards it or by an admin client bootstrapped
/// with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller. It serves the
/// versions the client listener serves.
struct ControllerDeleteTopicsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { DeleteTopicsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        let (metadata, version) = (self.metadata, context.apiVersion)
        return await TopicAdminAuthorization.deleteTopics(request, version: version, image: metadata.image, context: context) { request in
            if let r = await metadata.deleteTopicsAsController(request, version: version) { return r }
            let names = request.topicNames.map { DeleteTopicsResponse.DeletableTopicResult(name: $0) }
                + request.topics.map { DeleteTopicsResponse.DeletableTopicResult(name: $0.name, topicID: $0.topicID) }
            return DeleteTopicsResponse(responses: names.map { var t = $0; t.errorCode = ErrorCode.notController.rawValue; return t })
        }
    }
}
