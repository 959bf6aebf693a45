import KafkaController
import KafkaMetadata
import Testing

/// Kafka's precedence for user and client-id quotas, and the bucket each match charges.
@Suite struct ClientQuotaResolutionTests {
    let key = ClientQuotaKeys.controllerMutationRate
    let principal = QuotaPrincipal(clientID: "app")

    private func entity(_ parts: (String, String?)...) -> ClientQuotaEntity {
        ClientQuotaEntity(parts.map { .init(type: $0.0, name: $0.1) })!
    }

    /// The eight entities in precedence order, with the bucket key each one gives.
    private var ladder: [(ClientQuotaEntity, QuotaBucketKey)] {
        let both = QuotaBucketKey(user: "ANONYMOUS", clientID: "app")
        let user = QuotaBucketKey(user: "ANONYMOUS", clientID: nil)
        let client = QuotaBucketKey(user: nil, clientID: "app")
        return [
            (entity(("user", "ANONYMOUS"), ("client-id", "app")), both),
            (entity(("user", "ANONYMOUS"), ("client-id", nil)), both),
            (entity(("user", "ANONYMOUS")), user),
            (entity(("user", nil), ("client-id", "app")), both),
            (entity(("user", nil), ("client-id", nil)), both),
            (entity(("user", nil)), user),
            (entity(("client-id", "app")), client),
            (entity(("client-id", nil)), client),
        ]
    }

    @Test func eachLevelWinsOverEveryLevelBelowIt() {
        let ladder = self.ladder
        for level in ladder.indices {
            // Levels `level...` are set, each with its own rate; the highest of them must apply.
            var quotas: [ClientQuotaEntity: [String: Double]] = [:]
            for (i, (entity, _)) in ladder.enumerated() where i >= level { quotas[entity] = [key: Double(i + 1)] }
            let resolved = ClientQuotaResolution.resolve(key, for: principal, in: quotas)
            #expect(resolved?.value == Double(level + 1), "level \(level)")
            #expect(resolved?.entity == ladder[level].0, "level \(level)")
            #expect(resolved?.bucket == ladder[level].1, "level \(level)")
        }
    }

    @Test func otherNamesAndOtherKeysDoNotApply() {
        let quotas: [ClientQuotaEntity: [String: Double]] = [
            entity(("user", "bob")): [key: 1],
            entity(("client-id", "other")): [key: 2],
            entity(("user", nil), ("client-id", "other")): [key: 3],
            entity(("client-id", nil)): ["producer_byte_rate": 4],
        ]
        #expect(ClientQuotaResolution.resolve(key, for: principal, in: quotas) == nil)
        #expect(ClientQuotaResolution.resolve(key, for: principal, in: [:]) == nil)
    }

    @Test func aClientWithoutAnIDFallsUnderTheDefaultClientQuota() {
        let quotas = [entity(("client-id", nil)): [key: 5.0]]
        let resolved = ClientQuotaResolution.resolve(key, for: QuotaPrincipal(clientID: nil), in: quotas)
        #expect(resolved?.value == 5)
        #expect(resolved?.bucket == QuotaBucketKey(user: nil, clientID: ""))
    }

    @Test func clientsUnderOneDefaultQuotaHaveTheirOwnBuckets() {
        let quotas = [entity(("client-id", nil)): [key: 5.0]]
        let a = ClientQuotaResolution.resolve(key, for: QuotaPrincipal(clientID: "a"), in: quotas)
        let b = ClientQuotaResolution.resolve(key, for: QuotaPrincipal(clientID: "b"), in: quotas)
        #expect(a?.bucket != b?.bucket)
        // Under a user-only quota every client of the user shares one bucket.
        let shared = [entity(("user", "ANONYMOUS")): [key: 5.0]]
        #expect(ClientQuotaResolution.resolve(key, for: QuotaPrincipal(clientID: "a"), in: shared)?.bucket
            == ClientQuotaResolution.resolve(key, for: QuotaPrincipal(clientID: "b"), in: shared)?.bucket)
    }
}
