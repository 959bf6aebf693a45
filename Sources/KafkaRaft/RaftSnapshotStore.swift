/// KIP-630 snapshots as the core sees them: complete ("frozen") snapshots named by their id, partial ones
/// being fetched from the leader, and the log start that follows the latest snapshot.
///
/// A snapshot id is an `OffsetAndEpoch` in Kafka's convention: `offset` is the snapshot's end offset
/// (exclusive: the snapshot holds the state of every entry below it) and `epoch` the epoch of its last
/// entry, at `offset - 1`. Invariants: the log start offset is 0 or the end offset of a frozen snapshot and
/// never passes the latest one; snapshots are immutable once frozen.
///
/// Synchronous on purpose: a file-backed store keeps `<offset>-<epoch>.checkpoint` files, answers
/// `readSnapshot` with `pread`, and treats the mutating methods as bookkeeping of what the shell writes when
/// it performs the matching `RaftAction` (the core changes this view first, then asks the shell to mirror it).
public protocol RaftSnapshotStore {
    /// The frozen snapshot with the largest end offset, nil when there is none.
    var latestSnapshotID: OffsetAndEpoch? { get }
    /// The size in bytes of frozen snapshot `id`, nil when there is no such snapshot.
    func snapshotSize(_ id: OffsetAndEpoch) -> Int64?
    /// Up to `maxBytes` bytes of frozen snapshot `id` from byte `position` (fewer at its end).
    func readSnapshot(_ id: OffsetAndEpoch, position: Int64, maxBytes: Int) -> [UInt8]
    /// Writes `bytes` at `position` of the partial snapshot `id` (created at position 0); chunks arrive in order.
    mutating func writeSnapshotChunk(_ id: OffsetAndEpoch, position: Int64, bytes: [UInt8])
    /// The partial snapshot `id` is complete: it becomes a frozen snapshot (Kafka's `freeze`).
    mutating func freezeSnapshot(_ id: OffsetAndEpoch)
    /// Forgets the partial snapshot `id`, if any.
    mutating func abandonSnapshot(_ id: OffsetAndEpoch)
    /// Raises the log start to `offset`, the end offset of a frozen snapshot within the log: entries below it
    /// and snapshots older than it go (Kafka's `deleteBeforeSnapshot`).
    mutating func deleteLogPrefix(before offset: Int64)
    /// Empties the log and starts it after frozen snapshot `id` (Kafka's `truncateToLatestSnapshot` on a
    /// follower that fetched it): log start and end offset become `id.offset`, the end epoch `id.epoch`.
    mutating func resetToSnapshot(_ id: OffsetAndEpoch)
}

/// How the leader answers a Fetch position (Kafka's `ValidOffsetAndEpoch`).
public enum FetchPositionCheck: Hashable, Sendable {
    /// The fetcher's log matches ours up to its fetch offset.
    case valid
    /// Truncate to this end offset and epoch, then fetch again.
    case diverging(OffsetAndEpoch)
    /// The entries the fetcher needs are gone: fetch this snapshot (the latest) instead.
    case snapshot(OffsetAndEpoch)
}

extension RaftLog {
    /// Kafka's `validateOffsetAndEpoch` with snapshots: when a snapshot stands at the log start, a fetch
    /// below the log start, at it with another epoch than the snapshot's, or with a last fetched epoch older
    /// than the snapshot's, is sent to the latest snapshot; otherwise the epoch check of `divergence`.
    public func checkFetchPosition(fetchOffset offset: Int64, lastFetchedEpoch epoch: Int32) -> FetchPositionCheck {
        if let latest = latestSnapshotID, logStartOffset > 0, let startEpoch = self.epoch(at: logStartOffset - 1),
           offset < logStartOffset || (offset == logStartOffset && epoch != startEpoch) || epoch < startEpoch {
            return .snapshot(latest)
        }
        if let diverging = divergence(fetchOffset: offset, lastFetchedEpoch: epoch) { return .diverging(diverging) }
        return .valid
    }
}
