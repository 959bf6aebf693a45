import KafkaProtocol

/// Kafka's `StandardAuthorizer` as a value: the ACLs replayed from `__cluster_metadata` (by record id)
/// and the two settings, `super.users` and `allow.everyone.if.no.acl.found`. Pure: the caller supplies
/// the principal and the client's address (as text, e.g. `10.0.0.1`) and logs the result.
///
/// An action (operation on a LITERAL resource name) is decided, as `StandardAuthorizerData.authorize`:
/// 1. a principal listed in `super.users` (as `Type:Name`) is allowed;
/// 2. the ACLs that apply are those of the resource's type whose pattern covers the name: LITERAL with
///    the same name, LITERAL `*`, or PREFIXED with a prefix of the name;
/// 3. of those, an ACL matches when its principal is the caller's or `User:*` (which matches every
///    principal, whatever its type), its host is the caller's or `*`, and its operation is ALL, the
///    action's operation, or (ALLOW ACLs only) one that implies it: DESCRIBE is implied by READ, WRITE,
///    DELETE and ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS;
/// 4. any matching DENY denies; else any matching ALLOW allows; else, if no ACL applied to the
///    resource at all, `allow.everyone.if.no.acl.found` decides; else the action is denied.
///
/// Not here: CIDR hosts (Kafka matches them from metadata version 4.4-IV1; the controller refuses to
/// create them below that) and the "not ready until the initial load" state.
public struct StandardAuthorizer: Sendable {
    public private(set) var acls: [KafkaUUID: StandardAcl]
    /// The ACLs of each resource type with their principals parsed once: a decision looks only at its
    /// resource type's (Kafka keeps them sorted in a tree for the same reason).
    private var byType: [AclResourceType: [Indexed]] = [:]

    private struct Indexed: Sendable {
        var id: KafkaUUID
        var acl: StandardAcl
        var principal: KafkaPrincipal?
    }
    /// Principals (`Type:Name`) allowed everything.
    public var superUsers: Set<String>
    /// The decision when no ACL is written for a resource; Kafka's default is false.
    public var allowEveryoneIfNoAclFound: Bool

    public static let superUsersConfig = "super.users"
    public static let allowEveryoneIfNoAclFoundConfig = "allow.everyone.if.no.acl.found"

    public init(acls: [KafkaUUID: StandardAcl] = [:], superUsers: Set<String> = [], allowEveryoneIfNoAclFound: Bool = false) {
        self.acls = acls
        for (id, acl) in acls { byType[acl.resourceType, default: []].append(Indexed(id: id, acl: acl, principal: acl.kafkaPrincipal)) }
        self.superUsers = superUsers
        self.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound
    }

    /// A `super.users` entry that is not `Type:Name`.
    public struct InvalidSuperUser: Error, Hashable, CustomStringConvertible {
        public var value: String
        public init(value: String) { self.value = value }
        public var description: String {
            "expected a string in format principalType:principalName but got \(value)"
        }
    }

    /// `super.users` as Kafka reads it: split on ';', each entry trimmed, empty entries dropped, every
    /// entry required to have a colon.
    public static func superUsers(parsing value: String) throws(InvalidSuperUser) -> Set<String> {
        var result: Set<String> = []
        for part in value.split(separator: ";", omittingEmptySubsequences: false) {
            let entry = part.trimmingWhitespace()
            if entry.isEmpty { continue }
            guard entry.contains(":") else { throw InvalidSuperUser(value: entry) }
            result.insert(entry)
        }
        return result
    }

    /// `allow.everyone.if.no.acl.found` as Kafka reads it (`Boolean.parseBoolean` of the trimmed
    /// value): "true" in any case is true, anything else false.
    public static func allowEveryoneIfNoAclFound(parsing value: String) -> Bool {
        value.trimmingWhitespace().lowercased() == "true"
    }

    public mutating func replay(_ record: AccessControlEntryRecord) {
        let acl = StandardAcl(record: record)
        if let previous = acls.updateValue(acl, forKey: record.id) { byType[previous.resourceType]?.removeAll { $0.id == record.id } }
        byType[acl.resourceType, default: []].append(Indexed(id: record.id, acl: acl, principal: acl.kafkaPrincipal))
    }

    /// Removes the ACL with the record's id; returns it, or nil when no ACL has that id.
    @discardableResult
    public mutating func replay(_ record: RemoveAccessControlEntryRecord) -> StandardAcl? {
        guard let removed = acls.removeValue(forKey: record.id) else { return nil }
        byType[removed.resourceType]?.removeAll { $0.id == record.id }
        return removed
    }

    /// The ACLs a filter selects, in Kafka's ACL order.
    public func acls(matching filter: AclBindingFilter) -> [StandardAcl] {
        acls.values.filter(filter.matches).sorted()
    }

