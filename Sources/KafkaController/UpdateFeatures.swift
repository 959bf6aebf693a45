import KafkaMetadata
import KafkaProtocol

/// UpdateFeatures (KIP-584, KIP-778), decided as Kafka 3.9's `FeatureControlManager.updateFeatures`:
/// each named feature (the last mention of a name counts) is checked on its own and gets one result,
/// in name order; the accepted ones are written as FeatureLevelRecords, unless ValidateOnly, even when
/// others were refused. A refusal is INVALID_UPDATE_VERSION with Kafka's message
/// (`Invalid update version L for feature F. <reason>`), for:
/// - an upgrade type other than 1 (upgrade), 2 (safe downgrade) or 3 (unsafe downgrade); v0's
///   AllowDowngrade means a safe downgrade, as Kafka's `UpdateFeaturesRequest.getFeature` reads it;
/// - a level below 0;
/// - a level outside what this controller (`StromFeatures`), every registered broker (a feature a
///   broker does not list is 0 only there) or, from metadata.version 3.7-IV0, every voter supports
///   (a voter that is not registered may not support it: Strom's nodes register as brokers);
/// - a lower level than the current one (0 when unset) with upgrade type 1, or a higher one with 2 or 3;
/// - for metadata.version, a level below 3.3-IV0, and a downgrade across a level that changed the
///   metadata records (refused with either downgrade type: Kafka supports no unsafe downgrade);
/// - for kraft.version, any level but the quorum's own: the quorum runs it, not the image, and
///   Strom does not change it (an update to the current level succeeds and writes nothing).
/// Level 0 turns a feature off (kept as 0 in the image, so registrations do not finalize it again).
public enum UpdateFeatures {
    /// Kafka's `FeatureUpdate.UpgradeType`.
    public enum UpgradeType: Int8, Sendable {
        case upgrade = 1, safeDowngrade = 2, unsafeDowngrade = 3
    }

    /// What the decision needs beyond the image: this controller's id, the quorum's voters and its kraft.version.
    public struct Quorum: Sendable {
        public var controllerID: Int32
        public var voters: [Int32]
        public var kraftVersion: Int16

        public init(controllerID: Int32, voters: [Int32], kraftVersion: Int16) {
            self.controllerID = controllerID
            self.voters = voters
            self.kraftVersion = kraftVersion
        }
    }

    public static func handle(_ request: UpdateFeaturesRequest, version: Int16, image: MetadataImage,
                              quorum: Quorum) -> ControllerResult<UpdateFeaturesResponse> {
        var updates: [String: (level: Int16, type: Int8)] = [:]
        for update in request.featureUpdates {
            let type = version == 0 ? (update.allowDowngrade ? UpgradeType.safeDowngrade.rawValue : UpgradeType.upgrade.rawValue)
                : update.upgradeType
            updates[update.feature] = (update.maxVersionLevel, type)
        }
        var records: [MetadataRecordAndVersion] = []
        var response = UpdateFeaturesResponse()
        for name in updates.keys.sorted() {
            let (level, type) = updates[name]!
            switch decide(name, level: level, type: type, image: image, quorum: quorum) {
            case let .accepted(record):
                if let record { records.append(MetadataRecordAndVersion(record, version: 0)) }
                response.results.append(.init(feature: name, errorCode: 0, errorMessage: nil))
            case let .refused(message):
                response.results.append(.init(feature: name, errorCode: ErrorCode.invalidUpdateVersion.rawValue, errorMessage: message))
            }
        }
        return ControllerResult(records: request.validateOnly ? [] : records, response: response)
    }

    enum Decision: Equatable {
        case accepted(FeatureLevelRecord?)
        case refused(String)
    }

    static func decide(_ name: String, level: Int16, type: Int8, image: MetadataImage, quorum: Quorum) -> Decision {
        func refuse(_ reason: String) -> Decision { .refused("Invalid update version \(level) for feature \(name). \(reason)") }
        guard let upgradeType = UpgradeType(rawValue: type) else { return refuse("The controller does not support the given upgrade type.") }
        let isKRaft = name == StromFeatures.kraftVersionName
        let current = isKRaft ? quorum.kraftVersion : image.features[name] ?? 0
        if level < 0 { return refuse("A feature version cannot be less than 0.") }
        if isKRaft {
            return level == current ? .accepted(nil)
                : refuse("The metadata quorum runs kraft.version \(current), which Strom does not change.")
        }
        if let reason = reasonNotSupported(name, level: level, image: image, quorum: quorum) { return refuse(reason) }
        if level < current && upgradeType == .upgrade {
            return refuse("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.")
        }
        if level > current && upgradeType != .upgrade { return refuse("Can't downgrade to a newer version.") }
        if name == MetadataVersion.featureName {
            if let reason = metadataVersionProblem(level, current: current, unsafe: upgradeType == .unsafeDowngrade) {
                return .refused("Invalid metadata.version \(level). \(reason)")
            }
        }
        return .accepted(FeatureLevelRecord(name: name, featureLevel: level))
    }

    /// Why `level` of `name` is not supported somewhere in the cluster (Kafka's `reasonNotSupported`).
    static func reasonNotSupported(_ name: String, level: Int16, image: MetadataImage, quorum: Quorum) -> String? {
        if let reason = reason(level, "Local controller \(quorum.controllerID)", StromFeatures.levels(of: name) ?? 0...0) { return reason }
        for broker in image.brokers.values.sorted(by: { $0.id < $1.id }) {
            if let reason = reason(level, "Broker \(broker.id)", broker.supportedFeatures[name] ?? 0...0) { return reason }
        }
        // Kafka checks the controllers' registrations from 3.7-IV0, the level that introduced them.
        if (image.features[MetadataVersion.featureName] ?? 0) >= 15 {
            for voter in quorum.voters.sorted() where voter != quorum.controllerID && image.brokers[voter] == nil {
                return "controller \(voter) has not registered, and may not support this feature"
            }
        }
        return nil
    }

    /// Kafka's `QuorumFeatures.reasonNotSupported`, with `VersionRange`'s way of printing a range.
    static func reason(_ level: Int16, _ who: String, _ range: ClosedRange<Int16>) -> String? {
        if range.contains(level) { return nil }
        if range.upperBound == 0 { return "\(who) does not support this feature." }
        let printed = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
        return "\(who) only supports versions \(printed)"
    }

    /// Kafka's `updateMetadataVersion` checks, past the range checks.
    static func metadataVersionProblem(_ level: Int16, current: Int16, unsafe: Bool) -> String? {
        guard let target = MetadataVersion(featureLevel: level) else { return "Unknown metadata.version." }
        if level < MetadataVersion.minimumBootstrapLevel {
            return "Unable to set a metadata.version less than \(MetadataVersion(featureLevel: MetadataVersion.minimumBootstrapLevel)!)"
        }
        guard level < current, let from = MetadataVersion(featureLevel: current),
              MetadataVersion.metadataChanged(between: from, and: target) else { return nil }
        return unsafe ? "Unsafe metadata downgrade is not supported in this version."
            : "Refusing to perform the requested downgrade because it might delete metadata information."
    }
}
