import KafkaProtocol

/// Who a client quota applies to (Kafka's `ClientQuotaEntity`): one name per entity type, each either
/// a specific name or the type's default.
///
/// Invariant: at most one component per type, kept sorted by type, so two entities naming the same
/// things are equal and hash alike whatever order a request or record listed them in. A nil name is
/// the default entity of its type; the empty name is read as the default too, so `""` and null
/// cannot denote two different entities.
public struct ClientQuotaEntity: Hashable, Sendable, CustomStringConvertible {
    /// Kafka's entity types.
    public static let user = "user"
    public static let clientID = "client-id"
    public static let ip = "ip"

    public struct Component: Hashable, Sendable {
        public var type: String
        /// nil: the default entity of `type`.
        public var name: String?

        public init(type: String, name: String?) {
            self.type = type
            self.name = name.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    public private(set) var components: [Component]

    /// nil when a type appears twice (an entity names each type at most once).
    public init?(_ components: [Component]) {
        let sorted = components.sorted { $0.type < $1.type }
        for i in sorted.indices.dropFirst() where sorted[i].type == sorted[i - 1].type { return nil }
        self.components = sorted
    }

    /// The component of `type`, if the entity names that type.
    public func component(_ type: String) -> Component? {
        components.first { $0.type == type }
    }

    public var description: String {
        components.map { "\($0.type)=\($0.name ?? "<default>")" }.joined(separator: ",")
    }
}

extension ClientQuotaEntity: Comparable {
    /// A total order (component by component; a default sorts before any name of its type; fewer
    /// components first on a tie), so snapshots list entities the same way every time.
    public static func < (a: ClientQuotaEntity, b: ClientQuotaEntity) -> Bool {
        for (x, y) in zip(a.components, b.components) where x != y {
            if x.type != y.type { return x.type < y.type }
            switch (x.name, y.name) {
            case (nil, _): return true
            case (_, nil): return false
            case let (m?, n?): return m < n
            }
        }
        return a.components.count < b.components.count
    }
}

extension ClientQuotaEntity {
    /// The entity of a ClientQuotaRecord; nil when the record names a type twice.
    public init?(record: ClientQuotaRecord) {
        self.init(record.entity.map { Component(type: $0.entityType, name: $0.entityName) })
    }

    /// The record's form: each component in type order, the default as a null name.
    public var recordEntity: [ClientQuotaRecord.EntityData] {
        components.map { ClientQuotaRecord.EntityData(entityType: $0.type, entityName: $0.name) }
    }
}
