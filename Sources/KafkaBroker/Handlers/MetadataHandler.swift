import KafkaController
import KafkaMetadata
import KafkaProtocol
import StromConfig

/// Metadata: brokers on the listener the client used, the cluster id, the controller, and
/// topics with their partitions' leaders, replicas and ISR.
///
/// Which topics: v0 with an empty list means all; v1+ uses null for all and empty for none; v10+
/// entries may name a topic by id. Unknown topics are created with the broker's defaults when
/// `auto.create.topics.enable` is on and the request allows it (v4+ asks; older versions always
/// allow), otherwise UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID for ids). A partition without a
/// live leader reports LEADER_NOT_AVAILABLE. Auto-creation is charged to the client's controller mutation
/// quota; a topic it cannot create yet is LEADER_NOT_AVAILABLE, which clients retry. A missing
/// `__consumer_offsets` is created as the group coordinator needs it (`InternalTopicCreator`), not
/// with the defaults, and is UNKNOWN_TOPIC_OR_PARTITION meanwhile.
///
/// Authorization, as Kafka's: a topic the principal may not DESCRIBE is left out of an all-topics
/// answer and is TOPIC_AUTHORIZATION_FAILED when asked for (before anything says whether it exists);
/// auto-creation needs CREATE on the cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED. The
/// authorized-operations fields say what the principal may do.
///
/// v13 (Kafka 4.0, KIP-1102) adds a top-level ErrorCode, which a broker sets only to
/// REBOOTSTRAP_REQUIRED to send a client back to its bootstrap servers; Kafka's brokers never do, and
/// neither does Strom (the answer's brokers are always this cluster's), so it is 0.
struct MetadataHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...13

    let metadata: MetadataService
    let config: ServerConfig
    let offsetsTopic: InternalTopicCreator

    func handle(_ request: MetadataRequest, context: RequestContext) async -> MetadataResponse? {
        var image = metadata.image
        let v = context.apiVersion
        let all = request.topics == nil || (v == 0 && request.topics?.isEmpty == true)
        let allowAuto = config.autoCreateTopicsEnable && (v < 4 || request.allowAutoTopicCreation)

        // Asked-for names the principal may not describe, and missing ones it may not create.
        let askedNames = all ? [] : (request.topics ?? []).compactMap(\.name)
        let describable = context.authorizedNames(.describe, .topic, askedNames)
        var refused = Set(askedNames).subtracting(describable)
        var throttled: Set<String> = []
        if !all, allowAuto {
            var missing = askedNames.filter { describable.contains($0) && image.topic(named: $0) == nil && TopicName.problem(with: $0) == nil }
            if !missing.isEmpty && !context.authorizeCluster(.create, logIfDenied: false) {
                let creatable = context.authorizedNames(.create, .topic, missing)
                refused.formUnion(missing.filter { !creatable.contains($0) })
                missing.removeAll { !creatable.contains($0) }
            }
            if missing.contains(ConsumerOffsetsLog.topic) {
                missing.removeAll { $0 == ConsumerOffsetsLog.topic }
                offsetsTopic.requestCreation()
            }
            if !missing.isEmpty {
                let created = await metadata.autoCreate(Array(Set(missing)).sorted(), principal: context.quotaPrincipal)
                // Throttled, or created (or already created) but not yet replayed here: LEADER_NOT_AVAILABLE,
                // which clients retry, as Kafka answers a topic whose creation is under way.
                let pending: Set<Int16> = [ErrorCode.throttlingQuotaExceeded.rawValue, 0, ErrorCode.topicAlreadyExists.rawValue]
                throttled = Set(created.topics.filter { pending.contains($0.errorCode) }.map(\.name))
                for failure in created.topics where failure.errorCode != 0 && failure.errorCode != ErrorCode.topicAlreadyExists.rawValue {
                    context.logger.info("auto-creating a topic failed", metadata: [
                        "kafka.topic": "\(failure.name)", "kafka.error": "\(ErrorCode(rawValue: failure.errorCode))",
                    ])
                }
                image = metadata.image
            }
        }

        var response = MetadataResponse()
        response.clusterID = metadata.clusterID
        response.controllerID = metadata.controllerIDForClients
        response.brokers = image.activeBrokers.compactMap { b in
            guard let e = b.endpoint(named: context.listenerName) ?? b.endpoints.first else { return nil }
            return .init(nodeID: b.id, host: e.host, port: Int32(e.port), rack: b.rack)
        }
        if v >= 8 && v <= 10 && request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = context.clusterAuthorizedOperations()
        }
        let includeTopicOps = v >= 8 && request.includeTopicAuthorizedOperations
        if all {
            for name in image.topicNames where context.authorize(.describe, .topic, name, logIfDenied: false) {
                response.topics.append(describe(image.topic(named: name)!, image: image, version: v, includeOps: includeTopicOps, context: context))
            }
        } else {
            for wanted in request.topics ?? [] {
                if let name = wanted.name {
                    if refused.contains(name) {
                        response.topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: name, isInternal: false))
                    } else if let topic = image.topic(named: name) {
                        response.topics.append(describe(topic, image: image, version: v, includeOps: includeTopicOps, context: context))
                    } else {
                        let code: ErrorCode = throttled.contains(name) ? .leaderNotAvailable
                            : TopicName.problem(with: name) == nil ? .unknownTopicOrPartition : .invalidTopicException
                        response.topics.append(.init(errorCode: code.rawValue, name: name))
                    }
                } else if let topic = image.topic(id: wanted.topicID) {
                    if context.authorize(.describe, .topic, topic.name) {
                        response.topics.append(describe(topic, image: image, version: v, includeOps: includeTopicOps, context: context))
                    } else {
                        // Topic ids are not secret: Kafka says the id is refused, without its name.
                        response.topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: v >= 12 ? nil : "",
                                                     topicID: topic.id))
                    }
                } else {
                    // Names become nullable in responses only from v12; earlier versions say "".
                    response.topics.append(.init(errorCode: ErrorCode.unknownTopicID.rawValue, name: v >= 12 ? nil : "", topicID: wanted.topicID))
                }
            }
        }
        return response
    }

    /// Each partition as Kafka's KRaft metadata cache describes it: the leader only while its broker is
    /// registered and unfenced (else -1 and LEADER_NOT_AVAILABLE), the leader epoch, replicas and ISR as
    /// recorded, and as offline the replicas on brokers fenced or not registered. v0 lists only the
    /// replicas and ISR members on live brokers, with REPLICA_NOT_AVAILABLE when that leaves some out.
    private func describe(_ topic: TopicImage, image: MetadataImage, version: Int16, includeOps: Bool,
                          context: RequestContext) -> MetadataResponse.MetadataResponseTopic {
        var t = MetadataResponse.MetadataResponseTopic(
            errorCode: 0, name: topic.name, topicID: topic.id, isInternal: TopicName.internalTopics.contains(topic.name)
        )
        t.partitions = topic.partitionIndexes.map { index in
            let p = topic.partitions[index]!
            let replicas = version == 0 ? p.replicas.filter(image.isLive) : p.replicas
            let isr = version == 0 ? p.isr.filter(image.isLive) : p.isr
            let leader = image.liveLeader(of: p)
            let code: ErrorCode = leader < 0 ? .leaderNotAvailable
                : replicas.count < p.replicas.count || isr.count < p.isr.count ? .replicaNotAvailable : .noError
            return .init(
                errorCode: code.rawValue, partitionIndex: index, leaderID: leader, leaderEpoch: p.leaderEpoch,
                replicaNodes: replicas, isrNodes: isr, offlineReplicas: image.offlineReplicas(of: p)
            )
        }
        if includeOps { t.topicAuthorizedOperations = context.authorizedOperations(.topic, topic.name) }
        return t
    }
}
