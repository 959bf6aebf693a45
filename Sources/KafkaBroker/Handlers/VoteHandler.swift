import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// Vote, on the controller listener: a candidate (or pre-candidate, KIP-996) asks this voter for its vote.
/// Feeds the request to the quorum driver as a core message from the replica that sent it and
/// answers with the core's reply (see `relay`): INVALID_REQUEST when the request does not name
/// `__cluster_metadata-0`, REQUEST_TIMED_OUT when no answer comes in time.
struct VoteHandler: RequestHandler {
    /// v2 is Kafka 4.0's, carrying KIP-996 pre-votes.
    static let versions: ClosedRange<Int16> = 0...2

    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.VoteRequest, context: RequestContext) async -> KafkaProtocol.VoteResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .voteResponse(let a) = $0 { a } else { nil } }, respond: RaftWire.voteResponse,
                    failure: { KafkaProtocol.VoteResponse(errorCode: $0.rawValue) })
    }
}
