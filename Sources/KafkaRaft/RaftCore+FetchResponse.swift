/// Fetch responses at a follower or observer: start a snapshot download on a `SnapshotId`, truncate on a
/// diverging epoch, else append the entries and take the leader's high watermark (capped by our own log end).
extension RaftCore {
    mutating func handleFetchResponse(_ response: FetchResponse, from source: Int32, now: Int64,
                                      into actions: inout [RaftAction]) -> Bool {
        let reportedLeader = response.leaderID >= 0 ? response.leaderID : nil
        if let handled = handleCommonResponse(error: response.errorCode, leaderID: reportedLeader,
                                              epoch: response.leaderEpoch, now: now, into: &actions) {
            return handled
        }
        guard case .follower(var follower) = state else { return true }
        if let snapshotID = response.snapshotID {
            guard snapshotID.offset > 0, snapshotID.epoch >= 0, snapshotID.epoch <= response.leaderEpoch else {
                return false
            }
            follower = startSnapshotFetch(snapshotID, follower: follower, into: &actions)
        } else if let diverging = response.divergingEpoch {
            let local = log.endOffset(forEpoch: diverging.epoch)
            let truncationOffset = min(local.offset, diverging.endOffset)
            if let highWatermark = follower.highWatermark, truncationOffset < highWatermark {
                violation("leader \(source) asked to truncate to \(truncationOffset) below high watermark \(highWatermark)")
                return false
            }
            if truncationOffset < log.logStartOffset {
                violation("leader \(source) asked to truncate to \(truncationOffset) below the log start \(log.logStartOffset)")
                return false
            }
            truncateLog(to: truncationOffset, now: now, into: &actions)
        } else {
            if !response.records.isEmpty {
                guard response.recordsBaseOffset == log.endOffset.offset else { return false }
                guard isAppendable(response.records, leaderEpoch: response.leaderEpoch) else {
                    violation("leader \(source) sent entries with epochs \(response.records.map(\.epoch)) after epoch \(log.endOffset.epoch)")
                    return false
                }
                appendToLog(response.records, now: now, into: &actions)
                // Observers flush too: one may become a voter, and the leader counts its position then.
                actions.append(.flushLog(upTo: log.endOffset.offset))
            }
            if response.highWatermark >= 0 {
                let highWatermark = min(response.highWatermark, log.endOffset.offset)
                if highWatermark > (follower.highWatermark ?? -1) {
                    follower.highWatermark = highWatermark
                    actions.append(.committed(highWatermark: highWatermark))
                }
            }
        }
        follower.hasFetchedFromLeader = true
        follower.fetchDeadline = now + config.fetchTimeoutMs
        state = .follower(follower)
        return true
    }

    /// Entries from the leader continue our log: epochs never decrease and none is above the leader's.
    private func isAppendable(_ entries: [RaftEntry], leaderEpoch: Int32) -> Bool {
        var previous = log.endOffset.epoch
        for entry in entries {
            guard entry.epoch >= previous, entry.epoch <= leaderEpoch else { return false }
            previous = entry.epoch
        }
        return true
    }

    /// Appends to our view of the log and tells the shell; control entries take effect at once.
    mutating func appendToLog(_ entries: [RaftEntry], now: Int64, into actions: inout [RaftAction]) {
        let baseOffset = log.endOffset.offset
        log.append(entries)
        actions.append(.appendToLog(baseOffset: baseOffset, entries: entries))
        if entries.contains(where: \.isControl) {
            let before = voters
            controlRecords.apply(entries, baseOffset: baseOffset)
            if voters != before { onVotersChanged(from: before, now: now, into: &actions) }
        }
    }

    /// Truncates our view of the log and tells the shell; voter sets written at `offset` or beyond revert.
    mutating func truncateLog(to offset: Int64, now: Int64, into actions: inout [RaftAction]) {
        guard offset < log.endOffset.offset else { return }
        log.truncate(to: offset)
        flushedOffset = min(flushedOffset, offset)
        actions.append(.truncateLog(toOffset: offset))
        let before = voters
        controlRecords.truncate(to: offset)
        if voters != before { onVotersChanged(from: before, now: now, into: &actions) }
    }

    /// Client data at the leader: one entry per payload in the leader's epoch, then a flush.
    mutating func appendAsLeader(_ payloads: [[UInt8]], now: Int64, into actions: inout [RaftAction]) {
        guard case .leader(let leader) = state else {
            actions.append(.appendRejected(.notLeaderOrFollower))
            return
        }
        guard !payloads.isEmpty else { return }
        appendToLog(payloads.map { RaftEntry(epoch: leader.epoch, payload: $0) }, now: now, into: &actions)
        actions.append(.appendAccepted(last: OffsetAndEpoch(offset: log.endOffset.offset - 1, epoch: leader.epoch)))
        actions.append(.flushLog(upTo: log.endOffset.offset))
        completeParkedFetches(now: now, onlyWithData: true, into: &actions)
    }

    /// The shell made the log durable up to `offset`; the leader's own position may advance the high watermark.
    mutating func onPersisted(upTo offset: Int64, now: Int64, into actions: inout [RaftAction]) {
        flushedOffset = max(flushedOffset, min(offset, log.endOffset.offset))
        guard case .leader(var leader) = state else { return }
        let advanced = leader.updateLocalState(endOffset: flushedOffset, now: now)
        state = .leader(leader)
        if advanced, let highWatermark = leader.highWatermark {
            actions.append(.committed(highWatermark: highWatermark))
            completeParkedFetches(now: now, onlyWithData: true, into: &actions)
        }
    }
}
