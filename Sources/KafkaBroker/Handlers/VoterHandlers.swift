import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// KIP-853's voter changes. AddRaftVoter and RemoveRaftVoter come from admin clients: the quorum
/// leader decides them (the answer comes once the new voter set commits); another node forwards them to
/// the leader's controller listener. UpdateRaftVoter comes from a voter to the leader.
struct AddRaftVoterHandler: RequestHandler {
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

struct RemoveRaftVoterHandler: RequestHandler {
    let metadata: MetadataService
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.RemoveRaftVoterRequest, context: RequestContext) async -> KafkaProtocol.RemoveRaftVoterResponse? {
        let quorum = self.quorum
        let answer = await metadata.controllerCall(request, version: context.apiVersion, timeoutMs: 10_000, local: {
            guard case .removeRaftVoterResponse(let r)? = await quorum.receiveAdmin(RaftWire.inbound(request), timeoutMs: 10_000) else { return nil }
            return RaftWire.removeRaftVoterResponse(r)
        }, notController: { $0.errorCode == ErrorCode.notLeaderOrFollower.rawValue })
        return answer ?? KafkaProtocol.RemoveRaftVoterResponse(errorCode: ErrorCode.requestTimedOut.rawValue,
                                                               errorMessage: "No quorum leader answered in time")
    }
}

struct UpdateRaftVoterHandler: RequestHandler {
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.UpdateRaftVoterRequest, context: RequestContext) async -> KafkaProtocol.UpdateRaftVoterResponse? {
        await relay(RaftWire.inbound(request), to: quorum, context: context,
                    answer: { if case .updateRaftVoterResponse(let a) = $0 { a } else { nil } },
                    respond: RaftWire.updateRaftVoterResponse,
                    failure: { KafkaProtocol.UpdateRaftVoterResponse(errorCode: $0.rawValue) })
    }
}
