import KafkaRaft

/// One simulated replica: its core while running, and what survives a crash -- the last persisted
/// `quorum-state` and the flushed prefix of its log.
struct SimNode {
    let id: Int32
    var core: RaftCore<MemoryRaftLog>?
    /// Bumped at every restart; events of an earlier incarnation are dropped.
    var incarnation = 0
    var persistedQuorumState: QuorumStateData?
    /// The log as written (page cache); `durableCount` entries of it survive a crash.
    var disk: [RaftEntry] = []
    var durableCount = 0
    /// Bumped at every truncation so a flush that started before it does not mark rewritten entries durable.
    var truncations = 0
    var pendingTick: Int64?
    /// Highest epoch this node ever reported, across restarts.
    var maxEpoch: Int32 = 0
    /// Highest high watermark in this incarnation.
    var highWatermark: Int64 = 0
    /// Offsets below this are already checked against the committed log in this incarnation.
    var verifiedUpTo: Int64 = 0

    var isRunning: Bool { core != nil }
    var durableEntries: ArraySlice<RaftEntry> { disk[0..<durableCount] }
}
