import KafkaController
import KafkaProtocol

/// UpdateFeatures: finalized feature levels (metadata.version, eligible.leader.replicas.version,
/// transaction.version) changed by the active controller, each feature decided on its own (see
/// `KafkaController.UpdateFeatures`); ALTER on the cluster. Answered once the FeatureLevelRecords are
/// committed and replayed here, so this node's ApiVersions reports the new levels at once.
struct UpdateFeaturesHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService

    func handle(_ request: UpdateFeaturesRequest, context: RequestContext) async -> UpdateFeaturesResponse? {
        guard context.authorizeCluster(.alter) else { return Self.refused }
        return await metadata.updateFeatures(request, version: context.apiVersion)
    }

    /// Without ALTER on the cluster, as Kafka: a top-level error and no per-feature results.
    static var refused: UpdateFeaturesResponse {
        MetadataService.failedUpdate(code: .clusterAuthorizationFailed, message: AuthorizationFailure.message(for: .cluster))
    }
}

/// UpdateFeatures on the controller listener, sent by a broker that forwards it or by an admin client
/// bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerUpdateFeaturesHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { UpdateFeaturesHandler.versions }

    let metadata: MetadataService

    func handle(_ request: UpdateFeaturesRequest, context: RequestContext) async -> UpdateFeaturesResponse? {
        guard context.authorizeCluster(.alter) else { return UpdateFeaturesHandler.refused }
        if let r = await metadata.updateFeaturesAsController(request, version: context.apiVersion) { return r }
        return MetadataService.failedUpdate(code: .notController, message: "This node is not the active controller")
    }
}
