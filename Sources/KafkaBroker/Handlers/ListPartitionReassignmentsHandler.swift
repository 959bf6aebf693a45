import KafkaProtocol

/// ListPartitionReassignments (KIP-455): the reassignments in progress (see
/// `KafkaController.ListPartitionReassignments`), as the active controller's image holds them.
struct ListPartitionReassignmentsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService

    func handle(_ request: ListPartitionReassignmentsRequest, context: RequestContext) async -> ListPartitionReassignmentsResponse? {
        guard context.authorizeCluster(.describe) else { return Self.refused }
        return await metadata.listPartitionReassignments(request)
    }

    /// Without DESCRIBE on the cluster.
    static let refused = ListPartitionReassignmentsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue,
                                                            errorMessage: AuthorizationFailure.message(for: .cluster))
}

/// ListPartitionReassignments on the controller listener (forwarded by a broker, or from an admin client
/// bootstrapped with `--bootstrap-controller`): NOT_CONTROLLER unless this node is the active controller.
struct ControllerListPartitionReassignmentsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { ListPartitionReassignmentsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: ListPartitionReassignmentsRequest, context: RequestContext) async -> ListPartitionReassignmentsResponse? {
        guard context.authorizeCluster(.describe) else { return ListPartitionReassignmentsHandler.refused }
        if let r = await metadata.listPartitionReassignmentsAsController(request) { return r }
        return ListPartitionReassignmentsResponse(errorCode: ErrorCode.notController.rawValue, errorMessage: "This node is not the active controller")
    }
}
