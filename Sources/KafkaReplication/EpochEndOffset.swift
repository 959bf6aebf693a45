/// A leader epoch with the end offset of its records in some log (exclusive: the start offset of the next
/// epoch, or the log end offset for the latest epoch). Kafka's `EpochEndOffset` and `OffsetAndEpoch` as
/// the leader epoch cache's `endOffsetFor` answers them.
///
/// Invariant: -1 in either field means undefined (Kafka's `UNDEFINED_EPOCH`, `UNDEFINED_EPOCH_OFFSET`).
public struct EpochEndOffset: Hashable, Sendable, CustomStringConvertible {
    public static let undefinedEpoch: Int32 = -1
    public static let undefinedEpochOffset: Int64 = -1

    public var leaderEpoch: Int32
    public var endOffset: Int64

    public init(leaderEpoch: Int32, endOffset: Int64) {
        self.leaderEpoch = leaderEpoch
        self.endOffset = endOffset
    }

    public static let undefined = EpochEndOffset(leaderEpoch: undefinedEpoch, endOffset: undefinedEpochOffset)

    public var description: String { "(epoch \(leaderEpoch), endOffset \(endOffset))" }
}
