import StromConfig

/// Kafka's topic-level configuration keys: their types, the broker keys they default from
/// (synonyms), and what values are valid.
public struct TopicConfigDefinition: Sendable {
    /// Kafka's `ConfigType` numbers as DescribeConfigs v3+ reports them.
    public enum ValueType: Int8, Sendable {
        case boolean = 1, string = 2, int = 3, short = 4, long = 5, double = 6, list = 7, `class` = 8, password = 9
    }

    public var name: String
    public var type: ValueType
    /// The broker key whose value is the default, when there is one.
    public var brokerSynonym: String?
    public var defaultValue: @Sendable (ServerConfig) -> String
    public var isValid: @Sendable (String) -> Bool

    /// The broker's value: its dynamic one (this node's, else the cluster default), else the static one.
    public func brokerValue(_ config: ServerConfig) -> String {
        if let b = brokerSynonym {
            let dynamic = config.dynamicLayers(b)
            if let v = dynamic.perBroker ?? dynamic.clusterDefault { return v }
        }
        return defaultValue(config)
    }
}

public enum TopicConfigs {
    static let longMax = String(Int64.max)

    private static func long(_ min: Int64, _ max: Int64 = .max) -> @Sendable (String) -> Bool {
        { Int64($0).map { $0 >= min && $0 <= max } ?? false }
    }

    private static func oneOf(_ values: Set<String>) -> @Sendable (String) -> Bool {
        { values.contains($0) }
    }

