import KafkaProtocol

/// BrokerRegistration, on the controller listener: a broker registers its endpoints and supported features
/// with the active controller (see `BrokerLifecycle`); NOT_CONTROLLER from any other node.
struct BrokerRegistrationHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let metadata: MetadataService

    func handle(_ request: BrokerRegistrationRequest, context: RequestContext) async -> BrokerRegistrationResponse? {
        // Only brokers send it: CLUSTER_ACTION on the cluster.
        guard context.authorizeCluster(.clusterAction) else { return BrokerRegistrationResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue) }
        return await metadata.handleBrokerRegistration(request) ?? BrokerRegistrationResponse(errorCode: ErrorCode.notController.rawValue)
    }
}
