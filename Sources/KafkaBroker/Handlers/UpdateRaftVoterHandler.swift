import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// UpdateRaftVoter (KIP-853), on the controller listener: a voter tells the leader its current endpoints and
/// supported kraft.version range; relayed to the quorum core like the other quorum RPCs (see `relay`).
struct UpdateRaftVoterHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.UpdateRaftVoterRequest, context: RequestContext) async -> KafkaProtocol.UpdateRaftVoterResponse? {
        await relay(RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .updateRaftVoterResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.updateRaftVoterResponse,
                    failure: { KafkaProtocol.UpdateRaftVoterResponse(errorCode: $0.rawValue) })
    }
}
