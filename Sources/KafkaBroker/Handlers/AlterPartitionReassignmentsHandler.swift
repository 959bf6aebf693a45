import KafkaProtocol

/// AlterPartitionReassignments (KIP-455): moves partitions to new replica sets or cancels moves (see
/// `KafkaController.AlterPartitionReassignments`), decided by the active controller; from v1 (Kafka 4.1,
/// KIP-860) a request may forbid changing a partition's replication factor (INVALID_REPLICATION_FACTOR
/// for those that would), and the answer repeats the flag. Answered by
/// `timeoutMs` (REQUEST_TIMED_OUT at the top level and on every partition otherwise, the work going on;
/// see `AdminDeadline`).
struct AlterPartitionReassignmentsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: AlterPartitionReassignmentsRequest, context: RequestContext) async -> AlterPartitionReassignmentsResponse? {
        let metadata = self.metadata
        guard context.authorizeCluster(.alter) else { return Self.refused(request) }
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await metadata.alterPartitionReassignments(request)
        }, timedOut: {
            MetadataService.failedReassignments(request, code: .requestTimedOut,
                                                message: "The controller did not answer within \(request.timeoutMs) ms")
        })
    }

    /// Without ALTER on the cluster, as Kafka: the top-level error and every partition's.
    static func refused(_ request: AlterPartitionReassignmentsRequest) -> AlterPartitionReassignmentsResponse {
        var r = MetadataService.failedReassignments(request, code: .clusterAuthorizationFailed, message: AuthorizationFailure.message(for: .cluster))
        r.errorCode = ErrorCode.clusterAuthorizationFailed.rawValue
        r.errorMessage = AuthorizationFailure.message(for: .cluster)
        return r
    }
}

/// AlterPartitionReassignments on the controller listener, sent by a broker that forwards it or by an
/// admin client bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active
/// controller.
struct ControllerAlterPartitionReassignmentsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { AlterPartitionReassignmentsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: AlterPartitionReassignmentsRequest, context: RequestContext) async -> AlterPartitionReassignmentsResponse? {
        guard context.authorizeCluster(.alter) else { return AlterPartitionReassignmentsHandler.refused(request) }
        if let r = await metadata.alterPartitionReassignmentsAsController(request) { return r }
        return MetadataService.failedReassignments(request, code: .notController, message: "This node is not the active controller")
    }
}
