import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// The quorum RPCs on the controller listener: each request becomes a core message from the replica
/// that sent it, the driver feeds it to the core and the core's answer goes back. A request that does
/// not name `__cluster_metadata-0` gets INVALID_REQUEST; no answer in time gets REQUEST_TIMED_OUT.
struct VoteHandler: RequestHandler {
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.VoteRequest, context: RequestContext) async -> KafkaProtocol.VoteResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .voteResponse(let a) = $0 { a } else { nil } }, respond: RaftWire.voteResponse,
                    failure: { KafkaProtocol.VoteResponse(errorCode: $0.rawValue) })
    }
}

struct BeginQuorumEpochHandler: RequestHandler {
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.BeginQuorumEpochRequest, context: RequestContext) async -> KafkaProtocol.BeginQuorumEpochResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .beginQuorumEpochResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.beginQuorumEpochResponse,
                    failure: { KafkaProtocol.BeginQuorumEpochResponse(errorCode: $0.rawValue) })
    }
}

struct EndQuorumEpochHandler: RequestHandler {
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.EndQuorumEpochRequest, context: RequestContext) async -> KafkaProtocol.EndQuorumEpochResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .endQuorumEpochResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.endQuorumEpochResponse,
                    failure: { KafkaProtocol.EndQuorumEpochResponse(errorCode: $0.rawValue) })
    }
}

/// Feeds a quorum request (already read as `inbound`: sender and core message) to the core and turns
/// its answer into the wire response: INVALID_REQUEST when the request could not be read,
/// REQUEST_TIMED_OUT when the core gave no answer of the expected kind in time.
func relay<Answer, Response>(_ inbound: (source: Int32, message: RaftMessage)?, to quorum: QuorumDriver, context: RequestContext,
                             timeoutMs: Int64 = 5_000, answer: (RaftMessage) -> Answer?, respond: (Answer) -> Response,
                             failure: (ErrorCode) -> Response) async -> Response {
    guard let inbound else { return failure(.invalidRequest) }
    guard let reply = await quorum.receive(source: inbound.source, correlationID: context.correlationID, message: inbound.message,
                                           timeoutMs: timeoutMs),
          let answered = answer(reply) else { return failure(.requestTimedOut) }
    return respond(answered)
}

/// Fetch on the controller listener: replicas pulling `__cluster_metadata` from the leader.
struct QuorumFetchHandler: RequestHandler {
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.FetchRequest, context: RequestContext) async -> KafkaProtocol.FetchResponse? {
        guard let (source, message) = try? RaftWire.inbound(request, version: context.apiVersion) else {
            return RaftWire.fetchError(.invalidRequest)
        }
        let wait = Int64(max(0, request.maxWaitMs)) + 5_000
        guard case .fetchResponse(let answer)? = await quorum.receive(source: source, correlationID: context.correlationID,
                                                                      message: message, timeoutMs: wait) else {
            return RaftWire.fetchError(RaftErrorCode(rawValue: ErrorCode.requestTimedOut.rawValue))
        }
        do {
            var response = try quorum.fetchResponse(answer)
            if context.apiVersion < 12 {
                // The leader, diverging epoch and snapshot id are tagged fields of v12+; older fetchers
                // learn them from the error code and fetch again.
                for t in response.responses.indices {
                    for p in response.responses[t].partitions.indices {
                        response.responses[t].partitions[p].divergingEpoch = .init()
                        response.responses[t].partitions[p].currentLeader = .init()
                        response.responses[t].partitions[p].snapshotID = .init()
                    }
                }
            }
            return response
        } catch {
            context.logger.error("could not encode metadata log entries", metadata: ["error": "\(error)"])
            return RaftWire.fetchError(RaftErrorCode(rawValue: ErrorCode.unknownServerError.rawValue))
        }
    }
}

/// FetchSnapshot: a replica downloading the leader's snapshot chunk by chunk.
struct FetchSnapshotHandler: RequestHandler {
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.FetchSnapshotRequest, context: RequestContext) async -> KafkaProtocol.FetchSnapshotResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .fetchSnapshotResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.fetchSnapshotResponse,
                    failure: { KafkaProtocol.FetchSnapshotResponse(errorCode: $0.rawValue) })
    }
}

/// BrokerRegistration, BrokerHeartbeat and AllocateProducerIds: answered by the active controller only.
struct BrokerRegistrationHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: BrokerRegistrationRequest, context: RequestContext) async -> BrokerRegistrationResponse? {
        await metadata.handleBrokerRegistration(request) ?? BrokerRegistrationResponse(errorCode: ErrorCode.notController.rawValue)
    }
}

struct BrokerHeartbeatHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: BrokerHeartbeatRequest, context: RequestContext) async -> BrokerHeartbeatResponse? {
        await metadata.handleBrokerHeartbeat(request) ?? BrokerHeartbeatResponse(errorCode: ErrorCode.notController.rawValue)
    }
}

struct AllocateProducerIDsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: AllocateProducerIdsRequest, context: RequestContext) async -> AllocateProducerIdsResponse? {
        await metadata.handleAllocateProducerIDs(request) ?? AllocateProducerIdsResponse(errorCode: ErrorCode.notController.rawValue)
    }
}

/// Topic administration sent straight to the controller listener (by a forwarding broker, or by an
/// admin client bootstrapped with `--bootstrap-controller`): NOT_CONTROLLER unless this node is active.
struct ControllerCreateTopicsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        if let r = await metadata.createTopicsAsController(request) { return r }
        var r = CreateTopicsResponse(topics: request.topics.map { .init(name: $0.name) })
        MetadataService.failTopics(&r, .notController, "This node is not the active controller")
        return r
    }
}

struct ControllerDeleteTopicsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: DeleteTopicsRequest, context: RequestContext) async -> DeleteTopicsResponse? {
        if let r = await metadata.deleteTopicsAsController(request, version: context.apiVersion) { return r }
        let names = request.topicNames.map { DeleteTopicsResponse.DeletableTopicResult(name: $0) }
            + request.topics.map { DeleteTopicsResponse.DeletableTopicResult(name: $0.name, topicID: $0.topicID) }
        return DeleteTopicsResponse(responses: names.map { var t = $0; t.errorCode = ErrorCode.notController.rawValue; return t })
    }
}

struct ControllerCreatePartitionsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: CreatePartitionsRequest, context: RequestContext) async -> CreatePartitionsResponse? {
        if let r = await metadata.createPartitionsAsController(request) { return r }
        return CreatePartitionsResponse(results: request.topics.map { .init(name: $0.name, errorCode: ErrorCode.notController.rawValue) })
    }
}

struct ControllerIncrementalAlterConfigsHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: IncrementalAlterConfigsRequest, context: RequestContext) async -> IncrementalAlterConfigsResponse? {
        if let r = await metadata.incrementalAlterConfigsAsController(request) { return r }
        return IncrementalAlterConfigsResponse(responses: request.resources.map {
            .init(errorCode: ErrorCode.notController.rawValue, resourceType: $0.resourceType, resourceName: $0.resourceName)
        })
    }
}
