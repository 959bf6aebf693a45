import KafkaProtocol
import KafkaSecurity

/// CreateAcls, DescribeAcls and DeleteAcls as a Kafka broker without an authorizer answers them:
/// SECURITY_DISABLED ("No Authorizer is configured"), so `kafka-acls.sh` and admin clients get Kafka's
/// answer instead of a closed connection. Strom refuses `authorizer.class.name` until every API checks
/// ACLs; the decisions these handlers will then use are `AclControl`'s (KafkaSecurity).
/// Versions from 1, as Kafka 4.0 serves them (KIP-896).
struct CreateAclsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 1...3

    func handle(_ request: CreateAclsRequest, context: RequestContext) async -> CreateAclsResponse? {
        AclControl.createAclsSecurityDisabled(request)
    }
}

/// See `CreateAclsHandler`.
struct DescribeAclsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 1...3

    func handle(_ request: DescribeAclsRequest, context: RequestContext) async -> DescribeAclsResponse? {
        AclControl.describeAclsSecurityDisabled()
    }
}

/// See `CreateAclsHandler`.
struct DeleteAclsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 1...3

    func handle(_ request: DeleteAclsRequest, context: RequestContext) async -> DeleteAclsResponse? {
        AclControl.deleteAclsSecurityDisabled(request)
    }
}
