import KafkaRaft

/// One simulated replica: its core while running, and what survives a crash -- the last persisted
/// `quorum-state`, the frozen snapshots, and the flushed prefix of its log (which starts after the latest
/// snapshot). Its state machine (`applied`) lives only as long as the incarnation and reloads from the
/// snapshot at the log start.
struct SimNode {
    let id: Int32
    var core: RaftCore<MemoryRaftLog>?
    /// Bumped at every restart; events of an earlier incarnation are dropped.
    var incarnation = 0
    var persistedQuorumState: QuorumStateData?
    /// The log as written (page cache) from offset `diskStart`; `durableCount` entries of it survive a crash.
    var disk: [RaftEntry] = []
    var diskStart: Int64 = 0
    var durableCount = 0
    /// Frozen snapshots (durable), and partial ones being fetched (lost in a crash).
    var snapshots: [OffsetAndEpoch: [UInt8]] = [:]
    var partialSnapshots: [OffsetAndEpoch: [UInt8]] = [:]
    /// Bumped at every truncation so a flush that started before it does not mark rewritten entries durable.
    var truncations = 0
    var pendingTick: Int64?
    /// Highest epoch this node ever reported, across restarts (reset only by a wipe).
    var maxEpoch: Int32 = 0
    /// Highest high watermark in this incarnation.
    var highWatermark: Int64 = 0
    /// The state machine: every committed entry applied so far, from the snapshot it loaded on.
    var applied: [RaftEntry] = []
    var snapshotsInstalled = 0
    /// Messages to this replica sent before this time are lost (it was wiped: a new machine).
    var lostMessagesBefore: Int64 = 0

    var isRunning: Bool { core != nil }
    var durableEntries: ArraySlice<RaftEntry> { disk[0..<durableCount] }
    /// The snapshot the log starts after, if any.
    var startSnapshot: (id: OffsetAndEpoch, bytes: [UInt8])? {
        snapshots.first { $0.key.offset == diskStart }.map { ($0.key, $0.value) }
    }
}

/// The simulated state machine's snapshot format: the applied entries, each as epoch (4 bytes), kind (1:
/// 0 data, else `SimControlCodec`'s), body length (4) and body (the payload, or the control record),
/// after a one-byte version. Deterministic, so equal states give equal bytes.
enum SimSnapshot {
    static func encode(_ entries: [RaftEntry]) -> [UInt8] {
        var bytes: [UInt8] = [1]
        for entry in entries {
            bytes += bigEndian(UInt32(bitPattern: entry.epoch))
            let body = entry.control.map(SimControlCodec.encode) ?? entry.payload
            bytes.append(entry.control.map(SimControlCodec.kind) ?? 0)
            bytes += bigEndian(UInt32(body.count))
            bytes += body
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> [RaftEntry]? {
        guard bytes.first == 1 else { return nil }
        var entries: [RaftEntry] = []
        var index = 1
        func uint32() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            defer { index += 4 }
            return bytes[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        while index < bytes.count {
            guard let epoch = uint32(), index < bytes.count else { return nil }
            let kind = bytes[index]
            index += 1
            guard let length = uint32().map(Int.init), index + length <= bytes.count else { return nil }
            let body = bytes[index..<index + length]
            if kind == 0 {
                entries.append(RaftEntry(epoch: Int32(bitPattern: epoch), payload: Array(body)))
            } else {
                guard let control = SimControlCodec.decode(kind: kind, body) else { return nil }
                entries.append(RaftEntry(epoch: Int32(bitPattern: epoch), control: control))
            }
            index += length
        }
        return entries
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
