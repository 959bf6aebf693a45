import KafkaProtocol

/// BrokerHeartbeat, on the controller listener: a registered broker keeps its session and learns whether it
/// is fenced; answered by the active controller, NOT_CONTROLLER from any other node.
struct BrokerHeartbeatHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: BrokerHeartbeatRequest, context: RequestContext) async -> BrokerHeartbeatResponse? {
        // Only brokers send it: CLUSTER_ACTION on the cluster.
        guard context.authorizeCluster(.clusterAction) else { return BrokerHeartbeatResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue) }
        return await metadata.handleBrokerHeartbeat(request) ?? BrokerHeartbeatResponse(errorCode: ErrorCode.notController.rawValue)
    }
}
