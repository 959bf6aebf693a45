import KafkaSecurity

/// Kafka's `AuthHelper` for one request: each check is decided by the request's authorizer (see
/// `RequestContext.authorizer`; none allows everything) for the request's principal and client host.
/// A denial is logged at INFO with Kafka's audit line (principal, operation, resource, the rule that
/// decided) unless `logIfDenied` is false, as for the resources a client did not name (Metadata's
/// all-topics listing) and the authorized-operations fields; an allowed action is logged at DEBUG.
extension RequestContext {
    /// The only name of the CLUSTER resource.
    static let clusterResourceName = AclControl.clusterName

    /// Whether the principal may perform `operation` on the resource.
    func authorize(_ operation: AclOperation, _ type: AclResourceType, _ name: String,
                   logIfDenied: Bool = true, references: Int = 1) -> Bool {
        guard let authorizer else { return true }
        let result = authorizer.authorize(principal: principal, host: remoteAddress, operation: operation,
                                          resourceType: type, resourceName: name)
        let line = { result.auditMessage(principal: principal, host: remoteAddress, operation: operation, resourceType: type,
                                         resourceName: name, request: apiKey?.name, resourceReferenceCount: references) }
        if result.isAllowed {
            // Built only when DEBUG is on: this runs for every topic of every Produce and Fetch.
            logger.debug("\(line())")
        } else if logIfDenied {
            logger.info("\(line())", metadata: ["kafka.principal": "\(principal)", "kafka.acl.operation": "\(operation)",
                                                 "kafka.acl.resource": "\(type.pascalCaseName):\(name)", "kafka.acl.rule": "\(result)"])
        }
        return result.isAllowed
    }

    /// Whether the principal may perform `operation` on the cluster.
    func authorizeCluster(_ operation: AclOperation, logIfDenied: Bool = true) -> Bool {
        authorize(operation, .cluster, Self.clusterResourceName, logIfDenied: logIfDenied)
    }

    /// The names among `names` on which the principal may perform `operation`, each decided once (Kafka's
    /// `filterByAuthorized`: the audit line counts how often a name appeared).
    func authorizedNames<S: Sequence>(_ operation: AclOperation, _ type: AclResourceType, _ names: S,
                                      logIfDenied: Bool = true) -> Set<String> where S.Element == String {
        guard authorizer != nil else { return Set(names) }
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        return Set(counts.filter { authorize(operation, type, $0.key, logIfDenied: logIfDenied, references: $0.value) }.keys)
    }

    /// Whether the principal may perform `operation` on some resource of the type (Kafka's
    /// `authorizeByResourceType`, for IDEMPOTENT_WRITE's fallback to WRITE on any topic).
    func authorizeByResourceType(_ operation: AclOperation, _ type: AclResourceType) -> Bool {
        guard let authorizer else { return true }
        return authorizer.authorizeByResourceType(principal: principal, host: remoteAddress, operation: operation, resourceType: type)
    }

    /// The cluster's authorized-operations field (Metadata v8-10, DescribeCluster), as Kafka fills it:
    /// 0 unless the principal may DESCRIBE the cluster, which it is asked first.
    func clusterAuthorizedOperations() -> Int32 {
        guard authorizeCluster(.describe) else { return 0 }
        return authorizedOperations(.cluster, Self.clusterResourceName)
    }

    /// The operations on the resource the principal may perform, as the bit field of the
    /// authorized-operations fields (bit n for the operation with code n).
    func authorizedOperations(_ type: AclResourceType, _ name: String) -> Int32 {
        guard authorizer != nil else { return AuthorizedOperations.all(of: type) }
        return AuthorizedOperations.supported(by: type)
            .filter { authorize($0, type, name, logIfDenied: false) }
            .reduce(0) { $0 | (1 << Int32($1.rawValue)) }
    }
}
