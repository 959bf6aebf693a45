import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// FetchSnapshot, on the controller listener: a replica downloads the leader's snapshot chunk by chunk.
/// Feeds the request to the quorum driver as a core message from the replica that sent it and
/// answers with the core's reply (see `relay`): INVALID_REQUEST when the request does not name
/// `__cluster_metadata-0`, REQUEST_TIMED_OUT when no answer comes in time.
struct FetchSnapshotHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.FetchSnapshotRequest, context: RequestContext) async -> KafkaProtocol.FetchSnapshotResponse? {
        await relay(try? RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .fetchSnapshotResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.fetchSnapshotResponse,
                    failure: { KafkaProtocol.FetchSnapshotResponse(errorCode: $0.rawValue) })
    }
}
