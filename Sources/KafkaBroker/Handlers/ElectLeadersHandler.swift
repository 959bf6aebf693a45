import KafkaProtocol

/// ElectLeaders: preferred or unclean leader elections (see `KafkaController.ElectLeaders`), decided
/// by the active controller. Answered by `timeoutMs` (REQUEST_TIMED_OUT otherwise; see `AdminDeadline`).
struct ElectLeadersHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let metadata: MetadataService

    func handle(_ request: ElectLeadersRequest, context: RequestContext) async -> ElectLeadersResponse? {
        let metadata = self.metadata, version = context.apiVersion
        return await AdminDeadline.answer(withinMs: request.timeoutMs, clock: metadata.clock, {
            await metadata.electLeaders(request, version: version)
        }, timedOut: {
            MetadataService.failedElections(request, code: .requestTimedOut, message: "The controller did not answer within \(request.timeoutMs) ms")
        })
    }
}

/// ElectLeaders on the controller listener, sent by a broker that forwards it or by an admin client
/// bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerElectLeadersHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { ElectLeadersHandler.versions }

    let metadata: MetadataService

    func handle(_ request: ElectLeadersRequest, context: RequestContext) async -> ElectLeadersResponse? {
        if let r = await metadata.electLeadersAsController(request, version: context.apiVersion) { return r }
        return MetadataService.failedElections(request, code: .notController, message: "This node is not the active controller")
    }
}
