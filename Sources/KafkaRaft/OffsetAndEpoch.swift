/// A log position named by its offset and the leader epoch of the entry there (Kafka's `OffsetAndEpoch`).
///
/// Invariant: ordered by epoch first, then offset -- the order Raft uses to decide whether one log is at
/// least as up to date as another (a later last epoch wins; within an epoch, the longer log wins).
public struct OffsetAndEpoch: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var offset: Int64
    public var epoch: Int32

    public init(offset: Int64, epoch: Int32) {
        self.offset = offset
        self.epoch = epoch
    }

    public static func < (lhs: OffsetAndEpoch, rhs: OffsetAndEpoch) -> Bool {
        lhs.epoch != rhs.epoch ? lhs.epoch < rhs.epoch : lhs.offset < rhs.offset
    }

    public var description: String { "(offset \(offset), epoch \(epoch))" }
}
