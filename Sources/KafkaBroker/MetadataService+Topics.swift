import KafkaController
import KafkaMetadata
import KafkaProtocol

/// Topic and config administration: decided by the active controller. Called from the client
/// listener, they run here when this node is the active controller and are forwarded to it otherwise
/// (as a Kafka broker forwards them); called from the controller listener (`…AsController`) they never
/// forward and answer NOT_CONTROLLER instead. These charge no quota: clients' requests go through
/// `MetadataService+MutationQuota` first.
extension MetadataService {
    public func createTopics(_ request: CreateTopicsRequest) async -> CreateTopicsResponse {
        let answer = await controllerCall(request, version: CreateTopicsRequest.validVersions.upperBound,
                                          local: { await self.createTopicsAsController(request) },
                                          notController: { r in r.topics.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        guard let answer else { return failedAll(CreateTopicsResponse(topics: request.topics.map { .init(name: $0.name) })) }
        // Read your writes: a forwarded creation is answered once this node's image has the topics,
        // so the client's next Metadata request here finds them (waits on publication, at most 5 s).
        // (validate_only creates nothing, so there is nothing to wait for.)
        let created = request.validateOnly ? [] : answer.topics.filter { $0.errorCode == 0 }.map(\.name)
        if !created.isEmpty {
            _ = await publication.wait(until: { view in created.allSatisfy { view.image.topic(named: $0) != nil } },
                                       deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func createTopicsAsController(_ request: CreateTopicsRequest) async -> CreateTopicsResponse? {
        let config = self.config
        return await asController({ generator, image in CreateTopics.handle(request, image: image, config: config, generator: &generator) },
                                  failing: Self.failTopics)
    }

    public func deleteTopics(_ request: DeleteTopicsRequest, version: Int16) async -> DeleteTopicsResponse {
        let answer = await controllerCall(request, version: version, local: { await self.deleteTopicsAsController(request, version: version) },
                                          notController: { r in r.responses.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        return answer ?? failedAll(DeleteTopicsResponse(responses: request.topicNames.map { .init(name: $0) }
            + request.topics.map { .init(name: $0.name, topicID: $0.topicID) }))
    }

    func deleteTopicsAsController(_ request: DeleteTopicsRequest, version: Int16) async -> DeleteTopicsResponse? {
        await asController({ _, image in DeleteTopics.handle(request, version: version, image: image) }, failing: { response, code, message in
            for i in response.responses.indices where response.responses[i].errorCode == 0 {
                response.responses[i].errorCode = code.rawValue
                response.responses[i].errorMessage = message
            }
        })
    }

    public func createPartitions(_ request: CreatePartitionsRequest) async -> CreatePartitionsResponse {
        let answer = await controllerCall(request, version: CreatePartitionsRequest.validVersions.upperBound,
                                          local: { await self.createPartitionsAsController(request) },
                                          notController: { r in r.results.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        return answer ?? failedAll(CreatePartitionsResponse(results: request.topics.map { .init(name: $0.name) }))
    }

    func createPartitionsAsController(_ request: CreatePartitionsRequest) async -> CreatePartitionsResponse? {
        await asController({ generator, image in CreatePartitions.handle(request, image: image, generator: &generator) },
                           failing: { response, code, message in
            for i in response.results.indices where response.results[i].errorCode == 0 {
                response.results[i].errorCode = code.rawValue
                response.results[i].errorMessage = message
            }
        })
    }

    public func incrementalAlterConfigs(_ request: IncrementalAlterConfigsRequest) async -> IncrementalAlterConfigsResponse {
        let answer = await controllerCall(request, version: IncrementalAlterConfigsRequest.validVersions.upperBound,
                                          local: { await self.incrementalAlterConfigsAsController(request) },
                                          notController: { r in r.responses.contains { $0.errorCode == ErrorCode.notController.rawValue } })
        return answer ?? failedAll(IncrementalAlterConfigsResponse(responses: request.resources.map {
            .init(resourceType: $0.resourceType, resourceName: $0.resourceName)
        }))
    }

    func incrementalAlterConfigsAsController(_ request: IncrementalAlterConfigsRequest) async -> IncrementalAlterConfigsResponse? {
        await asController({ _, image in IncrementalAlterConfigs.handle(request, image: image, knownKeys: self.config.knownKeys) }, failing: { response, code, message in
            for i in response.responses.indices where response.responses[i].errorCode == 0 {
                response.responses[i].errorCode = code.rawValue
                response.responses[i].errorMessage = message
            }
        })
    }

    static func failTopics(_ response: inout CreateTopicsResponse, _ code: ErrorCode, _ message: String) {
        for i in response.topics.indices where response.topics[i].errorCode == 0 {
            response.topics[i].errorCode = code.rawValue
            response.topics[i].errorMessage = message
        }
    }

    private static let noController = "No active controller answered in time"

    private func failedAll(_ response: CreateTopicsResponse) -> CreateTopicsResponse {
        var r = response
        Self.failTopics(&r, .notController, Self.noController)
        return r
    }

    private func failedAll(_ response: DeleteTopicsResponse) -> DeleteTopicsResponse {
        var r = response
        Self.fail(&r.responses, code: \.errorCode, message: \.errorMessage)
        return r
    }

    private func failedAll(_ response: CreatePartitionsResponse) -> CreatePartitionsResponse {
        var r = response
        Self.fail(&r.results, code: \.errorCode, message: \.errorMessage)
        return r
    }

    private func failedAll(_ response: IncrementalAlterConfigsResponse) -> IncrementalAlterConfigsResponse {
        var r = response
        Self.fail(&r.responses, code: \.errorCode, message: \.errorMessage)
        return r
    }

    /// NOT_CONTROLLER on every entry of a response no controller answered.
    private static func fail<E>(_ entries: inout [E], code: WritableKeyPath<E, Int16>, message: WritableKeyPath<E, String?>) {
        for i in entries.indices {
            entries[i][keyPath: code] = ErrorCode.notController.rawValue
            entries[i][keyPath: message] = noController
        }
    }
}