    public static let definitions: [TopicConfigDefinition] = [
        .init(name: "cleanup.policy", type: .list, brokerSynonym: "log.cleanup.policy", defaultValue: { c in c.logCleanupPolicy },
              isValid: { value in
                  let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { $0 != " " } }
                  return !items.isEmpty && items.allSatisfy { $0 == "delete" || $0 == "compact" }
              }),
        .init(name: "compression.type", type: .string, brokerSynonym: "compression.type", defaultValue: { _ in "producer" },
              isValid: oneOf(["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"])),
        .init(name: "delete.retention.ms", type: .long, brokerSynonym: "log.cleaner.delete.retention.ms", defaultValue: { _ in "86400000" }, isValid: long(0)),
        .init(name: "file.delete.delay.ms", type: .long, brokerSynonym: "log.segment.delete.delay.ms", defaultValue: { _ in "60000" }, isValid: long(0)),
        .init(name: "flush.messages", type: .long, brokerSynonym: "log.flush.interval.messages",
              defaultValue: { c in c.logFlushIntervalMessages.map(String.init) ?? longMax }, isValid: long(1)),
        .init(name: "flush.ms", type: .long, brokerSynonym: "log.flush.interval.ms",
              defaultValue: { c in c.logFlushIntervalMs.map(String.init) ?? longMax }, isValid: long(0)),
        .init(name: "index.interval.bytes", type: .int, brokerSynonym: "log.index.interval.bytes",
              defaultValue: { c in String(c.logIndexIntervalBytes) }, isValid: long(0, Int64(Int32.max))),
        .init(name: "max.compaction.lag.ms", type: .long, brokerSynonym: "log.cleaner.max.compaction.lag.ms", defaultValue: { _ in longMax }, isValid: long(1)),
        .init(name: "max.message.bytes", type: .int, brokerSynonym: "message.max.bytes",
              defaultValue: { c in String(c.messageMaxBytes) }, isValid: long(0, Int64(Int32.max))),
        .init(name: "message.downconversion.enable", type: .boolean, brokerSynonym: "log.message.downconversion.enable",
              defaultValue: { c in String(c.logMessageDownconversionEnable) }, isValid: oneOf(["true", "false"])),
        // Deprecated in Kafka 3.x and ignored there (logs are always written as v2 batches since 3.0);
        // accepted, validated and described as Kafka 3.9 does, for clients that still set it (librdkafka 0092).
        .init(name: "message.format.version", type: .string, brokerSynonym: "log.message.format.version",
              defaultValue: { _ in "3.0-IV1" }, isValid: isMessageFormatVersion),
        .init(name: "message.timestamp.after.max.ms", type: .long, brokerSynonym: "log.message.timestamp.after.max.ms", defaultValue: { _ in longMax }, isValid: long(0)),
        .init(name: "message.timestamp.before.max.ms", type: .long, brokerSynonym: "log.message.timestamp.before.max.ms", defaultValue: { _ in longMax }, isValid: long(0)),
        .init(name: "message.timestamp.type", type: .string, brokerSynonym: "log.message.timestamp.type", defaultValue: { _ in "CreateTime" },
              isValid: oneOf(["CreateTime", "LogAppendTime"])),
        .init(name: "min.cleanable.dirty.ratio", type: .double, brokerSynonym: "log.cleaner.min.cleanable.ratio", defaultValue: { _ in "0.5" },
              isValid: { Double($0).map { $0 >= 0 && $0 <= 1 } ?? false }),
        .init(name: "min.compaction.lag.ms", type: .long, brokerSynonym: "log.cleaner.min.compaction.lag.ms", defaultValue: { _ in "0" }, isValid: long(0)),
        .init(name: "min.insync.replicas", type: .int, brokerSynonym: "min.insync.replicas", defaultValue: { c in String(c.minInsyncReplicas) }, isValid: long(1, Int64(Int32.max))),
        .init(name: "preallocate", type: .boolean, brokerSynonym: "log.preallocate", defaultValue: { _ in "false" }, isValid: oneOf(["true", "false"])),
        .init(name: "retention.bytes", type: .long, brokerSynonym: "log.retention.bytes",
              defaultValue: { c in String(c.logRetentionBytes) }, isValid: long(-1)),
        .init(name: "retention.ms", type: .long, brokerSynonym: "log.retention.ms",
              defaultValue: { c in String(c.logRetentionMs) }, isValid: long(-1)),
        .init(name: "segment.bytes", type: .int, brokerSynonym: "log.segment.bytes",
              defaultValue: { c in String(c.logSegmentBytes) }, isValid: long(14, Int64(Int32.max))),
        // At least one time-index entry (12 bytes), as the log layer needs (`LogConfig.validate`); Kafka's
        // floor is 4, where its indexes hold no entry and every append rolls a segment.
        .init(name: "segment.index.bytes", type: .int, brokerSynonym: "log.index.size.max.bytes",
              defaultValue: { c in String(c.logIndexSizeMaxBytes) }, isValid: long(12, Int64(Int32.max))),
        .init(name: "segment.jitter.ms", type: .long, brokerSynonym: "log.roll.jitter.ms", defaultValue: { _ in "0" }, isValid: long(0)),
        .init(name: "segment.ms", type: .long, brokerSynonym: "log.roll.ms",
              defaultValue: { c in String(c.logRollMs) }, isValid: long(1)),
        .init(name: "unclean.leader.election.enable", type: .boolean, brokerSynonym: "unclean.leader.election.enable",
              defaultValue: { c in String(c.uncleanLeaderElectionEnable) }, isValid: oneOf(["true", "false"])),
    ]

    /// Kafka's `MetadataVersion.fromVersionString`: "0.x.y[.z]" (three segments kept) or "x.y[.z]" (two
    /// kept), optionally with an "-IVn" suffix, naming a release from 0.8.0 to 3.9.
    static let isMessageFormatVersion: @Sendable (String) -> Bool = { value in
        let segments = value.split(separator: ".", omittingEmptySubsequences: false)
        let kept = segments.prefix(value.hasPrefix("0.") ? 3 : 2).joined(separator: ".")
        let release = kept.split(separator: "-", maxSplits: 1)
        if release.count == 2 {
            guard release[1].hasPrefix("IV"), Int(release[1].dropFirst(2)) != nil else { return false }
        }
        let known: Set<String> = ["0.8.0", "0.8.1", "0.8.2", "0.9.0", "0.10.0", "0.10.1", "0.10.2", "0.11.0", "1.0", "1.1",
                                  "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8",
                                  "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9"]
        return release.first.map { known.contains(String($0)) } ?? false
    }

    public static let byName: [String: TopicConfigDefinition] = Dictionary(uniqueKeysWithValues: definitions.map { ($0.name, $0) })

    /// Checks one topic config; nil when valid, else the reason.
    public static func validate(name: String, value: String?) -> String? {
        guard let definition = byName[name] else { return "unknown topic config \(name)" }
        guard let value else { return nil }
        return definition.isValid(value) ? nil : "invalid value `\(value)` for \(name)"
    }
}
