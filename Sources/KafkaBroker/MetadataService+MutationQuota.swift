import KafkaController
import KafkaMetadata
import KafkaProtocol

/// Topic mutations from clients under the controller mutation quota (KIP-599), charged here where
/// they arrive (see `ControllerMutationQuotas`), then decided by the active controller as usual.
///
/// Each topic is costed on this node's image (partitions it would create or delete; nothing when the
/// controller would refuse it), throttled topics get THROTTLING_QUOTA_EXCEEDED and are not sent on,
/// the rest go to the controller, and once it answered the charge is corrected to what was really
/// done (a topic it refused costs nothing). Strict requests (CreateTopics v6+, CreatePartitions v3+,
/// DeleteTopics v5+) throttle; older ones go ahead, are charged, and carry the throttle time.
/// validate_only requests are throttled like the real thing but charge nothing.
extension MetadataService {
    public func createTopics(_ request: CreateTopicsRequest, principal: QuotaPrincipal, strict: Bool) async -> CreateTopicsResponse {
        let config = self.config
        let (results, throttle) = await underMutationQuota(
            principal: principal, strict: strict, validateOnly: request.validateOnly, count: request.topics.count,
            costs: { MutationCosts.createTopics(request, image: $0, config: config) },
            run: { kept in
                var forwarded = request
                forwarded.topics = kept.map { request.topics[$0] }
                return await self.createTopics(forwarded).topics
            },
            refused: { i, code, message in .init(name: request.topics[i].name, errorCode: code.rawValue, errorMessage: message) },
            cost: { (result: CreateTopicsResponse.CreatableTopicResult, _) in result.errorCode == 0 ? Double(max(0, result.numPartitions)) : 0 })
        return CreateTopicsResponse(throttleTimeMs: throttle, topics: results)
    }

    public func createPartitions(_ request: CreatePartitionsRequest, principal: QuotaPrincipal, strict: Bool) async -> CreatePartitionsResponse {
        let (results, throttle) = await underMutationQuota(
            principal: principal, strict: strict, validateOnly: request.validateOnly, count: request.topics.count,
            costs: { MutationCosts.createPartitions(request, image: $0) },
            run: { kept in
                var forwarded = request
                forwarded.topics = kept.map { request.topics[$0] }
                return await self.createPartitions(forwarded).results
            },
            refused: { i, code, message in .init(name: request.topics[i].name, errorCode: code.rawValue, errorMessage: message) },
            cost: { (result: CreatePartitionsResponse.CreatePartitionsTopicResult, predicted) in result.errorCode == 0 ? predicted ?? 0 : 0 })
        return CreatePartitionsResponse(throttleTimeMs: throttle, results: results)
    }

    public func deleteTopics(_ request: DeleteTopicsRequest, version: Int16, principal: QuotaPrincipal) async -> DeleteTopicsResponse {
        let byID = version >= 6
        let (results, throttle) = await underMutationQuota(
            principal: principal, strict: version >= 5, validateOnly: false,
            count: byID ? request.topics.count : request.topicNames.count,
            costs: { MutationCosts.deleteTopics(request, version: version, image: $0) },
            run: { kept in
                var forwarded = request
                if byID { forwarded.topics = kept.map { request.topics[$0] } } else { forwarded.topicNames = kept.map { request.topicNames[$0] } }
                return await self.deleteTopics(forwarded, version: version).responses
            },
            refused: { i, code, message in
                byID ? .init(name: request.topics[i].name, topicID: request.topics[i].topicID, errorCode: code.rawValue, errorMessage: message)
                    : .init(name: request.topicNames[i], errorCode: code.rawValue, errorMessage: message)
            },
            cost: { (result: DeleteTopicsResponse.DeletableTopicResult, predicted) in result.errorCode == 0 ? predicted ?? 0 : 0 })
        return DeleteTopicsResponse(throttleTimeMs: throttle, responses: results)
    }

    /// Creates topics a Metadata request asked for, with the broker's defaults, charged to the
    /// requesting client's quota as a strict request: a topic that does not fit is not created now
    /// (THROTTLING_QUOTA_EXCEEDED in the result), and the client retries.
    public func autoCreate(_ names: [String], principal: QuotaPrincipal) async -> CreateTopicsResponse {
        var request = CreateTopicsRequest()
        request.topics = names.map { .init(name: $0, numPartitions: -1, replicationFactor: -1) }
        return await createTopics(request, principal: principal, strict: true)
    }

    /// Runs `count` entries of a request under `principal`'s quota. `costs` prices every entry on an
    /// image; `run` sends the kept entries (by index, in order) and returns their results in that order;
    /// `refused` makes the result of an entry that was not sent; `cost` is what an entry really cost
    /// given its result and its price. Returns a result per entry, in request order, and the
    /// response's throttle time.
    func underMutationQuota<Result>(
        principal: QuotaPrincipal, strict: Bool, validateOnly: Bool, count: Int,
        costs: (MetadataImage) -> [Double?],
        run: ([Int]) async -> [Result],
        refused: (Int, ErrorCode, String) -> Result,
        cost: (Result, Double?) -> Double
    ) async -> (results: [Result], throttleTimeMs: Int32) {
        let image = self.image
        guard count > 0, let quota = ControllerMutationQuotas.quota(for: principal, in: image) else {
            return (await run(Array(0..<count)), 0)
        }
        var prices = costs(image)
        prices += Array(repeating: nil, count: max(0, count - prices.count))
        let ticket = mutationQuotas.admit(prices, quota: quota, strict: strict, charge: !validateOnly, now: clock.nowMs())
        let kept = (0..<count).filter { !ticket.admission.throttled[$0] }
        let answered = kept.isEmpty ? [] : await run(kept)
        var results: [Result] = []
        var actual: [Double] = []
        var next = 0
        for i in 0..<count {
            if ticket.admission.throttled[i] {
                results.append(refused(i, .throttlingQuotaExceeded, ControllerMutationQuotas.throttledMessage(ticket)))
            } else if next < answered.count {
                results.append(answered[next])
                actual.append(cost(answered[next], prices[i]))
                next += 1
            } else {
                results.append(refused(i, .unknownServerError, "The controller did not answer for this entry"))
            }
        }
        guard !validateOnly else { return (results, ticket.admission.throttleTimeMs) }
        let after = mutationQuotas.settle(ticket, actual: actual, now: clock.nowMs())
        return (results, strict ? ticket.admission.throttleTimeMs : after)
    }
}
