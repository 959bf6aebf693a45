import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// AddRaftVoter (KIP-853): adds a voter to the KRaft quorum. Sent by admin clients to either listener: the
/// quorum leader decides it (the answer comes once the new voter set commits); another node forwards it
/// to the leader's controller listener. No answer in time is REQUEST_TIMED_OUT.
struct AddRaftVoterHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.AddRaftVoterRequest, context: RequestContext) async -> KafkaProtocol.AddRaftVoterResponse? {
        let quorum = self.quorum
        let timeout = Int64(max(request.timeoutMs, 1_000)) + 1_000
        let answer = await metadata.controllerCall(request, version: context.apiVersion, timeoutMs: timeout, local: {
            guard case .addRaftVoterResponse(let r)? = await quorum.receiveAdmin(RaftWire.inbound(request), timeoutMs: timeout) else { return nil }
            return RaftWire.addRaftVoterResponse(r)
        }, notController: { $0.errorCode == ErrorCode.notLeaderOrFollower.rawValue })
        return answer ?? KafkaProtocol.AddRaftVoterResponse(errorCode: ErrorCode.requestTimedOut.rawValue,
                                                            errorMessage: "No quorum leader answered in time")
    }
}
