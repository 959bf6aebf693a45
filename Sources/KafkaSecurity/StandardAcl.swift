import KafkaProtocol

/// One ACL, as Kafka's `StandardAcl` holds it: a resource pattern (type, name, LITERAL or PREFIXED)
/// and an entry (principal as `Type:Name`, host as `*` or an address, operation, ALLOW or DENY). It is
/// stored in `__cluster_metadata` as an AccessControlEntryRecord under a random id; two ACLs with the
/// same seven fields are the same ACL (the controller never stores one twice).
///
/// Ordered as Kafka orders them: resource type, then resource name in REVERSE, then pattern type,
/// operation, principal, host, permission.
public struct StandardAcl: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var resourceType: AclResourceType
    public var resourceName: String
    public var patternType: AclPatternType
    public var principal: String
    public var host: String
    public var operation: AclOperation
    public var permissionType: AclPermissionType

    /// The name a LITERAL ACL uses to match every resource of its type, and the host that matches
    /// every host.
    public static let wildcard = "*"
    /// The principal that matches every principal, whatever its type.
    public static let wildcardPrincipal = "User:*"

    public init(resourceType: AclResourceType, resourceName: String, patternType: AclPatternType,
                principal: String, host: String, operation: AclOperation, permissionType: AclPermissionType) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permissionType = permissionType
    }

    /// The ACL of a record (its id aside); unknown codes read as UNKNOWN.
    public init(record: AccessControlEntryRecord) {
        self.init(resourceType: AclResourceType(code: record.resourceType), resourceName: record.resourceName,
                  patternType: AclPatternType(code: record.patternType), principal: record.principal, host: record.host,
                  operation: AclOperation(code: record.operation), permissionType: AclPermissionType(code: record.permissionType))
    }

    /// The ACL of a CreateAcls creation; unknown codes read as UNKNOWN.
    public init(creation: CreateAclsRequest.AclCreation) {
        self.init(resourceType: AclResourceType(code: creation.resourceType), resourceName: creation.resourceName,
                  patternType: AclPatternType(code: creation.resourcePatternType), principal: creation.principal,
                  host: creation.host, operation: AclOperation(code: creation.operation),
                  permissionType: AclPermissionType(code: creation.permissionType))
    }

    public func record(id: KafkaUUID) -> AccessControlEntryRecord {
        AccessControlEntryRecord(id: id, resourceType: resourceType.rawValue, resourceName: resourceName,
                                 patternType: patternType.rawValue, principal: principal, host: host,
                                 operation: operation.rawValue, permissionType: permissionType.rawValue)
    }

    /// The principal split at its first colon, as Kafka's `StandardAcl.kafkaPrincipal`; nil without a colon.
    public var kafkaPrincipal: KafkaPrincipal? {
        guard let colon = principal.firstIndex(of: ":") else { return nil }
        return KafkaPrincipal(type: String(principal[..<colon]), name: String(principal[principal.index(after: colon)...]))
    }

    /// True when this ACL's pattern covers the named resource: a LITERAL ACL names it exactly or is
    /// `*`; a PREFIXED ACL's name starts it. (The resource type is compared separately.)
    public func patternCovers(resourceName name: String) -> Bool {
        switch patternType {
        case .literal: resourceName == name || resourceName == Self.wildcard
        case .prefixed: name.hasPrefix(resourceName)
        default: false
        }
    }

    public static func < (a: StandardAcl, b: StandardAcl) -> Bool {
        if a.resourceType != b.resourceType { return a.resourceType < b.resourceType }
        if a.resourceName != b.resourceName { return a.resourceName > b.resourceName }
        if a.patternType != b.patternType { return a.patternType < b.patternType }
        if a.operation != b.operation { return a.operation < b.operation }
        if a.principal != b.principal { return a.principal < b.principal }
        if a.host != b.host { return a.host < b.host }
        return a.permissionType < b.permissionType
    }

    /// As Kafka 3.9 prints a `StandardAcl` (its `toString`; 4.x, where it is a record, uses brackets).
    public var description: String {
        "StandardAcl(resourceType=\(resourceType), resourceName=\(resourceName), patternType=\(patternType), "
            + "principal=\(principal), host=\(host), operation=\(operation), permissionType=\(permissionType))"
    }
}
