import KafkaMetadata
import KafkaProtocol

/// Produce v13 (Kafka 4.1, KIP-516) names each topic by id, in the request and the answer. As Kafka
/// does, the transactional id is checked first (its refusal names every topic as the request did),
/// then each id is resolved to its topic's name in this node's metadata: an id no topic has is
/// UNKNOWN_TOPIC_ID for each of its partitions, and the others are produced as by name.
extension ProduceHandler {
    /// Nil when the connection closes instead of answering (see `produce`).
    func produceNamingTopics(_ request: ProduceRequest, context: RequestContext) async -> ProduceResponse? {
        let byID = context.apiVersion >= 13
        // Answered in the request's turn, so the connection's release stays in request order.
        if let refused = Self.transactionalRefusal(request, context: context, byID: byID) {
            return await inTurn(refused, acks: request.acks, context: context)
        }
        guard byID else { return await produce(request, context: context) }
        let image = metadata.image
        var named = request
        var unknown: [ProduceRequest.TopicProduceData] = []
        var ids: [String: KafkaUUID] = [:]
        named.topicData = request.topicData.compactMap { topic in
            guard let name = image.topic(id: topic.topicID)?.name else {
                unknown.append(topic)
                return nil
            }
            ids[name] = topic.topicID
            var t = topic
            t.name = name
            return t
        }
        var response: ProduceResponse
        if named.topicData.isEmpty {
            guard let inTurn = await inTurn(ProduceResponse(), acks: request.acks, context: context) else { return nil }
            response = inTurn
        } else {
            // acks=0: an unknown id closes the connection, and before the requests read after this one
            // may append (the known topics' records are written first, as Kafka does).
            let refused = unknown.first.flatMap { t in
                t.partitionData.first.map { "acks=0 produce to \(t.topicID)-\($0.index) failed: \(ErrorCode.unknownTopicID)" }
            }
            guard let produced = await produce(named, context: context, refusedByCaller: refused) else { return nil }
            response = produced
        }
        for i in response.responses.indices {
            response.responses[i].topicID = ids[response.responses[i].name] ?? .zero
            response.responses[i].name = ""
        }
        response.responses = Self.failed(unknown, .unknownTopicID, byID: true) + response.responses
        return response
    }

    /// Transactional records without a transactional id the principal may WRITE: every partition is
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED. Nil when the request may go on.
    static func transactionalRefusal(_ request: ProduceRequest, context: RequestContext, byID: Bool) -> ProduceResponse? {
        guard request.topicData.contains(where: { $0.partitionData.contains { isTransactional($0.records) } }) else { return nil }
        if let id = request.transactionalID, context.authorize(.write, .transactionalId, id) { return nil }
        if request.transactionalID == nil {
            context.logger.info("refused transactional records in a Produce request without a transactional id")
        }
        return ProduceResponse(responses: failed(request.topicData, .transactionalIDAuthorizationFailed, byID: byID))
    }

    /// Every partition of `topics` with `code`, the topics named by id when `byID` (v13), else by name.
    static func failed(_ topics: [ProduceRequest.TopicProduceData], _ code: ErrorCode, byID: Bool) -> [ProduceResponse.TopicProduceResponse] {
        topics.map { t in
            .init(name: byID ? "" : t.name, topicID: byID ? t.topicID : .zero, partitionResponses: t.partitionData.map {
                .init(index: $0.index, errorCode: code.rawValue, baseOffset: -1)
            })
        }
    }
}
