import KafkaController
import KafkaProtocol

/// UnregisterBroker: decided by the active controller (`KafkaController.UnregisterBroker`), forwarded
/// there from any other node, answered once the records are committed and, on the node that
/// forwarded it, replayed here too (read your writes: this node's Metadata and DescribeCluster no
/// longer list the broker; waits at most 5 s).
extension MetadataService {
    public func unregisterBroker(_ request: UnregisterBrokerRequest) async -> UnregisterBrokerResponse {
        let before = image.brokers[request.brokerID]?.epoch
        let answer = await controllerCall(request, version: UnregisterBrokerRequest.validVersions.upperBound,
                                          local: { await self.unregisterBrokerAsController(request) },
                                          notController: { $0.errorCode == ErrorCode.notController.rawValue })
        guard let answer else { return UnregisterBrokerResponse(errorCode: ErrorCode.notController.rawValue) }
        if answer.errorCode == 0, let before {
            // Gone, or registered again (a node still running does so at its next heartbeat).
            let id = request.brokerID
            _ = await publication.wait(until: { $0.image.brokers[id]?.epoch != before }, deadlineMs: clock.nowMs() + 5_000)
        }
        return answer
    }

    /// nil when this node is not the active controller.
    func unregisterBrokerAsController(_ request: UnregisterBrokerRequest) async -> UnregisterBrokerResponse? {
        let unclean = UncleanLeaderElection(config)
        let response = await asController({ _, image in UnregisterBroker.handle(request, image: image, unclean: unclean) },
                                          failing: { response, code, _ in response.errorCode = code.rawValue })
        if response?.errorCode == 0 {
            sessions.forget(request.brokerID)
            logger.info("unregistered a broker", metadata: ["kafka.broker": "\(request.brokerID)"])
        }
        return response
    }
}
