/// Kafka's metadata.version levels from 3.0-IV1 (1) to 3.9-IV0 (21), as Kafka 3.9's `MetadataVersion`
/// names them, with whether each changed the metadata records (`didMetadataChange`). Pure data: the
/// controller decides downgrades with it, the admin tools print levels by name.
public struct MetadataVersion: Hashable, Sendable, CustomStringConvertible {
    public let featureLevel: Int16
    /// Kafka's `version()`: release and internal version, e.g. `3.9-IV0`.
    public let name: String
    /// Whether records written at this level may differ from those of the level before it.
    public let didMetadataChange: Bool

    public static let featureName = "metadata.version"

    public static let all: [MetadataVersion] = levels.enumerated().map {
        MetadataVersion(featureLevel: Int16($0.offset + 1), name: $0.element.0, didMetadataChange: $0.element.1)
    }

    private static let levels: [(String, Bool)] = [
        ("3.0-IV1", true), ("3.1-IV0", false), ("3.2-IV0", true), ("3.3-IV0", false), ("3.3-IV1", true),
        ("3.3-IV2", true), ("3.3-IV3", true), ("3.4-IV0", true), ("3.5-IV0", false), ("3.5-IV1", false),
        ("3.5-IV2", true), ("3.6-IV0", false), ("3.6-IV1", true), ("3.6-IV2", true), ("3.7-IV0", true),
        ("3.7-IV1", false), ("3.7-IV2", true), ("3.7-IV3", false), ("3.7-IV4", false), ("3.8-IV0", false),
        ("3.9-IV0", false),
    ]

    /// The lowest level UpdateFeatures may set: 3.3-IV0, the first with FeatureLevelRecord
    /// (Kafka's `MINIMUM_BOOTSTRAP_VERSION`).
    public static let minimumBootstrapLevel: Int16 = 4

    public var description: String { name }

    public init?(featureLevel: Int16) {
        guard featureLevel >= 1, Int(featureLevel) <= Self.all.count else { return nil }
        self = Self.all[Int(featureLevel) - 1]
    }

    /// `3.7-IV2`, or a release alone (`3.7`) for its last internal version, as Kafka's `fromVersionString`.
    public init?(versionString: String) {
        if let exact = Self.all.first(where: { $0.name == versionString }) {
            self = exact
        } else if let last = Self.all.last(where: { $0.name.hasPrefix(versionString + "-") }) {
            self = last
        } else {
            return nil
        }
    }

    private init(featureLevel: Int16, name: String, didMetadataChange: Bool) {
        self.featureLevel = featureLevel
        self.name = name
        self.didMetadataChange = didMetadataChange
    }

    /// Whether going between `a` and `b` (either way) crosses a level that changed the metadata, so
    /// that records written at the higher one may not be readable at the lower (Kafka's
    /// `checkIfMetadataChanged`): some level above the lower, up to the higher, changed it.
    public static func metadataChanged(between a: MetadataVersion, and b: MetadataVersion) -> Bool {
        let low = min(a.featureLevel, b.featureLevel), high = max(a.featureLevel, b.featureLevel)
        guard low < high else { return false }
        return all[Int(low)..<Int(high)].contains { $0.didMetadataChange }
    }
}
