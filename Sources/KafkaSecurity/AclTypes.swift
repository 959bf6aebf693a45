/// Kafka's ACL vocabulary with its wire codes (the Int8 fields of CreateAcls, DeleteAcls, DescribeAcls
/// and AccessControlEntryRecord). Each enum's `init(code:)` is Kafka's `fromCode`: a code it does not
/// know reads as UNKNOWN. `description` is Kafka's enum name (`TRANSACTIONAL_ID`), as its messages
/// print it.

/// Kafka's `ResourceType`. ANY appears only in filters; UNKNOWN never names a real resource.
public enum AclResourceType: Int8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case unknown = 0, any = 1, topic = 2, group = 3, cluster = 4, transactionalId = 5, delegationToken = 6, user = 7

    public init(code: Int8) { self = Self(rawValue: code) ?? .unknown }

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .topic: "TOPIC"
        case .group: "GROUP"
        case .cluster: "CLUSTER"
        case .transactionalId: "TRANSACTIONAL_ID"
        case .delegationToken: "DELEGATION_TOKEN"
        case .user: "USER"
        }
    }

    /// Kafka's `SecurityUtils.resourceTypeName`: the name in Pascal case (`TransactionalId`), as the
    /// authorizer's audit log prints resources.
    public var pascalCaseName: String { pascalCase(description) }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Kafka's `PatternType`. An ACL is LITERAL (the name, or every name when it is `*`) or PREFIXED (every
/// name starting with it); ANY and MATCH appear only in filters.
public enum AclPatternType: Int8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case unknown = 0, any = 1, match = 2, literal = 3, prefixed = 4

    public init(code: Int8) { self = Self(rawValue: code) ?? .unknown }

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .match: "MATCH"
        case .literal: "LITERAL"
        case .prefixed: "PREFIXED"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Kafka's `AclOperation`. ALL in an ACL covers every operation; ANY appears only in filters.
public enum AclOperation: Int8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case unknown = 0, any = 1, all = 2, read = 3, write = 4, create = 5, delete = 6, alter = 7, describe = 8
    case clusterAction = 9, describeConfigs = 10, alterConfigs = 11, idempotentWrite = 12
    case createTokens = 13, describeTokens = 14

    public init(code: Int8) { self = Self(rawValue: code) ?? .unknown }

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .all: "ALL"
        case .read: "READ"
        case .write: "WRITE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .alter: "ALTER"
        case .describe: "DESCRIBE"
        case .clusterAction: "CLUSTER_ACTION"
        case .describeConfigs: "DESCRIBE_CONFIGS"
        case .alterConfigs: "ALTER_CONFIGS"
        case .idempotentWrite: "IDEMPOTENT_WRITE"
        case .createTokens: "CREATE_TOKENS"
        case .describeTokens: "DESCRIBE_TOKENS"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Kafka's `AclPermissionType`. An ACL is DENY or ALLOW; ANY appears only in filters.
public enum AclPermissionType: Int8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case unknown = 0, any = 1, deny = 2, allow = 3

    public init(code: Int8) { self = Self(rawValue: code) ?? .unknown }

    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .deny: "DENY"
        case .allow: "ALLOW"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// `TRANSACTIONAL_ID` → `TransactionalId`, as Kafka's `SecurityUtils.toPascalCase`.
func pascalCase(_ name: String) -> String {
    var out = ""
    var capitalizeNext = true
    for c in name {
        if c == "_" {
            capitalizeNext = true
        } else if capitalizeNext {
            out += c.uppercased()
            capitalizeNext = false
        } else {
            out += c.lowercased()
        }
    }
    return out
}
