import KafkaRaft

/// The shell's side of KIP-630 in the simulation: snapshot files, log prefix deletion, installing a
/// fetched snapshot (which reloads the state machine), replicas snapshotting their applied state, and
/// wiping a replica's disk.
extension SimCluster {
    mutating func performSnapshotAction(_ action: RaftAction, at id: Int32) {
        guard var node = nodes[id] else { return }
        switch action {
        case .writeSnapshotChunk(let snapshotID, let position, let bytes):
            let written = node.partialSnapshots[snapshotID]?.count ?? 0
            if position != Int64(written) {
                return fail("node \(id) writes snapshot \(snapshotID) at \(position) after \(written) bytes")
            }
            node.partialSnapshots[snapshotID, default: []] += bytes
        case .freezeSnapshot(let snapshotID):
            guard let bytes = node.partialSnapshots.removeValue(forKey: snapshotID) else {
                return fail("node \(id) freezes snapshot \(snapshotID) it never wrote")
            }
            node.snapshots[snapshotID] = bytes
        case .abandonSnapshot(let snapshotID):
            node.partialSnapshots[snapshotID] = nil
        case .deleteLogPrefix(let offset):
            guard node.snapshots.keys.contains(where: { $0.offset == offset }) else {
                return fail("node \(id) deletes its log before \(offset) where it has no snapshot")
            }
            let dropped = Int(offset - node.diskStart)
            guard dropped >= 0, dropped <= node.disk.count else {
                return fail("node \(id) deletes its log before \(offset), log is [\(node.diskStart), +\(node.disk.count))")
            }
            node.disk.removeFirst(dropped)
            node.durableCount = max(0, node.durableCount - dropped)
            node.diskStart = offset
            node.snapshots = node.snapshots.filter { $0.key.offset >= offset }
        case .installSnapshot(let snapshotID):
            guard let bytes = node.snapshots[snapshotID], let state = SimSnapshot.decode(bytes) else {
                return fail("node \(id) installs snapshot \(snapshotID) that is not frozen or does not decode")
            }
            guard Int64(state.count) == snapshotID.offset, state.last?.epoch == snapshotID.epoch else {
                return fail("node \(id) installed snapshot \(snapshotID) holding \(state.count) entries")
            }
            node.disk = []
            node.durableCount = 0
            node.diskStart = snapshotID.offset
            node.truncations += 1
            node.snapshots = node.snapshots.filter { $0.key.offset >= snapshotID.offset }
            node.applied = state
            node.snapshotsInstalled += 1
            nodes[id] = node
            record("\(id) installs snapshot \(snapshotID)")
            return verifyApplied(id, from: 0)
        case .snapshotRejected(let snapshotID, let reason):
            return fail("node \(id) rejected snapshot \(snapshotID): \(reason)")
        default:
            break
        }
        nodes[id] = node
    }

    /// The replica's state machine snapshots what it applied, if the core can take it (committed, beyond its
    /// latest snapshot).
    mutating func takeSnapshot(_ id: Int32) {
        guard let node = nodes[id], let core = node.core, let last = node.applied.last,
              let highWatermark = core.highWatermark else { return }
        let snapshotID = OffsetAndEpoch(offset: Int64(node.applied.count), epoch: last.epoch)
        guard snapshotID.offset <= highWatermark, snapshotID.offset > core.log.logStartOffset else { return }
        record("\(id) snapshots at \(snapshotID)")
        snapshotsTaken += 1
        handle(id, .createSnapshot(id: snapshotID, bytes: SimSnapshot.encode(node.applied)))
        if nodes[id]?.core?.log.logStartOffset != snapshotID.offset {
            fail("node \(id) log starts at \(nodes[id]?.core?.log.logStartOffset ?? -1) after snapshot \(snapshotID)")
        }
    }

    /// A crash that loses the disk: no `quorum-state`, no log, no snapshot. Messages in flight to it are lost
    /// too, so a request meant for the replica it was cannot reach the one it becomes.
    mutating func wipe(_ id: Int32) {
        crash(id)
        guard var node = nodes[id] else { return }
        node.persistedQuorumState = nil
        node.disk = []
        node.diskStart = 0
        node.durableCount = 0
        node.snapshots = [:]
        node.maxEpoch = 0
        node.lostMessagesBefore = now + 1
        nodes[id] = node
        record("wipe \(id)")
    }

    /// Applies committed entries up to `highWatermark` to the replica's state machine, reading them from its
    /// log, and checks them against the committed log.
    mutating func apply(_ id: Int32, upTo highWatermark: Int64) {
        guard let node = nodes[id], let log = node.core?.log else { return }
        let next = Int64(node.applied.count)
        guard highWatermark > next else { return }
        guard next >= log.logStartOffset else {
            return fail("node \(id) applied \(next) entries but its log starts at \(log.logStartOffset)")
        }
        let entries = log.entries(from: next, maxCount: Int(highWatermark - next))
        guard Int64(entries.count) == highWatermark - next else {
            return fail("node \(id) high watermark \(highWatermark) beyond its log end \(log.endOffset.offset)")
        }
        nodes[id]?.applied += entries
        verifyApplied(id, from: Int(next))
    }

    /// The state machine's entries from `from` on equal the committed log, or extend it.
    mutating func verifyApplied(_ id: Int32, from start: Int) {
        guard let applied = nodes[id]?.applied else { return }
        for offset in start..<applied.count {
            if offset < committed.count {
                if committed[offset] != applied[offset] {
                    return fail("node \(id) applied \(applied[offset]) at \(offset) where \(committed[offset]) was committed")
                }
            } else {
                committed.append(applied[offset])
                if case .voters(let set)? = applied[offset].control { voters = set }
            }
        }
    }
}
