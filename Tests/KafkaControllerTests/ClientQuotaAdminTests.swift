import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// AlterClientQuotas decides records; DescribeClientQuotas reads the image they replay into.
@Suite struct ClientQuotaAdminTests {
    let rate = ClientQuotaKeys.controllerMutationRate
    typealias Entry = AlterClientQuotasRequest.EntryData

    private func entry(_ parts: [(String, String?)], _ ops: [(String, Double, Bool)]) -> Entry {
        Entry(entity: parts.map { .init(entityType: $0.0, entityName: $0.1) },
              ops: ops.map { .init(key: $0.0, value: $0.1, remove: $0.2) })
    }

    private func alter(_ entries: [Entry], on image: MetadataImage = .empty, validateOnly: Bool = false) throws
        -> (result: ControllerResult<AlterClientQuotasResponse>, image: MetadataImage) {
        let result = AlterClientQuotas.handle(AlterClientQuotasRequest(entries: entries, validateOnly: validateOnly), image: image)
        var delta = MetadataDelta(base: image)
        for r in result.records { try delta.replay(r.record) }
        return (result, delta.apply(provenance: .init(offset: image.provenance.offset + 1, epoch: 1)))
    }

    private func entity(_ parts: (String, String?)...) -> ClientQuotaEntity {
        ClientQuotaEntity(parts.map { .init(type: $0.0, name: $0.1) })!
    }

    @Test func setsChangesAndRemovesTheMutationRate() throws {
        let (set, image) = try alter([
            entry([("user", "alice"), ("client-id", "app")], [(rate, 5, false)]),
            entry([("client-id", nil)], [(rate, 2, false)]),
        ])
        #expect(set.response.entries.map(\.errorCode) == [0, 0])
        #expect(set.response.entries[0].entity.map(\.entityName) == ["alice", "app"])
        #expect(set.records.count == 2)
        #expect(image.clientQuotas == [entity(("user", "alice"), ("client-id", "app")): [rate: 5], entity(("client-id", nil)): [rate: 2]])

        // Setting the same value again records nothing; removing it does, and then again nothing.
        #expect(try alter([entry([("client-id", nil)], [(rate, 2, false)])], on: image).result.records.isEmpty)
        let (removed, after) = try alter([entry([("client-id", nil)], [(rate, 0, true)])], on: image)
        #expect(removed.records.count == 1)
        #expect((removed.records.first?.record as? ClientQuotaRecord)?.remove == true)
        #expect(after.clientQuotas[entity(("client-id", nil))] == nil)
        #expect(try alter([entry([("client-id", nil)], [(rate, 0, true)])], on: after).result.records.isEmpty)
    }

    @Test func validateOnlyAnswersAndRecordsNothing() throws {
        let (result, image) = try alter([entry([("user", nil)], [(rate, 3, false)]), entry([("user", nil)], [(rate, -1, false)])],
                                        validateOnly: true)
        #expect(result.response.entries.map(\.errorCode) == [0, ErrorCode.invalidRequest.rawValue])
        #expect(result.records.isEmpty)
        #expect(image.clientQuotas.isEmpty)
    }

    @Test func refusalsAreInvalidRequestAndRecordNothingOfTheEntry() throws {
        let cases: [(Entry, String)] = [
            (entry([], [(rate, 1, false)]), "empty"),
            (entry([("group", "g")], [(rate, 1, false)]), "Unhandled"),
            (entry([("user", "a"), ("user", "b")], [(rate, 1, false)]), "Duplicate"),
            (entry([("ip", "10.0.0.1"), ("user", "a")], [(rate, 1, false)]), "combined"),
            (entry([("ip", nil)], [("connection_creation_rate", 1, false)]), "not enforced"),
            (entry([("user", "a")], [("producer_byte_rate", 0, false)]), "greater than 0"),
            (entry([("client-id", "a")], [("consumer_byte_rate", -1, false)]), "greater than 0"),
            (entry([("client-id", "a")], [("connection_creation_rate", 5, false)]), "Invalid configuration key"),
            (entry([("client-id", "a")], [("no_such_quota", 1, false)]), "Invalid configuration key"),
            (entry([("client-id", "a")], [(rate, 0, false)]), "greater than 0"),
            (entry([("client-id", "a")], [(rate, .nan, false)]), "greater than 0"),
            (entry([("client-id", "a")], [(rate, .infinity, false)]), "greater than 0"),
            (entry([("client-id", "a")], [(rate, 1, false), (rate, 2, false)]), "more than once"),
            // One bad op refuses the whole entry, its good op included.
            (entry([("client-id", "a")], [(rate, 1, false), ("producer_byte_rate", 0, false)]), "greater than 0"),
        ]
        for (e, words) in cases {
            let (result, image) = try alter([e])
            let r = try #require(result.response.entries.first)
            #expect(r.errorCode == ErrorCode.invalidRequest.rawValue, "\(e)")
            #expect(r.errorMessage?.contains(words) == true, "\(e): \(r.errorMessage ?? "-")")
            #expect(image.clientQuotas.isEmpty, "\(e)")
        }
    }

