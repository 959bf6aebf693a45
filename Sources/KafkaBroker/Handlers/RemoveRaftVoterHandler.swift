import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// RemoveRaftVoter (KIP-853): removes a voter from the KRaft quorum. Sent by admin clients to either listener: the
/// quorum leader decides it (the answer comes once the new voter set commits); another node forwards it
/// to the leader's controller listener. No answer in time is REQUEST_TIMED_OUT.
struct RemoveRaftVoterHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.RemoveRaftVoterRequest, context: RequestContext) async -> KafkaProtocol.RemoveRaftVoterResponse? {
        guard metadata.config.mayAdministerSecurity(context) else {
            return KafkaProtocol.RemoveRaftVoterResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue,
                                                         errorMessage: context.authorizer != nil ? AuthorizationFailure.message(for: .cluster)
                                                            : "Only super.users may change the quorum's voters")
        }
        let quorum = self.quorum
        let answer = await metadata.controllerCall(request, version: context.apiVersion, timeoutMs: 10_000, local: {
            guard case .removeRaftVoterResponse(let r)? = await quorum.receiveAdmin(RaftWire.inbound(request), timeoutMs: 10_000) else { return nil }
            return RaftWire.removeRaftVoterResponse(r)
        }, notController: { $0.errorCode == ErrorCode.notLeaderOrFollower.rawValue })
        return answer ?? KafkaProtocol.RemoveRaftVoterResponse(errorCode: ErrorCode.requestTimedOut.rawValue,
                                                               errorMessage: "No quorum leader answered in time")
    }
}
