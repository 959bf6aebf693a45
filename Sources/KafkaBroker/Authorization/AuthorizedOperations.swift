import KafkaProtocol
import KafkaSecurity

/// The operations each resource type has, as Kafka 3.9's `AclEntry.supportedOperations` lists them:
/// what the authorized-operations fields of Metadata, DescribeCluster, DescribeGroups and
/// ConsumerGroupDescribe are drawn from (see `RequestContext.authorizedOperations`). Groups have no
/// configs in Strom (Kafka 4.x adds DESCRIBE_CONFIGS and ALTER_CONFIGS for its group configs).
enum AuthorizedOperations {
    static func supported(by type: AclResourceType) -> [AclOperation] {
        switch type {
        case .topic: [.read, .write, .create, .describe, .delete, .alter, .describeConfigs, .alterConfigs]
        case .group: [.read, .describe, .delete]
        case .cluster: [.create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe]
        case .transactionalId: [.describe, .write]
        case .delegationToken: [.describe]
        case .user: [.createTokens, .describeTokens]
        case .any, .unknown: []
        }
    }

    /// Every operation of the type, as bits (what a node without an authorizer reports).
    static func all(of type: AclResourceType) -> Int32 {
        supported(by: type).reduce(0) { $0 | (1 << Int32($1.rawValue)) }
    }

    /// Kafka's "not requested" marker.
    static let omitted = Int32.min
}

/// The error a denied action on each resource type answers with (Kafka's `AclEntry.authorizationError`)
/// and Kafka's default message for it, where a response carries one.
enum AuthorizationFailure {
    static func code(for type: AclResourceType) -> ErrorCode {
        switch type {
        case .topic: .topicAuthorizationFailed
        case .group: .groupAuthorizationFailed
        case .transactionalId: .transactionalIDAuthorizationFailed
        case .delegationToken: .delegationTokenAuthorizationFailed
        default: .clusterAuthorizationFailed
        }
    }

    static func message(for code: ErrorCode) -> String {
        switch code {
        case .topicAuthorizationFailed: message(for: .topic)
        case .groupAuthorizationFailed: message(for: .group)
        case .transactionalIDAuthorizationFailed: message(for: .transactionalId)
        case .delegationTokenAuthorizationFailed: message(for: .delegationToken)
        default: message(for: .cluster)
        }
    }

    static func message(for type: AclResourceType) -> String {
        switch type {
        case .topic: "Topic authorization failed."
        case .group: "Group authorization failed."
        case .transactionalId: "Transactional Id authorization failed."
        case .delegationToken: "Delegation Token authorization failed."
        default: "Cluster authorization failed."
        }
    }
}
