import KafkaMetadata
import KafkaProtocol

/// AlterClientQuotas (KIP-546): each entry's ops become ClientQuotaRecords for its entity, a set as
/// the new value and `remove` as a removal; a value equal to the current one, or the removal of an
/// absent key, records nothing. An entry is checked whole before anything of it is recorded, and
/// entries are independent: a later entry sees the earlier ones' changes.
///
/// Errors per entry, all INVALID_REQUEST as in Kafka: an empty entity, an unknown entity type or one
/// given twice, ip combined with user or client-id, ip at all (its connection_creation_rate is not
/// enforced), an unknown key or one given twice, a key Strom does not enforce yet (anything but
/// controller_mutation_rate), a value that is not a finite number above zero.
/// `validateOnly` answers the same and records nothing.
public enum AlterClientQuotas {
    public static func handle(_ request: AlterClientQuotasRequest, image: MetadataImage) -> ControllerResult<AlterClientQuotasResponse> {
        var response = AlterClientQuotasResponse()
        var records: [MetadataRecordAndVersion] = []
        var working = image.clientQuotas
        for entry in request.entries {
            var result = AlterClientQuotasResponse.EntryData(
                entity: entry.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) })
            switch plan(entry, quotas: working) {
            case let .failure(failure):
                result.errorCode = failure.code.rawValue
                result.errorMessage = failure.message
            case let .success((entity, changes)):
                result.errorMessage = nil
                var values = working[entity] ?? [:]
                for (key, value) in changes {
                    values[key] = value
                    records.append(MetadataRecordAndVersion(
                        ClientQuotaRecord(entity: entity.recordEntity, key: key, value: value ?? 0, remove: value == nil), version: 0))
                }
                working[entity] = values.isEmpty ? nil : values
            }
            response.entries.append(result)
        }
        return ControllerResult(records: request.validateOnly ? [] : records, response: response)
    }

    /// The entity and its changes (nil value: remove), or why the entry is refused.
    static func plan(_ entry: AlterClientQuotasRequest.EntryData, quotas: [ClientQuotaEntity: [String: Double]])
        -> Result<(ClientQuotaEntity, [(key: String, value: Double?)]), CreateTopics.Failure> {
        func refuse(_ message: String) -> Result<(ClientQuotaEntity, [(key: String, value: Double?)]), CreateTopics.Failure> {
            .failure(.init(code: .invalidRequest, message: message))
        }
        guard !entry.entity.isEmpty else { return refuse("Invalid empty client quota entity") }
        let types = entry.entity.map(\.entityType)
        let validTypes = [ClientQuotaEntity.user, ClientQuotaEntity.clientID, ClientQuotaEntity.ip]
        if let unknown = types.first(where: { !validTypes.contains($0) }) {
            return refuse("Unhandled client quota entity type: \(unknown)")
        }
        guard let entity = ClientQuotaEntity(entry.entity.map { .init(type: $0.entityType, name: $0.entityName) }) else {
            return refuse("Duplicate entity type in the client quota entity")
        }
        if types.contains(ClientQuotaEntity.ip) {
            if types.count > 1 {
                return refuse("Invalid quota entity combination, IP entity should not be combined with User or ClientId")
            }
            return refuse("IP quotas (connection_creation_rate) are not enforced by Strom yet, so they are not stored")
        }
        let current = quotas[entity] ?? [:]
        var seen: Set<String> = []
        var changes: [(key: String, value: Double?)] = []
        for op in entry.ops {
            guard seen.insert(op.key).inserted else { return refuse("Quota \(op.key) appears more than once for \(entity)") }
            if let problem = ClientQuotaKeys.problem(key: op.key, entityTypes: types) { return refuse(problem) }
            if op.remove {
                if current[op.key] != nil { changes.append((op.key, nil)) }
            } else {
                guard op.value.isFinite, op.value > 0 else { return refuse("Quota \(op.key) must be a number greater than 0, not \(op.value)") }
                if current[op.key] != op.value { changes.append((op.key, op.value)) }
            }
        }
        return .success((entity, changes))
    }
}
