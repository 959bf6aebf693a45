import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// Feeds a quorum request (already read as `inbound`: sender and core message) to the core and turns
/// its answer into the wire response: INVALID_REQUEST when the request could not be read,
/// REQUEST_TIMED_OUT when the core gave no answer of the expected kind in time. Only the quorum's
/// members send these: the principal needs CLUSTER_ACTION on the cluster, else
/// CLUSTER_AUTHORIZATION_FAILED and the core never sees the request.
func relay<Answer, Response>(_ inbound: (source: Int32, message: RaftMessage)?, to quorum: QuorumDriver, context: RequestContext,
                             timeoutMs: Int64 = 5_000, answer: (RaftMessage) -> Answer?, respond: (Answer) -> Response,
                             failure: (ErrorCode) -> Response) async -> Response {
    guard context.authorizeCluster(.clusterAction) else { return failure(.clusterAuthorizationFailed) }
    guard let inbound else { return failure(.invalidRequest) }
    guard let reply = await quorum.receive(source: inbound.source, correlationID: context.correlationID, message: inbound.message,
                                           timeoutMs: timeoutMs),
          let answered = answer(reply) else { return failure(.requestTimedOut) }
    return respond(answered)
}
