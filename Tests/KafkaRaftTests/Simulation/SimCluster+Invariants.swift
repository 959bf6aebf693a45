import KafkaRaft

/// Kafka's simulation invariants, checked after every event: one leader per epoch, monotonic epochs,
/// monotonic high watermarks, a majority durably holding the committed log, identical committed data,
/// and the shell's log mirroring the core's.
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
        // The shell's log mirrors the core's view (append/truncate actions are complete).
        if core.log.entries.count != node.disk.count || core.log.entries.last != node.disk.last {
            return fail("node \(id) core log has \(core.log.entries.count) entries, shell log \(node.disk.count)")
        }
        if core.flushedOffset > Int64(node.durableCount) {
            return fail("node \(id) believes \(core.flushedOffset) flushed, only \(node.durableCount) durable")
        }
    }

    /// A replica reports a higher high watermark: its entries below it must extend or equal the
    /// committed log, and a majority of voters must hold the committed log durably.
    mutating func onCommitted(_ id: Int32, highWatermark: Int64) {
        guard failure == nil, let node = nodes[id], let core = node.core else { return }
        if highWatermark < node.highWatermark {
            return fail("node \(id) committed \(highWatermark) after \(node.highWatermark)")
        }
        let entries = core.log.entries
        guard highWatermark <= Int64(entries.count) else {
            return fail("node \(id) high watermark \(highWatermark) beyond its log end \(entries.count)")
        }
        for offset in Int(node.verifiedUpTo)..<Int(highWatermark) {
            if offset < committed.count {
                if committed[offset] != entries[offset] {
                    return fail("node \(id) committed \(entries[offset]) at \(offset) where \(committed[offset]) was committed")
                }
            } else {
                committed.append(entries[offset])
            }
        }
        nodes[id]?.highWatermark = highWatermark
        nodes[id]?.verifiedUpTo = highWatermark
        checkMajorityHoldsCommitted(full: false)
    }

    /// A majority of voters durably holds the committed log. `full` compares every entry; otherwise only
    /// the last committed entry (enough with unique payloads, and cheap).
    mutating func checkMajorityHoldsCommitted(full: Bool) {
        guard failure == nil, !committed.isEmpty else { return }
        let holders = voters.sorted.filter { voter in
            guard let node = nodes[voter], node.durableCount >= committed.count else { return false }
            if full { return Array(node.disk[0..<committed.count]) == committed }
            return node.disk[committed.count - 1] == committed[committed.count - 1]
        }
        if holders.count < voters.majority {
            fail("only \(holders) of voters \(voters) durably hold the \(committed.count) committed entries")
        }
    }
}