    /// Decides one action on a LITERAL resource name. When several ACLs match, the DENY named is the
    /// first in Kafka's ACL order and the ALLOW named the last, as Kafka's scan reports them.
    public func authorize(principal: KafkaPrincipal, host: String, operation: AclOperation,
                          resourceType: AclResourceType, resourceName: String) -> AuthorizationResult {
        if superUsers.contains(principal.description) { return .superUser }
        var resourceHasAcls = false
        var deny: StandardAcl?
        var allow: StandardAcl?
        for entry in byType[resourceType] ?? [] where entry.acl.patternCovers(resourceName: resourceName) {
            let acl = entry.acl
            resourceHasAcls = true
            switch Self.verdict(of: acl, aclPrincipal: entry.principal, principal: principal, host: host, operation: operation) {
            case .deny?: if deny.map({ acl < $0 }) ?? true { deny = acl }
            case .allow?: if allow.map({ $0 < acl }) ?? true { allow = acl }
            default: break
            }
        }
        if let deny { return .deniedByAcl(deny) }
        if let allow { return .allowedByAcl(allow) }
        return resourceHasAcls ? .noAclAllows : .noAclFound(allowEveryone: allowEveryoneIfNoAclFound)
    }

    /// What an ACL that applies to the resource says about this principal, host and operation: its
    /// permission, or nil when it does not match them (Kafka's `StandardAuthorizerData.findResult`).
    static func verdict(of acl: StandardAcl, aclPrincipal: KafkaPrincipal?, principal: KafkaPrincipal, host: String,
                        operation: AclOperation) -> AclPermissionType? {
        guard let aclPrincipal,
              aclPrincipal == principal || aclPrincipal == wildcardKafkaPrincipal else { return nil }
        guard acl.host == StandardAcl.wildcard || acl.host == host else { return nil }
        if acl.operation != .all {
            if acl.permissionType == .allow {
                switch operation {
                case .describe: guard impliesDescribe.contains(acl.operation) else { return nil }
                case .describeConfigs: guard impliesDescribeConfigs.contains(acl.operation) else { return nil }
                default: guard acl.operation == operation else { return nil }
                }
            } else if acl.operation != operation {
                return nil
            }
        }
        return acl.permissionType == .allow ? .allow : .deny
    }

    static let wildcardKafkaPrincipal = KafkaPrincipal(type: "User", name: "*")
    /// Operations whose ALLOW also allows DESCRIBE.
    static let impliesDescribe: Set<AclOperation> = [.describe, .read, .write, .delete, .alter]
    /// Operations whose ALLOW also allows DESCRIBE_CONFIGS.
    static let impliesDescribeConfigs: Set<AclOperation> = [.describeConfigs, .alterConfigs]

    /// Kafka's `Authorizer.authorizeByResourceType`: true when the principal may perform the operation
    /// on at least one resource of the type (used for shortcuts such as IDEMPOTENT_WRITE and CREATE).
    /// First the operation on a resource named `hardcode` is decided as usual (so super users, and
    /// `allow.everyone.if.no.acl.found` when no ACL applies to that name, pass). Otherwise, among the
    /// type's ACLs matching the principal (or `User:*`), the host (or `*`) and the operation (or ALL),
    /// with no implication: a LITERAL `*` DENY refuses; else a LITERAL `*` ALLOW allows; else some other
    /// ALLOW must survive the DENYs: a LITERAL ALLOW not DENYed by a LITERAL of the same name, and no
    /// ALLOW whose name starts with a PREFIXED DENY's name.
    /// Returns false (Kafka throws) for operation or resource type ANY or UNKNOWN.
    public func authorizeByResourceType(principal: KafkaPrincipal, host: String, operation: AclOperation,
                                        resourceType: AclResourceType) -> Bool {
        guard ![.any, .unknown].contains(resourceType), ![.any, .unknown].contains(operation) else { return false }
        if authorize(principal: principal, host: host, operation: operation, resourceType: resourceType,
                     resourceName: "hardcode").isAllowed {
            return true
        }
        var deniedLiterals: Set<String> = []
        var deniedPrefixes: Set<String> = []
        var allowed: [(name: String, literal: Bool)] = []
        var wildcardAllowed = false
        for entry in byType[resourceType] ?? [] {
            let acl = entry.acl
            guard acl.host == host || acl.host == StandardAcl.wildcard else { continue }
            guard entry.principal == principal || acl.principal == StandardAcl.wildcardPrincipal else { continue }
            guard acl.operation == operation || acl.operation == .all else { continue }
            switch (acl.permissionType, acl.patternType) {
            case (.deny, .literal):
                if acl.resourceName == StandardAcl.wildcard { return false }
                deniedLiterals.insert(acl.resourceName)
            case (.deny, .prefixed):
                deniedPrefixes.insert(acl.resourceName)
            case (.allow, .literal) where acl.resourceName == StandardAcl.wildcard:
                wildcardAllowed = true
            case (.allow, .literal):
                allowed.append((acl.resourceName, true))
            case (.allow, .prefixed):
                allowed.append((acl.resourceName, false))
            default:
                continue
            }
        }
        if wildcardAllowed { return true }
        for (name, literal) in allowed {
            if literal && deniedLiterals.contains(name) { continue }
            let dominated = deniedPrefixes.contains { !$0.isEmpty && name.hasPrefix($0) }
            if !dominated { return true }
        }
        return false
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line breaks (Java's `String.trim`, near enough).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
