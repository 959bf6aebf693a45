import KafkaProtocol
import KafkaSecurity

/// CreateAcls, DescribeAcls and DeleteAcls, as Kafka's `AclApis` serves them. Without an authorizer
/// (`authorizer.class.name` unset) they answer SECURITY_DISABLED, as Kafka does. With one, creating
/// and deleting need ALTER on the cluster and are decided by the active controller (`AclControl`);
/// describing needs DESCRIBE on the cluster and reads this node's ACLs.
/// Every version Kafka 3.9 serves: v0 has no pattern type (LITERAL, in requests and filters alike).
struct CreateAclsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...3

    let metadata: MetadataService

    func handle(_ request: CreateAclsRequest, context: RequestContext) async -> CreateAclsResponse? {
        guard context.authorizer != nil else { return AclControl.createAclsSecurityDisabled(request) }
        guard context.authorizeCluster(.alter) else { return Self.refused(request) }
        return await metadata.createAcls(request)
    }

    static func refused(_ request: CreateAclsRequest) -> CreateAclsResponse {
        MetadataService.createAclsFailed(request, code: .clusterAuthorizationFailed, message: AuthorizationFailure.message(for: .cluster))
    }
}

/// See `CreateAclsHandler`.
struct DescribeAclsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...3

    func handle(_ request: DescribeAclsRequest, context: RequestContext) async -> DescribeAclsResponse? {
        guard let authorizer = context.authorizer else { return AclControl.describeAclsSecurityDisabled() }
        guard context.authorizeCluster(.describe) else {
            return DescribeAclsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue,
                                        errorMessage: AuthorizationFailure.message(for: .cluster))
        }
        return AclControl.describeAcls(request, acls: authorizer.acls.values)
    }
}

/// See `CreateAclsHandler`.
struct DeleteAclsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...3

    let metadata: MetadataService

    func handle(_ request: DeleteAclsRequest, context: RequestContext) async -> DeleteAclsResponse? {
        guard context.authorizer != nil else { return AclControl.deleteAclsSecurityDisabled(request) }
        guard context.authorizeCluster(.alter) else { return Self.refused(request) }
        return await metadata.deleteAcls(request)
    }

    static func refused(_ request: DeleteAclsRequest) -> DeleteAclsResponse {
        MetadataService.deleteAclsFailed(request, code: .clusterAuthorizationFailed, message: AuthorizationFailure.message(for: .cluster))
    }
}

/// CreateAcls on the controller listener, from a broker that forwards it or an admin client bootstrapped
/// with `--bootstrap-controller`: NOT_CONTROLLER unless this node is the active controller.
struct ControllerCreateAclsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { CreateAclsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: CreateAclsRequest, context: RequestContext) async -> CreateAclsResponse? {
        guard context.authorizer != nil else { return AclControl.createAclsSecurityDisabled(request) }
        guard context.authorizeCluster(.alter) else { return CreateAclsHandler.refused(request) }
        if let r = await metadata.createAclsAsController(request) { return r }
        return MetadataService.createAclsFailed(request, code: .notController, message: "This node is not the active controller")
    }
}

/// See `ControllerCreateAclsHandler`.
struct ControllerDeleteAclsHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { DeleteAclsHandler.versions }

    let metadata: MetadataService

    func handle(_ request: DeleteAclsRequest, context: RequestContext) async -> DeleteAclsResponse? {
        guard context.authorizer != nil else { return AclControl.deleteAclsSecurityDisabled(request) }
        guard context.authorizeCluster(.alter) else { return DeleteAclsHandler.refused(request) }
        if let r = await metadata.deleteAclsAsController(request) { return r }
        return MetadataService.deleteAclsFailed(request, code: .notController, message: "This node is not the active controller")
    }
}
