import Foundation
import KafkaMetadata
import KafkaProtocol

/// What `strom features upgrade|downgrade|disable` asks for, checked as kafka-features.sh checks it
/// (pure): `--metadata` names a metadata.version (`3.7-IV2`, or `3.7` for its last), each `--feature`
/// is `name=level` (for disable, a name: level 0), no feature twice, at least one. The upgrade type is
/// 1 for upgrade, 2 (safe) or with `--unsafe` 3 for downgrade and disable.
public struct FeaturePlan: Hashable, Sendable {
    public var command: String
    public var updates: [String: Int16]
    public var upgradeType: Int8
    public var dryRun: Bool

    public init(command: String, arguments a: ToolArguments) throws {
        self.command = command
        dryRun = a.has("dry-run")
        upgradeType = command == "upgrade" ? 1 : (a.has("unsafe") ? 3 : 2)
        updates = [:]
        if let metadata = a.value("metadata") {
            guard let version = MetadataVersion(versionString: metadata) else {
                let supported = MetadataVersion.all.filter { $0.featureLevel >= MetadataVersion.minimumBootstrapLevel }.map(\.name)
                throw ToolFailure("Unsupported metadata.version \(metadata). Supported metadata.version are \(supported.joined(separator: ", "))")
            }
            updates[MetadataVersion.featureName] = version.featureLevel
        }
        for feature in a.values("feature") {
            let (name, level) = try command == "disable" ? (feature, 0) : Self.nameAndLevel(feature)
            guard updates.updateValue(level, forKey: name) == nil else { throw ToolFailure("Feature \(name) was specified more than once.") }
        }
        if updates.isEmpty { throw ToolFailure("You must specify at least one feature to \(command)") }
    }

    /// `name=level`, both trimmed, the level a 16-bit integer (Kafka's `parseNameAndLevel`).
    static func nameAndLevel(_ input: String) throws -> (String, Int16) {
        guard let eq = input.firstIndex(of: "=") else {
            throw ToolFailure("Can't parse feature=level string \(input): equals sign not found.")
        }
        let name = input[..<eq].trimmingCharacters(in: .whitespaces)
        let levelText = input[input.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        guard let level = Int16(levelText) else {
            throw ToolFailure("Can't parse feature=level string \(input): unable to parse \(levelText) as a short.")
        }
        return (name, level)
    }

    /// The UpdateFeatures request at `version`: v0 says a downgrade with AllowDowngrade, v1 with
    /// UpgradeType (each field exists in its version only).
    public func request(version: Int16) -> UpdateFeaturesRequest {
        UpdateFeaturesRequest(timeoutMs: 30_000, featureUpdates: updates.keys.sorted().map {
            .init(feature: $0, maxVersionLevel: updates[$0]!, allowDowngrade: version == 0 && upgradeType != 1,
                  upgradeType: version == 0 ? 1 : upgradeType)
        }, validateOnly: dryRun)
    }
}

/// kafka-features.sh's output (pure).
public enum FeatureFormat {
    /// A metadata.version level by its name (`UNKNOWN n` for one Kafka 3.9 does not know), any other
    /// feature's level as a number (Kafka's `levelToString`).
    public static func level(_ feature: String, _ level: Int16) -> String {
        guard feature == MetadataVersion.featureName else { return "\(level)" }
        return MetadataVersion(featureLevel: level)?.name ?? "UNKNOWN \(level)"
    }

    /// `describe`: a line per supported feature, by name, with its finalized level (0 when not
    /// finalized) and the finalized features' epoch (`-` when the node reports none).
    public static func describe(_ r: ApiVersionsResponse) -> String {
        let finalized = Dictionary(r.finalizedFeatures.map { ($0.name, $0.maxVersionLevel) }, uniquingKeysWith: { a, _ in a })
        let epoch = r.finalizedFeaturesEpoch >= 0 ? "\(r.finalizedFeaturesEpoch)" : "-"
        return r.supportedFeatures.sorted { $0.name < $1.name }.map { f in
            "Feature: \(f.name)\tSupportedMinVersion: \(level(f.name, f.minVersion))\tSupportedMaxVersion: \(level(f.name, f.maxVersion))"
                + "\tFinalizedVersionLevel: \(level(f.name, finalized[f.name] ?? 0))\tEpoch: \(epoch)\n"
        }.joined()
    }

    /// The lines for an UpdateFeatures answer, by feature name, and how many failed. A top-level error
    /// fails every feature with its message; a feature the answer leaves out fails too.
    public static func updateReport(_ plan: FeaturePlan, _ r: UpdateFeaturesResponse) -> (String, Int) {
        let topLevel = KafkaFailure(code: r.errorCode, message: r.errorMessage)
        var failures = 0, text = ""
        for name in plan.updates.keys.sorted() {
            let level = plan.updates[name]!
            let failure: String?
            if let topLevel {
                failure = topLevel.description
            } else if let result = r.results.first(where: { $0.feature == name }) {
                failure = KafkaFailure(code: result.errorCode, message: result.errorMessage)?.description
            } else {
                failure = "The controller response did not contain a result for feature \(name)"
            }
            let op = plan.command
            if let failure {
                failures += 1
                let what = op == "disable" ? "disable \(name)" : "\(op) \(name) to \(level)"
                text += "\(plan.dryRun ? "Can not " : "Could not ")\(what). \(failure)\n"
            } else {
                text += "\(name)\(plan.dryRun ? " can be " : " was ")\(op == "disable" ? "disabled." : "\(op)d to \(level).")\n"
            }
        }
        return (text, failures)
    }
}
