import KafkaMetadata

/// Who sent a request, for quotas: the user principal (`ANONYMOUS` without authentication) and the
/// request header's client id (`""` when null).
public struct QuotaPrincipal: Hashable, Sendable {
    /// Kafka's principal name for an unauthenticated client.
    public static let anonymousUser = "ANONYMOUS"

    public var user: String
    public var clientID: String

    public init(user: String = anonymousUser, clientID: String?) {
        self.user = user
        self.clientID = clientID ?? ""
    }
}

/// Which bucket a request is charged to: Kafka's quota metric tags. A component is present exactly
/// when the quota that applied names that entity type, with the request's own name (not the
/// default's): two clients under one `<default>` client-id quota each have their own bucket, while
/// every client of one user under a user-only quota shares the user's.
public struct QuotaBucketKey: Hashable, Sendable {
    public var user: String?
    public var clientID: String?

    public init(user: String?, clientID: String?) {
        self.user = user
        self.clientID = clientID
    }
}

/// The quota that applies to a principal for one key, and the bucket it is charged to.
public struct ResolvedQuota: Hashable, Sendable {
    public var value: Double
    /// The entity whose setting applied.
    public var entity: ClientQuotaEntity
    public var bucket: QuotaBucketKey
}

/// Kafka's precedence for user and client-id quotas: the first of these entities with a value for
/// the key applies, and nothing applies when none has one (the quota is unlimited).
///
///     1. user=U, client-id=C      5. user=<default>, client-id=<default>
///     2. user=U, client-id=<def>  6. user=<default>
///     3. user=U                   7. client-id=C
///     4. user=<default>, client-id=C  8. client-id=<default>
public enum ClientQuotaResolution {
    public static func resolve(_ key: String, for principal: QuotaPrincipal,
                               in quotas: [ClientQuotaEntity: [String: Double]]) -> ResolvedQuota? {
        // Most nodes have no quota of this key at all: decided without building the eight candidates.
        guard quotas.values.contains(where: { $0[key] != nil }) else { return nil }
        let u = principal.user, c = principal.clientID
        let both = QuotaBucketKey(user: u, clientID: c)
        let userOnly = QuotaBucketKey(user: u, clientID: nil)
        let clientOnly = QuotaBucketKey(user: nil, clientID: c)
        let user = ClientQuotaEntity.user, client = ClientQuotaEntity.clientID
        func entity(_ parts: (type: String, name: String?)...) -> ClientQuotaEntity {
            ClientQuotaEntity(parts.map { .init(type: $0.type, name: $0.name) })!
        }
        let candidates: [(ClientQuotaEntity, QuotaBucketKey)] = [
            (entity((user, u), (client, c)), both),
            (entity((user, u), (client, nil)), both),
            (entity((user, u)), userOnly),
            (entity((user, nil), (client, c)), both),
            (entity((user, nil), (client, nil)), both),
            (entity((user, nil)), userOnly),
            (entity((client, c)), clientOnly),
            (entity((client, nil)), clientOnly),
        ]
        for (entity, bucket) in candidates {
            if let value = quotas[entity]?[key] { return ResolvedQuota(value: value, entity: entity, bucket: bucket) }
        }
        return nil
    }
}
