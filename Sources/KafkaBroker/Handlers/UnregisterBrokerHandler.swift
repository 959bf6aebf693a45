import KafkaController
import KafkaProtocol

/// UnregisterBroker: the active controller removes a broker's registration (see
/// `KafkaController.UnregisterBroker`; BROKER_ID_NOT_REGISTERED for an unknown id); ALTER on the
/// cluster. Answered once the UnregisterBrokerRecord is committed and replayed here, so this node's
/// Metadata and DescribeCluster no longer list the broker. As in Kafka, errors carry a code only.
struct UnregisterBrokerHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService

    func handle(_ request: UnregisterBrokerRequest, context: RequestContext) async -> UnregisterBrokerResponse? {
        guard context.authorizeCluster(.alter) else { return Self.refused }
        return await metadata.unregisterBroker(request)
    }

    static var refused: UnregisterBrokerResponse { UnregisterBrokerResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue) }
}

/// UnregisterBroker on the controller listener, sent by a broker that forwards it or by an admin client
/// bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerUnregisterBrokerHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { UnregisterBrokerHandler.versions }

    let metadata: MetadataService

    func handle(_ request: UnregisterBrokerRequest, context: RequestContext) async -> UnregisterBrokerResponse? {
        guard context.authorizeCluster(.alter) else { return UnregisterBrokerHandler.refused }
        if let r = await metadata.unregisterBrokerAsController(request) { return r }
        return UnregisterBrokerResponse(errorCode: ErrorCode.notController.rawValue)
    }
}
