import KafkaRaft

/// Kafka's simulation invariants, checked after every event: one leader per epoch, monotonic epochs,
/// monotonic high watermarks, a majority durably holding the committed log, identical committed data
/// (every state machine -- snapshot plus applied entries -- is a prefix of one committed log), and the
/// shell's log and snapshots mirroring the core's.
extension SimCluster {
    mutating func checkInvariants(after id: Int32) {
        guard failure == nil, let node = nodes[id], let core = node.core else { return }
        if !core.protocolViolations.isEmpty {
            return fail("node \(id) saw a protocol violation: \(core.protocolViolations)")
        }
        // Monotonic epoch, across restarts too.
        if core.epoch < node.maxEpoch { return fail("node \(id) epoch went from \(node.maxEpoch) to \(core.epoch)") }
        nodes[id]?.maxEpoch = core.epoch
        // One leader per epoch, ever.
        if core.state.isLeader {
            if let other = leaders[core.epoch], other != id {
                return fail("epoch \(core.epoch) has two leaders: \(other) and \(id)")
            }
            leaders[core.epoch] = id
        }
        // Monotonic high watermark within an incarnation.
        let highWatermark = core.highWatermark ?? 0
        if highWatermark < node.highWatermark, core.highWatermark != nil {
            return fail("node \(id) high watermark went from \(node.highWatermark) to \(highWatermark)")
        }
        // The shell's log and snapshots mirror the core's view (every action was performed).
        let log = core.log
        if log.logStartOffset != node.diskStart || log.entries.count != node.disk.count || log.entries.last != node.disk.last {
            return fail("node \(id) core log is [\(log.logStartOffset), +\(log.entries.count)), shell log [\(node.diskStart), +\(node.disk.count))")
        }
        // Ids and sizes only (cheap); the bytes are checked when a snapshot is installed or reloaded.
        func sameSizes(_ a: [OffsetAndEpoch: [UInt8]], _ b: [OffsetAndEpoch: [UInt8]]) -> Bool {
            a.count == b.count && a.allSatisfy { b[$0.key]?.count == $0.value.count }
        }
        if !sameSizes(log.snapshots, node.snapshots) || !sameSizes(log.partialSnapshots, node.partialSnapshots) {
            return fail("node \(id) core snapshots \(log.snapshots.keys) differ from the shell's \(node.snapshots.keys)")
        }
        if log.logStartOffset > (log.latestSnapshotID?.offset ?? 0) {
            return fail("node \(id) log start \(log.logStartOffset) passed the latest snapshot \(String(describing: log.latestSnapshotID))")
        }
        if core.flushedOffset > node.diskStart + Int64(node.durableCount) {
            return fail("node \(id) believes \(core.flushedOffset) flushed, only \(node.diskStart + Int64(node.durableCount)) durable")
        }
    }

    /// A replica reports a higher high watermark: it applies the entries below it, which must extend or
    /// equal the committed log, and a majority of the then-effective voters must hold the committed log
    /// durably.
    mutating func onCommitted(_ id: Int32, highWatermark: Int64) {
        guard failure == nil, let node = nodes[id], node.core != nil else { return }
        if highWatermark < node.highWatermark {
            return fail("node \(id) committed \(highWatermark) after \(node.highWatermark)")
        }
        apply(id, upTo: highWatermark)
        nodes[id]?.highWatermark = highWatermark
        checkMajorityHoldsCommitted(full: false)
    }

    /// A majority of the then-effective voter set durably holds the committed log, in its snapshot and
    /// flushed entries. `full` compares every entry; otherwise only the last committed entry (enough with
    /// unique payloads, and cheap).
    ///
    /// "Then-effective": the committed log's voter set, or the set of the leader of the latest epoch, whose
    /// uncommitted VotersRecord is already in force (KIP-853) and may have committed entries with a
    /// majority of the new set. One change at a time keeps the two sets' majorities overlapping.
    mutating func checkMajorityHoldsCommitted(full: Bool) {
        guard failure == nil, !committed.isEmpty else { return }
        let count = committed.count
        func holders(of set: VoterSet) -> [Int32] {
            set.sorted.filter { voter in
                guard let node = nodes[voter], node.diskStart + Int64(node.durableCount) >= Int64(count) else {
                    return false
                }
                let start = Int(node.diskStart)
                if full {
                    guard let inSnapshot = start == 0 ? [] : node.startSnapshot.flatMap({ SimSnapshot.decode($0.bytes) }) else {
                        return false
                    }
                    let held = inSnapshot + node.durableEntries
                    return held.count >= count && Array(held[0..<count]) == committed
                }
                // Entries below the log start are in a snapshot that was checked when it was installed or taken.
                return count - 1 < start || node.disk[count - 1 - start] == committed[count - 1]
            }
        }
        let committedHolders = holders(of: voters)
        if committedHolders.count >= voters.majority { return }
        if let epoch = leaders.keys.max(), let leader = leaders[epoch], let core = nodes[leader]?.core,
           core.state.isLeader, core.epoch == epoch, holders(of: core.voters).count >= core.voters.majority {
            return
        }
        fail("only \(committedHolders) of voters \(voters) durably hold the \(committed.count) committed entries")
    }
}
