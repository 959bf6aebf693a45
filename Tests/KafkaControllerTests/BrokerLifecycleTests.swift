import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// Registration, heartbeats and fencing as the active controller decides them.
@Suite struct BrokerLifecycleTests {
    let topicID = KafkaUUID(mostSignificantBits: 9, leastSignificantBits: 9)
    let clean = ClusterFixture.clean

    private func registration(_ id: Int32, incarnation: UInt64 = 1, min: Int16 = 7, max: Int16 = 21,
                              transactionVersions: ClosedRange<Int16>? = 0...2) -> BrokerRegistrationRequest {
        var r = BrokerRegistrationRequest()
        r.brokerID = id
        r.clusterID = "cluster"
        r.incarnationID = KafkaUUID(mostSignificantBits: incarnation, leastSignificantBits: 1)
        r.listeners = [.init(name: "PLAINTEXT", host: "127.0.0.1", port: 9092, securityProtocol: 0)]
        r.features = [.init(name: "metadata.version", minSupportedVersion: min, maxSupportedVersion: max)]
        if let transactionVersions {
            r.features.append(.init(name: TransactionVersionFeature.featureName, minSupportedVersion: transactionVersions.lowerBound,
                                    maxSupportedVersion: transactionVersions.upperBound))
        }
        return r
    }

    /// transaction.version 2 is finalized only once every registered broker and the registering one
    /// support it (a broker from before it would answer a Kafka 4.x producer's Produce v11 without
    /// adding the partition); after that, a broker without it is refused.
    @Test func transactionVersion2WaitsForEveryBrokerAndThenRefusesThoseWithout() throws {
        let old = BrokerLifecycle.register(registration(1, transactionVersions: nil), image: .empty, clusterID: "cluster", nextOffset: 0, unclean: clean)
        #expect(old.response.errorCode == 0)
        var image = try replay(old.records, on: .empty)
        #expect(image.features[TransactionVersionFeature.featureName] == nil, "the registering broker does not support it")
        let new = BrokerLifecycle.register(registration(2), image: image, clusterID: "cluster", nextOffset: 10, unclean: clean)
        #expect(new.response.errorCode == 0)
        image = try replay(new.records, on: image)
        #expect(image.features[TransactionVersionFeature.featureName] == nil, "broker 1 does not support it")
        // Broker 1 restarts upgraded: now every broker supports it.
        let upgraded = BrokerLifecycle.register(registration(1, incarnation: 2), image: image, clusterID: "cluster", nextOffset: 20, unclean: clean)
        #expect(upgraded.response.errorCode == 0)
        image = try replay(upgraded.records, on: image)
        #expect(image.features[TransactionVersionFeature.featureName] == 2)
        // A broker that cannot serve it may no longer join.
        for range: ClosedRange<Int16>? in [nil, 0...1] {
            let refused = BrokerLifecycle.register(registration(3, transactionVersions: range), image: image, clusterID: "cluster",
                                                   nextOffset: 30, unclean: clean)
            #expect(refused.response.errorCode == ErrorCode.unsupportedVersion.rawValue && refused.records.isEmpty)
        }
    }

    /// `strom format --add-scram`'s records are committed with the cluster's first registration, after
    /// the features, and never again.
    @Test func bootstrapRecordsComeWithTheFirstRegistrationOnly() throws {
        let scram = MetadataRecordAndVersion(UserScramCredentialRecord(name: "broker", mechanism: 2, salt: [1], storedKey: [2], serverKey: [3],
                                                                       iterations: 8192), version: 0)
        let first = BrokerLifecycle.register(registration(1), image: .empty, clusterID: "cluster", nextOffset: 0, unclean: clean, bootstrap: [scram])
        #expect(first.records.count == 5 && first.response.brokerEpoch == 4)
        #expect(first.records[0].record is FeatureLevelRecord && first.records[3].record is UserScramCredentialRecord)
        let image = try replay(first.records, on: .empty)
        #expect(image.scramCredentials[.init(user: "broker", mechanism: 2)]?.iterations == 8192)
        let second = BrokerLifecycle.register(registration(2), image: image, clusterID: "cluster", nextOffset: 5, unclean: clean, bootstrap: [scram])
        #expect(!second.records.contains { $0.record is UserScramCredentialRecord })
    }

    private func replay(_ records: [MetadataRecordAndVersion], on image: MetadataImage) throws -> MetadataImage {
        var delta = MetadataDelta(base: image)
        for r in records { try delta.replay(r.record) }
        return delta.apply(provenance: image.provenance)
    }

