/// KIP-630 snapshots in the replica's own log: storing one the state machine produced, dropping the log
/// before it, and a follower installing or giving up one fetched from the leader.
///
/// Invariants: a stored snapshot covers only committed entries (its end offset is at or below the high
/// watermark) and agrees with the log (the epoch of the entry at `offset - 1`); the log start offset moves
/// only up, only to the latest snapshot's end offset.
extension RaftCore {
    /// Kafka's `createSnapshot` + `validateSnapshotId`, then `deleteBeforeSnapshot` at once (the snapshot is
    /// at or below the high watermark by construction).
    mutating func createSnapshot(id: OffsetAndEpoch, bytes: [UInt8], into actions: inout [RaftAction]) {
        if let reason = snapshotRejection(id: id, bytes: bytes) {
            actions.append(.snapshotRejected(id: id, reason: reason))
            return
        }
        log.writeSnapshotChunk(id, position: 0, bytes: bytes)
        log.freezeSnapshot(id)
        actions.append(.writeSnapshotChunk(id: id, position: 0, bytes: bytes))
        actions.append(.freezeSnapshot(id: id))
        log.deleteLogPrefix(before: id.offset)
        actions.append(.deleteLogPrefix(before: id.offset))
        // The entries the snapshot replaces are durable in it.
        flushedOffset = max(flushedOffset, id.offset)
    }

    /// Why snapshot `id` cannot be stored, or nil when it can.
    func snapshotRejection(id: OffsetAndEpoch, bytes: [UInt8]) -> String? {
        guard let highWatermark else { return "the high watermark is unknown" }
        if id.offset > highWatermark { return "end offset \(id.offset) is beyond the high watermark \(highWatermark)" }
        if id.epoch > epoch { return "epoch \(id.epoch) is beyond the quorum epoch \(epoch)" }
        if id.offset <= log.logStartOffset { return "end offset \(id.offset) is not beyond the log start \(log.logStartOffset)" }
        if let latest = log.latestSnapshotID, id.offset <= latest.offset {
            return "end offset \(id.offset) is not beyond the latest snapshot \(latest)"
        }
        let logEpoch = log.epoch(at: id.offset - 1)
        if logEpoch != id.epoch { return "the entry at \(id.offset - 1) has epoch \(logEpoch.map(String.init) ?? "none")" }
        if bytes.isEmpty { return "a snapshot has at least one byte" }
        return nil
    }

    /// A follower downloaded every byte of `fetching`: freeze it, restart the log after it, and take its end
    /// offset as the high watermark if that is higher (Kafka's `truncateToLatestSnapshot` and
    /// `updateFollowerHighWatermark`). Returns the follower state with the download cleared.
    mutating func installSnapshot(_ fetching: FetchingSnapshot, follower: FollowerState,
                                  into actions: inout [RaftAction]) -> FollowerState {
        var follower = follower
        follower.fetchingSnapshot = nil
        log.freezeSnapshot(fetching.id)
        log.resetToSnapshot(fetching.id)
        flushedOffset = fetching.id.offset
        actions.append(.freezeSnapshot(id: fetching.id))
        actions.append(.installSnapshot(id: fetching.id))
        if fetching.id.offset > (follower.highWatermark ?? -1) {
            follower.highWatermark = fetching.id.offset
            actions.append(.committed(highWatermark: fetching.id.offset))
        }
        return follower
    }

    /// Gives up the follower's snapshot download, if any (the shell deletes the partial file).
    mutating func abandonSnapshotFetch(into actions: inout [RaftAction]) {
        guard case .follower(var follower) = state, let fetching = follower.fetchingSnapshot else { return }
        follower.fetchingSnapshot = nil
        state = .follower(follower)
        abandonPartialSnapshot(fetching.id, into: &actions)
    }

    mutating func abandonPartialSnapshot(_ id: OffsetAndEpoch, into actions: inout [RaftAction]) {
        log.abandonSnapshot(id)
        actions.append(.abandonSnapshot(id: id))
    }
}
