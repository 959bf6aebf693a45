import KafkaProtocol

/// AlterPartition, on the controller listener: a partition leader changes its ISR (see
/// `KafkaController.AlterPartition`); answered by the active controller, NOT_CONTROLLER from any other node.
struct AlterPartitionHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...3

    let metadata: MetadataService

    func handle(_ request: AlterPartitionRequest, context: RequestContext) async -> AlterPartitionResponse? {
        // Only brokers send it: CLUSTER_ACTION on the cluster.
        guard context.authorizeCluster(.clusterAction) else { return AlterPartitionResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue) }
        return await metadata.alterPartitionAsController(request, version: context.apiVersion)
            ?? AlterPartitionResponse(errorCode: ErrorCode.notController.rawValue)
    }
}
