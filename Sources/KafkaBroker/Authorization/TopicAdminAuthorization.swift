import KafkaMetadata
import KafkaProtocol

/// The checks Kafka's controller (`ControllerApis`) makes on topic administration, for the client
/// listener (the principal is the client's) and the controller listener (a forwarding broker's, or an
/// admin client's with `--bootstrap-controller`). Each splits a request into what may go on to the
/// controller and the answers for what may not.
enum TopicAdminAuthorization {
    // MARK: CreateTopics

    /// CREATE on the cluster allows every topic; otherwise CREATE on each topic, else
    /// TOPIC_AUTHORIZATION_FAILED. A created topic's configs are returned only with DESCRIBE_CONFIGS on
    /// it (else its `topicConfigErrorCode` is TOPIC_AUTHORIZATION_FAILED).
    static func createTopics(_ request: CreateTopicsRequest, context: RequestContext,
                             decide: (CreateTopicsRequest) async -> CreateTopicsResponse) async -> CreateTopicsResponse {
        guard context.authorizer != nil else { return await decide(request) }
        let names = request.topics.map(\.name)
        let creatable = context.authorizeCluster(.create, logIfDenied: false) ? Set(names) : context.authorizedNames(.create, .topic, names)
        var allowed = request
        allowed.topics = request.topics.filter { creatable.contains($0.name) }
        var response = allowed.topics.isEmpty ? CreateTopicsResponse() : await decide(allowed)
        let configsVisible = context.authorizedNames(.describeConfigs, .topic, creatable, logIfDenied: false)
        for i in response.topics.indices where response.topics[i].errorCode == 0 && !configsVisible.contains(response.topics[i].name) {
            response.topics[i].topicConfigErrorCode = ErrorCode.topicAuthorizationFailed.rawValue
            response.topics[i].configs = []
            response.topics[i].numPartitions = -1
            response.topics[i].replicationFactor = -1
        }
        for name in names where !creatable.contains(name) {
            response.topics.append(.init(name: name, errorCode: ErrorCode.topicAuthorizationFailed.rawValue,
                                         errorMessage: "Authorization failed."))
        }
        return response
    }

    // MARK: DeleteTopics

    /// DELETE on the cluster allows every topic. Otherwise, as Kafka's controller: a topic named that the
    /// principal may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED (whether it exists is not said); one it
    /// may describe goes on if it does not exist (UNKNOWN_TOPIC_OR_PARTITION follows) or it may DELETE
    /// it, else TOPIC_AUTHORIZATION_FAILED. A topic given by id needs DELETE, else
    /// TOPIC_AUTHORIZATION_FAILED, with its name only when the principal may describe it.
    static func deleteTopics(_ request: DeleteTopicsRequest, version: Int16, image: MetadataImage, context: RequestContext,
                             decide: (DeleteTopicsRequest) async -> DeleteTopicsResponse) async -> DeleteTopicsResponse {
        guard context.authorizer != nil, !context.authorizeCluster(.delete, logIfDenied: false) else { return await decide(request) }
        typealias Result = DeleteTopicsResponse.DeletableTopicResult
        var refused: [Result] = []
        func refuse(_ name: String?, _ id: KafkaUUID) {
            refused.append(Result(name: name, topicID: id, errorCode: ErrorCode.topicAuthorizationFailed.rawValue,
                                  errorMessage: AuthorizationFailure.message(for: .topic)))
        }
        func allowedName(_ name: String, id: KafkaUUID?) -> Bool {
            let describable = context.authorize(.describe, .topic, name)
            if id == nil {
                guard describable else { refuse(name, .zero); return false }
                if image.topic(named: name) == nil { return true }
            }
            guard context.authorize(.delete, .topic, name) else { refuse(describable ? name : nil, id ?? .zero); return false }
            return true
        }
        var allowed = request
        if version < 6 {
            allowed.topicNames = request.topicNames.filter { allowedName($0, id: nil) }
        } else {
            allowed.topics = request.topics.filter { state in
                if let name = state.name { return allowedName(name, id: nil) }
                // An id no topic has stays in the request: the controller answers UNKNOWN_TOPIC_ID for it.
                guard let topic = image.topic(id: state.topicID) else { return true }
                return allowedName(topic.name, id: state.topicID)
            }
        }
        var response = allowed.topicNames.isEmpty && allowed.topics.isEmpty ? DeleteTopicsResponse() : await decide(allowed)
        response.responses += refused
        return response
    }

    // MARK: CreatePartitions

    /// ALTER on the cluster allows every topic; otherwise ALTER on each topic, else
    /// TOPIC_AUTHORIZATION_FAILED.
    static func createPartitions(_ request: CreatePartitionsRequest, context: RequestContext,
                                 decide: (CreatePartitionsRequest) async -> CreatePartitionsResponse) async -> CreatePartitionsResponse {
        guard context.authorizer != nil else { return await decide(request) }
        let names = request.topics.map(\.name)
        let alterable = context.authorizeCluster(.alter, logIfDenied: false) ? Set(names) : context.authorizedNames(.alter, .topic, names)
        var allowed = request
        allowed.topics = request.topics.filter { alterable.contains($0.name) }
        var response = allowed.topics.isEmpty ? CreatePartitionsResponse() : await decide(allowed)
        for name in names where !alterable.contains(name) {
            response.results.append(.init(name: name, errorCode: ErrorCode.topicAuthorizationFailed.rawValue, errorMessage: nil))
        }
        return response
    }
}
