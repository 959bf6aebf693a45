import KafkaProtocol

/// Which ACLs a DescribeAcls or DeleteAcls filter selects, with Kafka's `AclBindingFilter` rules
/// (`ResourcePatternFilter` and `AccessControlEntryFilter`):
/// - resource type ANY matches every type, otherwise the type must be equal;
/// - pattern type ANY or MATCH admits both LITERAL and PREFIXED ACLs, otherwise it must be equal;
/// - a nil resource name matches every name; with ANY or an exact pattern type the name must be equal;
///   with MATCH a LITERAL ACL matches when its name is the filter's or `*`, a PREFIXED ACL when the
///   filter's name starts with the ACL's (MATCH asks "which ACLs would apply to this resource");
/// - a nil principal or host matches every one, otherwise the strings must be equal (`User:*` in a
///   filter selects only ACLs written for `User:*`);
/// - operation ANY and permission ANY match every one, otherwise they must be equal.
public struct AclBindingFilter: Sendable, Hashable {
    public var resourceType: AclResourceType
    public var resourceName: String?
    public var patternType: AclPatternType
    public var principal: String?
    public var host: String?
    public var operation: AclOperation
    public var permissionType: AclPermissionType

    public init(resourceType: AclResourceType = .any, resourceName: String? = nil, patternType: AclPatternType = .any,
                principal: String? = nil, host: String? = nil, operation: AclOperation = .any,
                permissionType: AclPermissionType = .any) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permissionType = permissionType
    }

    /// The filter that matches every ACL.
    public static let any = AclBindingFilter()

    public init(_ request: DescribeAclsRequest) {
        self.init(resourceType: AclResourceType(code: request.resourceTypeFilter), resourceName: request.resourceNameFilter,
                  patternType: AclPatternType(code: request.patternTypeFilter), principal: request.principalFilter,
                  host: request.hostFilter, operation: AclOperation(code: request.operation),
                  permissionType: AclPermissionType(code: request.permissionType))
    }

    public init(_ filter: DeleteAclsRequest.DeleteAclsFilter) {
        self.init(resourceType: AclResourceType(code: filter.resourceTypeFilter), resourceName: filter.resourceNameFilter,
                  patternType: AclPatternType(code: filter.patternTypeFilter), principal: filter.principalFilter,
                  host: filter.hostFilter, operation: AclOperation(code: filter.operation),
                  permissionType: AclPermissionType(code: filter.permissionType))
    }

    /// Kafka's `ResourcePatternFilter.isUnknown`: the resource type or pattern type is UNKNOWN.
    public var patternFilterIsUnknown: Bool { resourceType == .unknown || patternType == .unknown }
    /// Kafka's `AccessControlEntryFilter.isUnknown`: the operation or permission is UNKNOWN.
    public var entryFilterIsUnknown: Bool { operation == .unknown || permissionType == .unknown }

    public func matches(_ acl: StandardAcl) -> Bool {
        matchesPattern(of: acl) && matchesEntry(of: acl)
    }

    func matchesPattern(of acl: StandardAcl) -> Bool {
        if resourceType != .any && resourceType != acl.resourceType { return false }
        if patternType != .any && patternType != .match && patternType != acl.patternType { return false }
        guard let name = resourceName else { return true }
        if patternType == .any || patternType == acl.patternType { return name == acl.resourceName }
        // MATCH against a specific ACL pattern. (Kafka throws for an ACL of another pattern type; such
        // an ACL cannot be created, and here it simply does not match.)
        switch acl.patternType {
        case .literal, .prefixed: return acl.patternCovers(resourceName: name)
        default: return false
        }
    }

    func matchesEntry(of acl: StandardAcl) -> Bool {
        if let principal, principal != acl.principal { return false }
        if let host, host != acl.host { return false }
        if operation != .any && operation != acl.operation { return false }
        return permissionType == .any || permissionType == acl.permissionType
    }
}
