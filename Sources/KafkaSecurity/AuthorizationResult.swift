/// What `StandardAuthorizer.authorize` decided and the rule that decided it, the rules Kafka's
/// `StandardAuthorizerData` names in its audit log (`kafka.authorizer.logger`):
/// - `superUser`: the principal is in `super.users` ("SuperUser"); allowed whatever the ACLs say;
/// - `deniedByAcl`: a DENY ACL matched ("MatchingAcl(acl=...)"); DENY beats any ALLOW;
/// - `allowedByAcl`: an ALLOW ACL matched and no DENY did ("MatchingAcl(acl=...)");
/// - `noAclFound`: no ACL at all is written for the resource (for any principal, host or operation),
///   so `allow.everyone.if.no.acl.found` decides ("DefaultAllow" or "DefaultDeny");
/// - `noAclAllows`: ACLs exist for the resource but none matched this principal, host and
///   operation ("DefaultDeny").
public enum AuthorizationResult: Sendable, Hashable, CustomStringConvertible {
    case superUser
    case deniedByAcl(StandardAcl)
    case allowedByAcl(StandardAcl)
    case noAclFound(allowEveryone: Bool)
    case noAclAllows

    public var isAllowed: Bool {
        switch self {
        case .superUser, .allowedByAcl: true
        case .deniedByAcl, .noAclAllows: false
        case let .noAclFound(allowEveryone): allowEveryone
        }
    }

    /// The rule as Kafka's audit log names it.
    public var description: String {
        switch self {
        case .superUser: "SuperUser"
        case let .deniedByAcl(acl), let .allowedByAcl(acl): "MatchingAcl(acl=\(acl))"
        case let .noAclFound(allowEveryone): allowEveryone ? "DefaultAllow" : "DefaultDeny"
        case .noAclAllows: "DefaultDeny"
        }
    }

    /// The audit line Kafka writes for a decision (at INFO for a denial of a resource the client asked
    /// for): `Principal = User:alice is Denied operation = READ from host = 10.0.0.1 on resource =
    /// Topic:LITERAL:orders for request = Fetch with resourceRefCount = 1 based on rule DefaultDeny`.
    /// The request part is left out when `request` is nil.
    public func auditMessage(principal: KafkaPrincipal, host: String, operation: AclOperation,
                             resourceType: AclResourceType, resourceName: String,
                             request: String? = nil, resourceReferenceCount: Int = 1) -> String {
        var line = "Principal = \(principal) is \(isAllowed ? "Allowed" : "Denied") operation = \(operation)"
        line += " from host = \(host) on resource = \(resourceType.pascalCaseName):\(AclPatternType.literal):\(resourceName)"
        if let request {
            line += " for request = \(request) with resourceRefCount = \(resourceReferenceCount)"
        }
        return line + " based on rule \(self)"
    }
}
