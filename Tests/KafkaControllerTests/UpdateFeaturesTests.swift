import KafkaController
import KafkaMetadata
import KafkaProtocol
import Testing

/// UpdateFeatures as Kafka 3.9's FeatureControlManager decides it, message for message.
@Suite struct UpdateFeaturesTests {
    static let mv = MetadataVersion.featureName
    static let elr = EligibleLeaderReplicas.featureName
    static let tv = TransactionVersionFeature.featureName
    static let everything: [String: ClosedRange<Int16>] = [mv: 7...21, elr: 0...1, tv: 0...2]
    static let quorum = UpdateFeatures.Quorum(controllerID: 1, voters: [1], kraftVersion: 1)

    /// Brokers supporting the given ranges, and the finalized levels.
    static func image(brokers: [Int32: [String: ClosedRange<Int16>]] = [1: everything, 2: everything],
                      finalized: [String: Int16] = [mv: 21, elr: 1, tv: 1]) throws -> MetadataImage {
        var delta = MetadataDelta(base: .empty)
        for (name, level) in finalized { try delta.replay(FeatureLevelRecord(name: name, featureLevel: level)) }
        for (id, features) in brokers {
            try delta.replay(BrokerRegistration(id: id, incarnationID: KafkaUUID(mostSignificantBits: UInt64(id), leastSignificantBits: 1),
                                                epoch: Int64(id) * 100, endpoints: [], fenced: false, supportedFeatures: features).record)
        }
        return delta.apply(provenance: .init(offset: 300, epoch: 1))
    }

    static func request(_ updates: [(String, Int16, Int8)], validateOnly: Bool = false) -> UpdateFeaturesRequest {
        UpdateFeaturesRequest(featureUpdates: updates.map { .init(feature: $0.0, maxVersionLevel: $0.1, upgradeType: $0.2) },
                              validateOnly: validateOnly)
    }

    static func decide(_ updates: [(String, Int16, Int8)], version: Int16 = 1, on image: MetadataImage,
                       quorum: UpdateFeatures.Quorum = UpdateFeaturesTests.quorum) -> ControllerResult<UpdateFeaturesResponse> {
        UpdateFeatures.handle(request(updates), version: version, image: image, quorum: quorum)
    }

    /// The single result's message, nil when it succeeded.
    static func refusal(_ updates: [(String, Int16, Int8)], version: Int16 = 1, on image: MetadataImage,
                        quorum: UpdateFeatures.Quorum = UpdateFeaturesTests.quorum) -> String? {
        let result = decide(updates, version: version, on: image, quorum: quorum)
        guard let r = result.response.results.first, r.errorCode != 0 else { return nil }
        #expect(r.errorCode == ErrorCode.invalidUpdateVersion.rawValue)
        return r.errorMessage
    }

    static func replay(_ records: [MetadataRecordAndVersion], on image: MetadataImage) throws -> MetadataImage {
        var delta = MetadataDelta(base: image)
        for r in records { try delta.replay(r.record) }
        return delta.apply(provenance: image.provenance)
    }

    @Test func anUpgradeEveryBrokerSupportsIsWrittenAsAFeatureLevelRecord() throws {
        let image = try Self.image()
        let result = Self.decide([(Self.tv, 2, 1)], on: image)
        #expect(result.response.errorCode == 0 && result.response.results.map(\.feature) == [Self.tv])
        #expect(result.response.results.first?.errorCode == 0 && result.response.results.first?.errorMessage == nil)
        #expect(result.records.map { $0.record as? FeatureLevelRecord } == [FeatureLevelRecord(name: Self.tv, featureLevel: 2)])
        #expect(try Self.replay(result.records, on: image).finalizedFeatures == [Self.mv: 21, Self.elr: 1, Self.tv: 2])
    }

