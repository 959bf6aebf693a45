import KafkaMetadata
import KafkaProtocol
import Testing

/// ClientQuotaRecords replay into `MetadataImage.clientQuotas`, keyed by entity whatever the order of
/// its components, and come back out of a snapshot as the same image.
@Suite struct ClientQuotaReplayTests {
    private let rate = "controller_mutation_rate"

    private func record(_ entity: [(String, String?)], _ key: String = "controller_mutation_rate", value: Double = 0,
                        remove: Bool = false) -> ClientQuotaRecord {
        ClientQuotaRecord(entity: entity.map { .init(entityType: $0.0, entityName: $0.1) }, key: key, value: value, remove: remove)
    }

    private func entity(_ parts: (String, String?)...) -> ClientQuotaEntity {
        ClientQuotaEntity(parts.map { .init(type: $0.0, name: $0.1) })!
    }

    @Test func setsOverwritesAndRemovesPerEntityAndKey() throws {
        var delta = MetadataDelta(base: .empty)
        try delta.replay(record([("user", "alice"), ("client-id", "app")], value: 5))
        // The same entity with its components the other way round.
        try delta.replay(record([("client-id", "app"), ("user", "alice")], value: 7))
        try delta.replay(record([("client-id", nil)], value: 2))
        try delta.replay(record([("client-id", nil)], "producer_byte_rate", value: 1024))
        var image = delta.apply(provenance: .init(offset: 3, epoch: 1))
        #expect(image.clientQuotas == [
            entity(("user", "alice"), ("client-id", "app")): [rate: 7],
            entity(("client-id", nil)): [rate: 2, "producer_byte_rate": 1024],
        ])
        delta = MetadataDelta(base: image)
        try delta.replay(record([("client-id", nil)], remove: true))
        try delta.replay(record([("client-id", nil)], "producer_byte_rate", remove: true))
        try delta.replay(record([("user", "nobody")], remove: true))
        image = delta.apply(provenance: .init(offset: 6, epoch: 1))
        // An entity left without values is gone; removing what is absent changes nothing.
        #expect(image.clientQuotas == [entity(("user", "alice"), ("client-id", "app")): [rate: 7]])
    }

    @Test func emptyAndNullNamesAreBothTheDefault() throws {
        var delta = MetadataDelta(base: .empty)
        try delta.replay(record([("user", "")], value: 3))
        try delta.replay(record([("user", nil)], value: 4))
        #expect(delta.current.clientQuotas == [entity(("user", nil)): [rate: 4]])
    }

    @Test func malformedRecordsAreRefused() {
        var delta = MetadataDelta(base: .empty)
        #expect(throws: MetadataReplayError.self) { try delta.replay(record([("user", "a"), ("user", "b")], value: 1)) }
        #expect(throws: MetadataReplayError.self) { try delta.replay(record([("user", "a")], value: .nan)) }
        #expect(throws: MetadataReplayError.self) { try delta.replay(record([("user", "a")], value: .infinity)) }
        #expect(delta.current.clientQuotas.isEmpty)
    }

    @Test func snapshotCarriesQuotasInATotalOrder() throws {
        var delta = MetadataDelta(base: .empty)
        // Names that would tie if entities were ordered by their printed form.
        try delta.replay(record([("client-id", "a,user=b")], value: 1))
        try delta.replay(record([("client-id", "a"), ("user", "b")], value: 2))
        try delta.replay(record([("client-id", nil)], value: 3))
        try delta.replay(record([("user", nil)], value: 4))
        let image = delta.apply(provenance: .init(offset: 4, epoch: 2))
        let records = image.snapshotRecords().compactMap { $0.record as? ClientQuotaRecord }
        #expect(records.count == 4)
        #expect(records.map { ClientQuotaEntity(record: $0)! } == image.clientQuotas.keys.sorted())
        #expect(records.first.map { ClientQuotaEntity(record: $0)! } == entity(("client-id", nil)))
        var replayed = MetadataDelta(base: .empty)
        for r in image.snapshotRecords() {
            try replayed.replay(try MetadataRecordSerde.decode(try MetadataRecordSerde.encode(r)).record)
        }
        #expect(replayed.apply(provenance: image.provenance) == image)
    }
}
