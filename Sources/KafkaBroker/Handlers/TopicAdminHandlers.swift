import KafkaController
import KafkaProtocol

/// CreateTopics (v2-7): decided by the controller, committed before the answer; under the client's
/// controller mutation quota, strict from v6. Answered by `timeoutMs` (REQUEST_TIMED_OUT for every
/// topic if the controller has not finished; the creation goes on, see `AdminDeadline`).
struct CreateTopicsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        // Fields newer than the request's version (configs, counts, topic id) are ignorable and dropped by the encoder.
        let metadata = self.metadata
        let principal = QuotaPrincipal(clientID: context.clientID)
        let strict = context.apiVersion >= 6
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await metadata.createTopics(request, principal: principal, strict: strict)
        }, timedOut: {
            CreateTopicsResponse(topics: request.topics.map {
                .init(name: $0.name, errorCode: ErrorCode.requestTimedOut.rawValue,
                      errorMessage: "The controller did not finish within the request's timeoutMs (\(request.timeoutMs)); the creation goes on")
            })
        })
    }
}

/// DeleteTopics (v1-6): by name, or (v6+) by name or id; under the client's controller mutation
/// quota, strict from v5. Answered by `timeoutMs` (REQUEST_TIMED_OUT otherwise; see `AdminDeadline`).
struct DeleteTopicsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        let metadata = self.metadata
        let principal = QuotaPrincipal(clientID: context.clientID)
        let version = context.apiVersion
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await metadata.deleteTopics(request, version: version, principal: principal)
        }, timedOut: {
            DeleteTopicsResponse(responses: request.topicNames.map { .init(name: $0, errorCode: ErrorCode.requestTimedOut.rawValue) }
                + request.topics.map { .init(name: $0.name, topicID: $0.topicID, errorCode: ErrorCode.requestTimedOut.rawValue) })
        })
    }
}

/// CreatePartitions (v0-3): grows topics; under the client's controller mutation quota, strict from v3.
/// Answered by `timeoutMs` (REQUEST_TIMED_OUT otherwise; see `AdminDeadline`).
struct CreatePartitionsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        let metadata = self.metadata
        let principal = QuotaPrincipal(clientID: context.clientID)
        let strict = context.apiVersion >= 3
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await metadata.createPartitions(request, principal: principal, strict: strict)
        }, timedOut: {
            CreatePartitionsResponse(results: request.topics.map { .init(name: $0.name, errorCode: ErrorCode.requestTimedOut.rawValue) })
        })
    }
}

/// IncrementalAlterConfigs (v0-1): topic configs.
struct IncrementalAlterConfigsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async -> IncrementalAlterConfigsResponse? {
        await metadata.incrementalAlterConfigs(request)
    }
}
