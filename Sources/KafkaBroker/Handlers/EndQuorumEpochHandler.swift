import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// EndQuorumEpoch, on the controller listener: a leader that resigns asks the voters to elect another.
/// Feeds the request to the quorum driver as a core message from the replica that sent it and
/// answers with the core's reply (see `relay`): INVALID_REQUEST when the request does not name
/// `__cluster_metadata-0`, REQUEST_TIMED_OUT when no answer comes in time.
struct EndQuorumEpochHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.EndQuorumEpochRequest, context: RequestContext) async -> KafkaProtocol.EndQuorumEpochResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .endQuorumEpochResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.endQuorumEpochResponse,
                    failure: { KafkaProtocol.EndQuorumEpochResponse(errorCode: $0.rawValue) })
    }
}
