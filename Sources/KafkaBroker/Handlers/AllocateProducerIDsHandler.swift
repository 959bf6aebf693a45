import KafkaProtocol

/// AllocateProducerIds, on the controller listener: a broker reserves the next block of producer ids; answered
/// by the active controller, NOT_CONTROLLER from any other node.
struct AllocateProducerIDsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService

    func handle(_ request: AllocateProducerIdsRequest, context: RequestContext) async -> AllocateProducerIdsResponse? {
        // Only brokers send it: CLUSTER_ACTION on the cluster.
        guard context.authorizeCluster(.clusterAction) else { return AllocateProducerIdsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue) }
        return await metadata.handleAllocateProducerIDs(request) ?? AllocateProducerIdsResponse(errorCode: ErrorCode.notController.rawValue)
    }
}
