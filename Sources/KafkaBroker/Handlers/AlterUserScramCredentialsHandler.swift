import KafkaController
import KafkaProtocol

/// AlterUserScramCredentials: decided by the active controller, committed before the answer (see
/// `AlterUserScramCredentials`).
struct AlterUserScramCredentialsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...0

    let metadata: MetadataService

    func handle(_ request: AlterUserScramCredentialsRequest, context: RequestContext) async -> AlterUserScramCredentialsResponse? {
        guard metadata.config.mayAdministerSecurity(context) else { return Self.refused(request, context: context) }
        return await metadata.alterUserScramCredentials(request)
    }

    static func refused(_ request: AlterUserScramCredentialsRequest, context: RequestContext) -> AlterUserScramCredentialsResponse {
        MetadataService.scramResults(of: request, code: .clusterAuthorizationFailed,
                                     message: context.authorizer != nil ? AuthorizationFailure.message(for: .cluster)
                                         : "Only super.users may change SCRAM credentials")
    }
}

/// AlterUserScramCredentials on the controller listener, sent by a broker that forwards it or by an admin
/// client bootstrapped with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerAlterUserScramCredentialsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { AlterUserScramCredentialsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: AlterUserScramCredentialsRequest, context: RequestContext) async -> AlterUserScramCredentialsResponse? {
        guard metadata.config.mayAdministerSecurity(context) else { return AlterUserScramCredentialsHandler.refused(request, context: context) }
        if let r = await metadata.alterUserScramCredentialsAsController(request) { return r }
        return MetadataService.scramResults(of: request, code: .notController, message: "This node is not the active controller")
    }
}