    @Test func entriesAreIndependentAndLaterOnesSeeEarlierOnes() throws {
        let (result, image) = try alter([
            entry([("client-id", "a")], [(rate, 1, false)]),
            entry([("client-id", "b")], [("producer_byte_rate", 0, false)]),
            entry([("client-id", "a")], [(rate, 0, true)]),
            entry([("client-id", "c")], [(rate, 4, false)]),
        ])
        #expect(result.response.entries.map(\.errorCode) == [0, ErrorCode.invalidRequest.rawValue, 0, 0])
        #expect(image.clientQuotas == [entity(("client-id", "c")): [rate: 4]])
    }

    // MARK: DescribeClientQuotas

    private func described() throws -> MetadataImage {
        try alter([
            entry([("user", "alice")], [(rate, 1, false)]),
            entry([("user", "alice"), ("client-id", "app")], [(rate, 2, false)]),
            entry([("user", nil)], [(rate, 3, false)]),
            entry([("user", nil), ("client-id", nil)], [(rate, 4, false)]),
            entry([("client-id", "app")], [(rate, 5, false)]),
            entry([("client-id", nil)], [(rate, 6, false)]),
        ]).image
    }

    private func describe(_ components: [(String, Int8, String?)], strict: Bool = false, image: MetadataImage) -> DescribeClientQuotasResponse {
        DescribeClientQuotas.handle(DescribeClientQuotasRequest(
            components: components.map { .init(entityType: $0.0, matchType: $0.1, match: $0.2) }, strict: strict), image: image)
    }

    /// The rates of the entries found, sorted: each entity's rate names it.
    private func rates(_ r: DescribeClientQuotasResponse) -> [Double] {
        (r.entries ?? []).flatMap { $0.values.filter { $0.key == rate }.map(\.value) }.sorted()
    }

    @Test func matchTypesAndStrict() throws {
        let image = try described()
        #expect(rates(describe([], image: image)) == [1, 2, 3, 4, 5, 6])
        #expect(rates(describe([], strict: true, image: image)) == [])
        #expect(rates(describe([("user", 0, "alice")], image: image)) == [1, 2])
        #expect(rates(describe([("user", 0, "alice")], strict: true, image: image)) == [1])
        #expect(rates(describe([("user", 1, nil)], image: image)) == [3, 4])
        #expect(rates(describe([("user", 0, "")], strict: true, image: image)) == [3])
        #expect(rates(describe([("user", 2, nil)], image: image)) == [1, 2, 3, 4])
        #expect(rates(describe([("user", 2, nil)], strict: true, image: image)) == [1, 3])
        #expect(rates(describe([("client-id", 0, "app")], image: image)) == [2, 5])
        #expect(rates(describe([("user", 2, nil), ("client-id", 1, nil)], strict: true, image: image)) == [4])
        #expect(rates(describe([("user", 0, "bob")], image: image)) == [])
        let one = describe([("user", 0, "alice"), ("client-id", 0, "app")], image: image)
        #expect(one.errorCode == 0)
        #expect(one.entries?.first?.entity.map(\.entityType) == ["client-id", "user"])
        #expect(one.entries?.first?.entity.map(\.entityName) == ["app", "alice"])
    }

    @Test func malformedFiltersAreInvalidRequestWithNullEntries() throws {
        let image = try described()
        let bad: [[(String, Int8, String?)]] = [
            [("", 0, "x")],
            [("group", 0, "x")],
            [("user", 0, "a"), ("user", 1, nil)],
            [("user", 0, nil)],
            [("user", 1, "a")],
            [("user", 2, "a")],
            [("user", 7, nil)],
            [("ip", 2, nil), ("user", 2, nil)],
        ]
        for components in bad {
            let r = describe(components, image: image)
            #expect(r.errorCode == ErrorCode.invalidRequest.rawValue, "\(components)")
            #expect(r.entries == nil, "\(components)")
            #expect(r.errorMessage?.isEmpty == false)
        }
        #expect(describe([("ip", 2, nil)], image: image).entries?.isEmpty == true)
    }
}
