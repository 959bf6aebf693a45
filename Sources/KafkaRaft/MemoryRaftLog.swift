/// A `RaftLog` held in memory: the entries from `logStartOffset` on, an epoch cache of `(epoch, start
/// offset)` pairs (Kafka's `LeaderEpochFileCache`), and snapshot bytes. Used by tests and the simulation; a
/// disk-backed log implements the same protocol.
///
/// `endOffset(forEpoch:)` matches Kafka: the last epoch ends at the log end offset; an earlier epoch ends
/// where the next larger epoch starts, reported with the largest epoch `<=` the one asked for -- the
/// log-start snapshot's epoch when no entry's epoch qualifies (Kafka's `KafkaMetadataLog` override) -- or
/// the one asked for when nothing is smaller; an epoch beyond the last answers the log end.
public struct MemoryRaftLog: RaftLog, Hashable {
    /// The entries from `logStartOffset` on: `entries[i]` is at offset `logStartOffset + i`.
    public private(set) var entries: [RaftEntry] = []
    /// `(epoch, startOffset)`, both strictly increasing, for the entries held.
    public private(set) var epochStarts: [(epoch: Int32, startOffset: Int64)] = []
    /// The log start offset and the epoch of the entry before it (the log-start snapshot's id; `(0, 0)`).
    public private(set) var logStart = OffsetAndEpoch(offset: 0, epoch: 0)
    /// Frozen snapshots by id.
    public private(set) var snapshots: [OffsetAndEpoch: [UInt8]] = [:]
    /// Snapshots being written, by id.
    public private(set) var partialSnapshots: [OffsetAndEpoch: [UInt8]] = [:]

    public init(entries: [RaftEntry] = []) {
        append(entries)
    }

    /// A log that starts after `snapshot` (its id and bytes), followed by `entries`: a restart from disk.
    public init(snapshot: (id: OffsetAndEpoch, bytes: [UInt8]), entries: [RaftEntry]) {
        snapshots[snapshot.id] = snapshot.bytes
        logStart = snapshot.id
        append(entries)
    }

    public var logStartOffset: Int64 { logStart.offset }

    public var endOffset: OffsetAndEpoch {
        OffsetAndEpoch(offset: logStart.offset + Int64(entries.count), epoch: entries.last?.epoch ?? logStart.epoch)
    }

    public func epoch(at offset: Int64) -> Int32? {
        if offset >= logStart.offset && offset < endOffset.offset { return entries[index(offset)].epoch }
        return offset == logStart.offset - 1 ? logStart.epoch : nil
    }

    public func endOffset(forEpoch epoch: Int32) -> OffsetAndEpoch {
        let end = endOffset
        if epoch >= end.epoch { return end }
        guard let higher = epochStarts.firstIndex(where: { $0.epoch > epoch }) else {
            return OffsetAndEpoch(offset: logStart.offset, epoch: epoch)  // empty log after a later snapshot
        }
        let floorEpoch: Int32
        if higher > 0 {
            floorEpoch = epochStarts[higher - 1].epoch
        } else {
            floorEpoch = logStart.offset > 0 && logStart.epoch <= epoch ? logStart.epoch : epoch
        }
        return OffsetAndEpoch(offset: epochStarts[higher].startOffset, epoch: floorEpoch)
    }

    public func entries(from offset: Int64, maxCount: Int) -> [RaftEntry] {
        guard offset >= logStart.offset, offset < endOffset.offset else { return [] }
        let start = index(offset)
        return Array(entries[start..<min(entries.count, start + maxCount)])
    }

    public mutating func append(_ newEntries: [RaftEntry]) {
        for entry in newEntries {
            let end = endOffset
            precondition(entry.epoch >= end.epoch, "epoch \(entry.epoch) after \(end.epoch)")
            if epochStarts.last?.epoch != entry.epoch {
                epochStarts.append((entry.epoch, end.offset))
            }
            entries.append(entry)
        }
    }

    public mutating func truncate(to offset: Int64) {
        precondition(offset >= logStart.offset, "truncation to \(offset) below the log start \(logStart.offset)")
        guard offset < endOffset.offset else { return }
        entries.removeSubrange(index(offset)...)
        epochStarts.removeAll { $0.startOffset >= offset }
    }

    // MARK: - Snapshots

    public var latestSnapshotID: OffsetAndEpoch? { snapshots.keys.max { $0.offset < $1.offset } }

    public func snapshotSize(_ id: OffsetAndEpoch) -> Int64? { snapshots[id].map { Int64($0.count) } }

    public func readSnapshot(_ id: OffsetAndEpoch, position: Int64, maxBytes: Int) -> [UInt8] {
        guard let bytes = snapshots[id], position >= 0, position < Int64(bytes.count), maxBytes > 0 else { return [] }
        let start = Int(position)
        return Array(bytes[start..<min(bytes.count, start + maxBytes)])
    }

    public mutating func writeSnapshotChunk(_ id: OffsetAndEpoch, position: Int64, bytes: [UInt8]) {
        let written = partialSnapshots[id]?.count ?? 0
        precondition(position == Int64(written), "chunk of \(id) at \(position), \(written) bytes written")
        partialSnapshots[id, default: []] += bytes
    }

    public mutating func freezeSnapshot(_ id: OffsetAndEpoch) {
        guard let bytes = partialSnapshots.removeValue(forKey: id) else {
            preconditionFailure("freezing snapshot \(id) that was never written")
        }
        snapshots[id] = bytes
    }

    public mutating func abandonSnapshot(_ id: OffsetAndEpoch) {
        partialSnapshots[id] = nil
    }

    public mutating func deleteLogPrefix(before offset: Int64) {
        guard let id = snapshots.keys.first(where: { $0.offset == offset }), offset <= endOffset.offset else {
            preconditionFailure("log start \(offset) is not a snapshot within the log")
        }
        guard offset > logStart.offset else { return }
        entries.removeFirst(index(offset))
        // The epoch covering `offset` now starts there; earlier epochs are the snapshot's.
        if let covering = epochStarts.lastIndex(where: { $0.startOffset <= offset }) {
            epochStarts[covering].startOffset = offset
            epochStarts.removeFirst(covering)
        }
        if entries.isEmpty { epochStarts.removeAll() }
        logStart = id
        snapshots = snapshots.filter { $0.key.offset >= offset }
    }

    public mutating func resetToSnapshot(_ id: OffsetAndEpoch) {
        precondition(snapshots[id] != nil, "resetting to snapshot \(id) that is not frozen")
        entries.removeAll()
        epochStarts.removeAll()
        logStart = id
        snapshots = snapshots.filter { $0.key.offset >= id.offset }
    }

    private func index(_ offset: Int64) -> Int { Int(offset - logStart.offset) }

    public static func == (lhs: MemoryRaftLog, rhs: MemoryRaftLog) -> Bool {
        lhs.logStart == rhs.logStart && lhs.entries == rhs.entries && lhs.snapshots == rhs.snapshots
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(logStart)
        hasher.combine(entries)
    }
}
