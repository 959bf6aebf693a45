import KafkaRaft

/// Kafka's snapshot file names in the metadata partition directory (`__cluster_metadata-0`):
///
///     00000000000000001234-0000000007.checkpoint           a complete snapshot: end offset %020d, epoch %010d
///     00000000000000001234-0000000007.checkpoint.part      being written or received
///     00000000000000001234-0000000007.checkpoint.deleted   renamed away, about to be removed
///
/// The snapshot id is the end offset (one past the last offset it contains) and the epoch of the entry
/// before it, as Kafka's `OffsetAndEpoch`.
public enum CheckpointFileName {
    public static let suffix = ".checkpoint"
    public static let partialSuffix = ".checkpoint.part"
    public static let deletedSuffix = ".checkpoint.deleted"

    public enum Kind: Hashable, Sendable {
        case complete, partial, deleted
    }

    /// `%020d-%010d`.
    public static func stem(_ id: OffsetAndEpoch) -> String {
        pad(id.offset, 20) + "-" + pad(Int64(id.epoch), 10)
    }

    public static func name(_ id: OffsetAndEpoch) -> String { stem(id) + suffix }
    public static func partialName(_ id: OffsetAndEpoch) -> String { stem(id) + partialSuffix }
    public static func deletedName(_ id: OffsetAndEpoch) -> String { stem(id) + deletedSuffix }

    /// The id and kind of a snapshot file name; nil for any other name (negative numbers included).
    public static func parse(_ name: String) -> (id: OffsetAndEpoch, kind: Kind)? {
        let kinds: [(String, Kind)] = [(partialSuffix, .partial), (deletedSuffix, .deleted), (suffix, .complete)]
        guard let (ending, kind) = kinds.first(where: { name.hasSuffix($0.0) }) else { return nil }
        let stem = name.dropLast(ending.count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 20, parts[1].count == 10,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let offset = Int64(parts[0]), let epoch = Int32(parts[1])
        else { return nil }
        return (OffsetAndEpoch(offset: offset, epoch: epoch), kind)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
