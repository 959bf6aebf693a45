import KafkaMetadata
import KafkaProtocol

/// DescribeClientQuotas (KIP-546), read from the node's image: the entities matching every filter
/// component, each with all its values.
///
/// A component names an entity type and a match: exact (0, a name; empty means the default),
/// default (1, the type's default entity) or any (2, any entity of that type, the default included,
/// as Kafka's controller image matches). Without `strict` an entity may have types beyond the
/// filter's; with it, exactly the filter's types. No component matches every entity (without
/// strict). A malformed filter (empty, unknown or repeated type, unknown match type, a match string
/// where none belongs or none where one does, ip combined with user or client-id) is a
/// response-level INVALID_REQUEST with null entries.
public enum DescribeClientQuotas {
    public static func handle(_ request: DescribeClientQuotasRequest, image: MetadataImage) -> DescribeClientQuotasResponse {
        var response = DescribeClientQuotasResponse()
        response.errorMessage = nil
        switch filter(request.components) {
        case let .failure(failure):
            response.errorCode = failure.code.rawValue
            response.errorMessage = failure.message
            response.entries = nil
        case let .success(filter):
            response.entries = image.clientQuotas.keys.sorted()
                .filter { matches($0, filter, strict: request.strict) }
                .map { entity in
                    .init(entity: entity.components.map { .init(entityType: $0.type, entityName: $0.name) },
                          values: image.clientQuotas[entity]!.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) })
                }
        }
        return response
    }

    /// What a filter wants of one entity type.
    enum Match: Hashable {
        /// This name; nil: the type's default entity.
        case exactly(String?)
        /// Any entity of the type.
        case any
    }

    typealias Filter = [String: Match]

    static func filter(_ components: [DescribeClientQuotasRequest.ComponentData]) -> Result<Filter, CreateTopics.Failure> {
        func refuse(_ message: String) -> Result<Filter, CreateTopics.Failure> { .failure(.init(code: .invalidRequest, message: message)) }
        var filter: Filter = [:]
        for c in components {
            guard !c.entityType.isEmpty else { return refuse("Invalid empty entity type") }
            guard [ClientQuotaEntity.user, ClientQuotaEntity.clientID, ClientQuotaEntity.ip].contains(c.entityType) else {
                return refuse("Unsupported entity type \(c.entityType)")
            }
            guard filter.index(forKey: c.entityType) == nil else {
                return refuse("Entity type \(c.entityType) cannot appear more than once in the filter")
            }
            switch c.matchType {
            case 0:
                guard let name = c.match else { return refuse("Match type exact (0) needs a match string") }
                filter[c.entityType] = .exactly(name.isEmpty ? nil : name)
            case 1:
                guard c.match == nil else { return refuse("Match type default (1) takes no match string") }
                filter[c.entityType] = .exactly(nil)
            case 2:
                guard c.match == nil else { return refuse("Match type any (2) takes no match string") }
                filter[c.entityType] = .any
            default:
                return refuse("Unknown match type \(c.matchType)")
            }
        }
        if filter.index(forKey: ClientQuotaEntity.ip) != nil && filter.count > 1 {
            return refuse("Invalid entity filter component combination: ip cannot be combined with user or client-id")
        }
        return .success(filter)
    }

    static func matches(_ entity: ClientQuotaEntity, _ filter: Filter, strict: Bool) -> Bool {
        if strict && entity.components.count != filter.count { return false }
        for (type, wanted) in filter {
            guard let component = entity.component(type) else { return false }
            if case let .exactly(name) = wanted, name != component.name { return false }
        }
        return true
    }
}
