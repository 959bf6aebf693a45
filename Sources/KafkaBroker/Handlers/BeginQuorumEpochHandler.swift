import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// BeginQuorumEpoch, on the controller listener: a newly elected leader announces its epoch.
/// Feeds the request to the quorum driver as a core message from the replica that sent it and
/// answers with the core's reply (see `relay`): INVALID_REQUEST when the request does not name
/// `__cluster_metadata-0`, REQUEST_TIMED_OUT when no answer comes in time.
struct BeginQuorumEpochHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.BeginQuorumEpochRequest, context: RequestContext) async -> KafkaProtocol.BeginQuorumEpochResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .beginQuorumEpochResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.beginQuorumEpochResponse,
                    failure: { KafkaProtocol.BeginQuorumEpochResponse(errorCode: $0.rawValue) })
    }
}