    @Test func registrationIsFencedAtItsOffsetAndUnfencedOnceCaughtUp() throws {
        let result = BrokerLifecycle.register(registration(2), image: .empty, clusterID: "cluster", nextOffset: 10, unclean: clean)
        #expect(result.response.errorCode == 0)
        // metadata.version, eligible.leader.replicas.version and transaction.version come first on an
        // empty log, so the registration is the fourth record.
        #expect(result.records.count == 4 && result.response.brokerEpoch == 13)
        let features = result.records.prefix(3).compactMap { $0.record as? FeatureLevelRecord }
        #expect(features.map(\.name) == ["metadata.version", EligibleLeaderReplicas.featureName, TransactionVersionFeature.featureName])
        #expect(features.last?.featureLevel == 2)
        var image = try replay(result.records, on: .empty)
        #expect(image.brokers[2]?.fenced == true && image.brokers[2]?.epoch == 13)
        #expect(EligibleLeaderReplicas.isEnabled(image))
        // A retry of the same incarnation keeps the epoch and writes nothing.
        let retry = BrokerLifecycle.register(registration(2), image: image, clusterID: "cluster", nextOffset: 30, unclean: clean)
        #expect(retry.records.isEmpty && retry.response.brokerEpoch == 13)

        var heartbeat = BrokerHeartbeatRequest(brokerID: 2, brokerEpoch: 13, currentMetadataOffset: 12)
        let early = BrokerLifecycle.heartbeat(heartbeat, image: image, unclean: clean, sessions: BrokerSessions())
        #expect(early.records.isEmpty && early.response.isFenced && !early.response.isCaughtUp)
        heartbeat.currentMetadataOffset = 13
        let caughtUp = BrokerLifecycle.heartbeat(heartbeat, image: image, unclean: clean, sessions: BrokerSessions())
        #expect(!caughtUp.response.isFenced && caughtUp.response.isCaughtUp)
        image = try replay(caughtUp.records, on: image)
        #expect(image.brokers[2]?.fenced == false)
        heartbeat.brokerEpoch = 5
        #expect(BrokerLifecycle.heartbeat(heartbeat, image: image, unclean: clean, sessions: BrokerSessions()).response.errorCode == ErrorCode.staleBrokerEpoch.rawValue)
    }

    @Test func malformedOrUnsupportedFeatureRangesAreRefused() {
        let inverted = BrokerLifecycle.register(registration(1, min: 21, max: 7), image: .empty, clusterID: "cluster", nextOffset: 0, unclean: clean)
        #expect(inverted.response.errorCode == ErrorCode.invalidRegistration.rawValue && inverted.records.isEmpty)
        let old = BrokerLifecycle.register(registration(1, min: 1, max: 6), image: .empty, clusterID: "cluster", nextOffset: 0, unclean: clean)
        #expect(old.response.errorCode == ErrorCode.unsupportedVersion.rawValue)
        var longHost = registration(1)
        longHost.listeners = [.init(name: "PLAINTEXT", host: String(repeating: "h", count: 40_000), port: 9092, securityProtocol: 0)]
        let refused = BrokerLifecycle.register(longHost, image: .empty, clusterID: "cluster", nextOffset: 0, unclean: clean)
        #expect(refused.response.errorCode == ErrorCode.invalidRegistration.rawValue && refused.records.isEmpty)
        let foreign = BrokerLifecycle.register(registration(1), image: .empty, clusterID: "other", nextOffset: 0, unclean: clean)
        #expect(foreign.response.errorCode == ErrorCode.inconsistentClusterID.rawValue)
    }

    @Test func fencingTakesLeadershipAwayAndUnfencingGivesItBack() throws {
        var image = try replay(BrokerLifecycle.register(registration(1), image: .empty, clusterID: "cluster", nextOffset: 0, unclean: clean).records, on: .empty)
        image = try replay([MetadataRecordAndVersion(TopicRecord(name: "t", topicID: topicID), version: 0)]
            + (0..<2).map { p in MetadataRecordAndVersion(PartitionRecord(partitionID: p, topicID: topicID, replicas: [1], isr: [1], leader: 1,
                                                                          leaderEpoch: 0, partitionEpoch: 0), version: 0) },
            on: image)
        let broker = try #require(image.brokers[1])
        image = try replay(BrokerLifecycle.unfence(broker, image: image, unclean: clean), on: image)
        image = try replay(BrokerLifecycle.fence(image.brokers[1]!, image: image, unclean: clean), on: image)
        #expect(image.brokers[1]?.fenced == true)
        #expect(image.topic(named: "t")?.partitions.values.map(\.leader) == [-1, -1])
        // The ISR empties into the ELR (the ELR is on from the first registration): its last member is
        // the one replica known to hold every record.
        #expect(image.topic(named: "t")?.partitions.values.allSatisfy { $0.isr.isEmpty && $0.elr == [1] && $0.lastKnownElr == [1] } == true)
        image = try replay(BrokerLifecycle.unfence(image.brokers[1]!, image: image, unclean: clean), on: image)
        #expect(image.brokers[1]?.fenced == false)
        let partitions = try #require(image.topic(named: "t")?.partitions)
        #expect(partitions.values.allSatisfy { $0.leader == 1 && $0.leaderEpoch == 2 && $0.isr == [1] && $0.elr.isEmpty && $0.lastKnownElr.isEmpty })
        // Sessions: only unfenced brokers silent for longer than the timeout expire.
        var sessions = BrokerSessions()
        sessions.reset(brokers: [1], now: 1_000)
        #expect(sessions.expired(image: image, now: 5_000, sessionTimeoutMs: 9_000).isEmpty)
        #expect(sessions.expired(image: image, now: 10_001, sessionTimeoutMs: 9_000).map(\.id) == [1])
        sessions.touch(1, now: 10_000)
        #expect(sessions.expired(image: image, now: 10_001, sessionTimeoutMs: 9_000).isEmpty)
    }
}
