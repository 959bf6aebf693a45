/// What the shell feeds the core, each with the current time (`handle(_:now:)`).
public enum RaftInput: Hashable, Sendable {
    /// Time passed; the core checks its timers. Call it at (or after) the last `scheduleTick(at:)`.
    case tick
    /// A request or response from another replica.
    case received(RaftEnvelope)
    /// Client data to append at the leader (one entry per payload).
    case append([[UInt8]])
    /// The log is durable up to this offset (completion of a `flushLog` action for the log as it is now).
    case persisted(upTo: Int64)
    /// Graceful shutdown of a leader: resign and hand over to the preferred successors.
    case resign
    /// The state machine produced snapshot `id` (end offset exclusive, epoch of the entry at `id.offset - 1`)
    /// of the committed state, serialised as `bytes`. Valid only at or below the high watermark and after the
    /// latest snapshot; the core then stores it and drops the log before it (`RaftCore+Snapshot.swift`).
    case createSnapshot(id: OffsetAndEpoch, bytes: [UInt8])
}

/// What the core asks the shell to do, in order. The shell performs them in sequence: a
/// `persistQuorumState` must be durable before any later `send` goes out, and `appendToLog`/`truncateLog`
/// mirror changes the core already made to its own view of the log.
public enum RaftAction: Hashable, Sendable {
    /// Write the `quorum-state` file (fsync'd, atomically replaced) before doing anything that follows.
    case persistQuorumState(QuorumStateData)
    /// Append `entries` at `baseOffset` (the current log end offset).
    case appendToLog(baseOffset: Int64, entries: [RaftEntry])
    /// Drop every entry at `toOffset` and beyond.
    case truncateLog(toOffset: Int64)
    /// Make the log durable up to `upTo`, then report `.persisted(upTo:)`.
    case flushLog(upTo: Int64)
    case send(RaftEnvelope)
    case becameLeader(epoch: Int32, epochStartOffset: Int64)
    case becameFollower(leaderID: Int32, epoch: Int32)
    case resigned(epoch: Int32)
    /// The local high watermark rose: entries below it are committed.
    case committed(highWatermark: Int64)
    /// The effective voter set changed (a `VotersRecord` appended, or truncated away): the replicas to
    /// connect to, with their endpoints, are now these. `core.voters` holds the set at startup.
    case votersChanged(VoterSet)
    /// A client append was written at the leader; `last` is its last offset and the epoch.
    case appendAccepted(last: OffsetAndEpoch)
    case appendRejected(RaftErrorCode)
    /// Call `handle(.tick, now:)` no later than this.
    case scheduleTick(at: Int64)

    // KIP-630 snapshots (`RaftSnapshotStore` is the core's view of the files).
    /// Write `bytes` at byte `position` of the partial snapshot file for `id` (create it at position 0).
    case writeSnapshotChunk(id: OffsetAndEpoch, position: Int64, bytes: [UInt8])
    /// The partial snapshot `id` is complete: fsync it and rename it to `<offset>-<epoch>.checkpoint`.
    case freezeSnapshot(id: OffsetAndEpoch)
    /// Delete the partial snapshot file for `id` (a fetch of it was given up).
    case abandonSnapshot(id: OffsetAndEpoch)
    /// Raise the log start offset to `before` (a frozen snapshot's end offset): delete the log segments
    /// entirely below it and the snapshots older than it.
    case deleteLogPrefix(before: Int64)
    /// After `freezeSnapshot(id)` of a snapshot fetched from the leader: empty the log, restart it at
    /// `id.offset` (epoch `id.epoch`), and reload the state machine from the snapshot.
    case installSnapshot(id: OffsetAndEpoch)
    /// A `createSnapshot` input was refused (nothing was stored); `reason` says why.
    case snapshotRejected(id: OffsetAndEpoch, reason: String)
}
