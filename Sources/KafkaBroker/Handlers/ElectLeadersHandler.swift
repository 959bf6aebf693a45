import KafkaProtocol

/// ElectLeaders: preferred or unclean leader elections (see `KafkaController.ElectLeaders`), decided
/// by the active controller. Answered by `timeoutMs` (REQUEST_TIMED_OUT otherwise; see `AdminDeadline`).
struct ElectLeadersHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let metadata: MetadataService

    func handle(_ request: ElectLeadersRequest, context: RequestContext) async -> ElectLeadersResponse? {
        let metadata = self.metadata, version = context.apiVersion
        guard context.authorizeCluster(.alter) else { return Self.refused(request) }
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await metadata.electLeaders(request, version: version)
        }, timedOut: {
            MetadataService.failedElections(request, code: .requestTimedOut, message: "The controller did not answer within \(request.timeoutMs) ms")
        })
    }

    /// Without ALTER on the cluster, as Kafka: the top-level error and every partition's.
    static func refused(_ request: ElectLeadersRequest) -> ElectLeadersResponse {
        var r = MetadataService.failedElections(request, code: .clusterAuthorizationFailed, message: AuthorizationFailure.message(for: .cluster))
        r.errorCode = ErrorCode.clusterAuthorizationFailed.rawValue
        return r
    }
}

/// ElectLeaders on the controller listener, sent by a broker that forwards it or by an admin client
/// bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerElectLeadersHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { ElectLeadersHandler.versions }

    let metadata: MetadataService

    func handle(_ request: ElectLeadersRequest, context: RequestContext) async -> ElectLeadersResponse? {
        guard context.authorizeCluster(.alter) else { return ElectLeadersHandler.refused(request) }
        if let r = await metadata.electLeadersAsController(request, version: context.apiVersion) { return r }
        return MetadataService.failedElections(request, code: .notController, message: "This node is not the active controller")
    }
}