    /// Kafka 3.9 writes the accepted updates of a request even when others are refused; results are by name.
    @Test func eachFeatureIsDecidedOnItsOwnInNameOrder() throws {
        let result = Self.decide([(Self.tv, 2, 1), ("group.version", 1, 1), (Self.mv, 20, 1)], on: try Self.image())
        #expect(result.response.results.map(\.feature) == ["group.version", Self.mv, Self.tv])
        #expect(result.response.results.map(\.errorCode) == [ErrorCode.invalidUpdateVersion.rawValue, ErrorCode.invalidUpdateVersion.rawValue, 0])
        #expect(result.response.results[0].errorMessage
            == "Invalid update version 1 for feature group.version. Local controller 1 does not support this feature.")
        #expect(result.records.map { $0.record as? FeatureLevelRecord } == [FeatureLevelRecord(name: Self.tv, featureLevel: 2)])
    }

    @Test func everyRegisteredBrokerMustSupportTheLevel() throws {
        var old = Self.everything
        old[Self.tv] = 0...1
        old[Self.elr] = nil
        let image = try Self.image(brokers: [1: Self.everything, 2: old], finalized: [Self.mv: 21, Self.tv: 1])
        #expect(Self.refusal([(Self.tv, 2, 1)], on: image)
            == "Invalid update version 2 for feature transaction.version. Broker 2 only supports versions 0-1")
        #expect(Self.refusal([(Self.elr, 1, 1)], on: image)
            == "Invalid update version 1 for feature eligible.leader.replicas.version. Broker 2 does not support this feature.")
        #expect(Self.refusal([(Self.tv, 3, 1)], on: image)
            == "Invalid update version 3 for feature transaction.version. Local controller 1 only supports versions 0-2")
        // From 3.7-IV0 the voters must be registered too: voter 3 never was.
        #expect(Self.refusal([(Self.tv, 1, 1)], on: image, quorum: .init(controllerID: 1, voters: [1, 3], kraftVersion: 1))
            == "Invalid update version 1 for feature transaction.version. controller 3 has not registered, and may not support this feature")
    }

    @Test func aDowngradeMustBeAskedForAndAnUpgradeMustNotBe() throws {
        let image = try Self.image(finalized: [Self.mv: 21, Self.tv: 2])
        #expect(Self.refusal([(Self.tv, 1, 1)], on: image) == "Invalid update version 1 for feature transaction.version. "
            + "Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.")
        #expect(Self.refusal([(Self.elr, 1, 2)], on: image)
            == "Invalid update version 1 for feature eligible.leader.replicas.version. Can't downgrade to a newer version.")
        #expect(Self.refusal([(Self.tv, 1, 4)], on: image)
            == "Invalid update version 1 for feature transaction.version. The controller does not support the given upgrade type.")
        #expect(Self.refusal([(Self.tv, -1, 2)], on: image)
            == "Invalid update version -1 for feature transaction.version. A feature version cannot be less than 0.")
        #expect(Self.refusal([(Self.tv, 1, 2)], on: image) == nil)
        #expect(Self.refusal([(Self.tv, 0, 3)], on: image) == nil)
        // v0 has no upgrade type: AllowDowngrade asks for a safe downgrade.
        var v0 = UpdateFeaturesRequest(featureUpdates: [.init(feature: Self.tv, maxVersionLevel: 1, allowDowngrade: true)])
        #expect(UpdateFeatures.handle(v0, version: 0, image: image, quorum: Self.quorum).response.results.first?.errorCode == 0)
        v0.featureUpdates[0].allowDowngrade = false
        v0.featureUpdates[0].upgradeType = 2
        #expect(UpdateFeatures.handle(v0, version: 0, image: image, quorum: Self.quorum).response.results.first?.errorCode
            == ErrorCode.invalidUpdateVersion.rawValue)
    }

    /// Kafka's table: 3.8-IV0 down to 3.7-IV3 changed no metadata, 3.7-IV2 did.
    @Test func metadataVersionGoesDownOnlyToTheLevelThatLastChangedTheMetadata() throws {
        let image = try Self.image()
        #expect(Self.refusal([(Self.mv, 17, 2)], on: image) == nil)
        #expect(Self.decide([(Self.mv, 17, 2)], on: image).records.map { $0.record as? FeatureLevelRecord }
            == [FeatureLevelRecord(name: Self.mv, featureLevel: 17)])
        #expect(Self.refusal([(Self.mv, 16, 2)], on: image)
            == "Invalid metadata.version 16. Refusing to perform the requested downgrade because it might delete metadata information.")
        #expect(Self.refusal([(Self.mv, 16, 3)], on: image) == "Invalid metadata.version 16. Unsafe metadata downgrade is not supported in this version.")
        #expect(Self.refusal([(Self.mv, 6, 2)], on: image)
            == "Invalid update version 6 for feature metadata.version. Local controller 1 only supports versions 7-21")
        // Back up again from 17.
        let lowered = try Self.replay(Self.decide([(Self.mv, 17, 2)], on: image).records, on: image)
        #expect(Self.refusal([(Self.mv, 21, 1)], on: lowered) == nil)
        #expect(MetadataVersion(featureLevel: 17)?.name == "3.7-IV2" && MetadataVersion(versionString: "3.7")?.featureLevel == 19)
        #expect(MetadataVersion(versionString: "3.9-IV0")?.featureLevel == 21 && MetadataVersion(versionString: "2.8") == nil)
    }

    @Test func validateOnlyDecidesButWritesNothing() throws {
        let result = UpdateFeatures.handle(Self.request([(Self.tv, 2, 1)], validateOnly: true), version: 1, image: try Self.image(), quorum: Self.quorum)
        #expect(result.response.results.first?.errorCode == 0 && result.records.isEmpty)
    }

    @Test func kraftVersionIsTheQuorumsAndStaysAsItIs() throws {
        let image = try Self.image()
        let same = Self.decide([(StromFeatures.kraftVersionName, 1, 1)], on: image)
        #expect(same.response.results.first?.errorCode == 0 && same.records.isEmpty)
        #expect(Self.refusal([(StromFeatures.kraftVersionName, 0, 2)], on: image)
            == "Invalid update version 0 for feature kraft.version. The metadata quorum runs kraft.version 1, which Strom does not change.")
    }

    /// Level 0 stays in the image (and its snapshot) as "off", so the next registration does not
    /// finalize the feature again, and clients no longer see it.
    @Test func aDisabledFeatureStaysOffThroughRegistrationsAndSnapshots() throws {
        var image = try Self.image(finalized: [Self.mv: 21, Self.elr: 1, Self.tv: 2])
        let disable = Self.decide([(Self.elr, 0, 2), (Self.tv, 0, 2)], on: image)
        #expect(disable.response.results.allSatisfy { $0.errorCode == 0 } && disable.records.count == 2)
        image = try Self.replay(disable.records, on: image)
        #expect(!EligibleLeaderReplicas.isEnabled(image) && image.finalizedFeatures == [Self.mv: 21])
        var registration = BrokerRegistrationRequest(brokerID: 3, clusterID: "cluster", incarnationID: KafkaUUID(mostSignificantBits: 3, leastSignificantBits: 3))
        registration.features = StromFeatures.supported.map { .init(name: $0.name, minSupportedVersion: $0.levels.lowerBound, maxSupportedVersion: $0.levels.upperBound) }
        let registered = BrokerLifecycle.register(registration, image: image, clusterID: "cluster", nextOffset: 301, unclean: ClusterFixture.clean)
        #expect(registered.response.errorCode == 0 && !registered.records.contains { $0.record is FeatureLevelRecord })
        var restored = MetadataDelta(base: .empty)
        for r in image.snapshotRecords() { try restored.replay(r.record) }
        #expect(restored.current.features == [Self.mv: 21, Self.elr: 0, Self.tv: 0])
    }

    /// A registration must support the finalized metadata.version, whatever level UpdateFeatures left it at.
    @Test func registrationsFollowTheFinalizedMetadataVersion() throws {
        let lowered = try Self.replay(Self.decide([(Self.mv, 17, 2)], on: try Self.image()).records, on: try Self.image())
        func register(_ range: ClosedRange<Int16>) -> Int16 {
            var r = BrokerRegistrationRequest(brokerID: 3, clusterID: "cluster", incarnationID: KafkaUUID(mostSignificantBits: 3, leastSignificantBits: 3))
            r.features = [.init(name: Self.mv, minSupportedVersion: range.lowerBound, maxSupportedVersion: range.upperBound),
                          .init(name: Self.tv, minSupportedVersion: 0, maxSupportedVersion: 2)]
            return BrokerLifecycle.register(r, image: lowered, clusterID: "cluster", nextOffset: 301, unclean: ClusterFixture.clean).response.errorCode
        }
        #expect(register(7...17) == 0)
        #expect(register(18...21) == ErrorCode.unsupportedVersion.rawValue)
    }
}
