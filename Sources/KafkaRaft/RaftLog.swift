/// One entry of the replicated log: the leader epoch it was written in, and either client data
/// (`payload`) or a control record (`control`). Offsets are positions: the entry at offset `n` is the
/// `n - logStartOffset`th entry.
///
/// Invariant: a control entry has an empty payload. Control entries are the quorum's own (Kafka's control
/// records, see `RaftControlRecord`); the leader-change entry a new leader writes lets it commit in its own
/// epoch without client data.
public struct RaftEntry: Hashable, Sendable {
    public var epoch: Int32
    public var control: RaftControlRecord?
    public var payload: [UInt8]

    /// A data entry.
    public init(epoch: Int32, payload: [UInt8]) {
        self.epoch = epoch
        control = nil
        self.payload = payload
    }

    /// A control entry.
    public init(epoch: Int32, control: RaftControlRecord) {
        self.epoch = epoch
        self.control = control
        payload = []
    }

    public var isControl: Bool { control != nil }
}

/// The log as the core sees it: end offset, epoch lookups, reads, append and truncate, and the KIP-630
/// snapshots behind it (`RaftSnapshotStore`).
///
/// Invariants: epochs never decrease along the log; `endOffset.epoch` is the epoch of the last entry (for
/// an empty log, of the snapshot at the log start, else 0); `endOffset(forEpoch:)` follows Kafka's
/// `endOffsetForEpoch` (see `MemoryRaftLog`). The snapshot at `logStartOffset` stands for the entries
/// before it: its id is the log start's offset and epoch.
public protocol RaftLog: RaftSnapshotStore, Sendable {
    /// The first offset in the log: 0, or the end offset of the snapshot the log starts after.
    var logStartOffset: Int64 { get }
    /// Log end offset and the epoch of the last entry.
    var endOffset: OffsetAndEpoch { get }
    /// The epoch of the entry at `offset`, nil outside `[logStartOffset - 1, endOffset.offset)`; at
    /// `logStartOffset - 1` (the last entry the log-start snapshot covers) the snapshot's epoch.
    func epoch(at offset: Int64) -> Int32?
    /// The largest epoch `<= epoch` in the log and the offset where it ends (the next epoch's start offset,
    /// or the log end offset for the last epoch).
    func endOffset(forEpoch epoch: Int32) -> OffsetAndEpoch
    /// Up to `maxCount` entries starting at `offset`.
    func entries(from offset: Int64, maxCount: Int) -> [RaftEntry]
    /// Appends at the end; epochs must not decrease.
    mutating func append(_ entries: [RaftEntry])
    /// Removes every entry at `offset` and beyond.
    mutating func truncate(to offset: Int64)
}

extension RaftLog {
    /// Kafka's `validateOffsetAndEpoch`: nil when the fetcher's log matches ours up to `offset`, else the
    /// `(epoch, end offset)` it must truncate to.
    public func divergence(fetchOffset offset: Int64, lastFetchedEpoch epoch: Int32) -> OffsetAndEpoch? {
        let end = endOffset(forEpoch: epoch)
        return end.epoch != epoch || end.offset < offset ? end : nil
    }
}
