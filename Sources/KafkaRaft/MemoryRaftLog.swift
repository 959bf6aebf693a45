/// A `RaftLog` held in memory: entries plus an epoch cache of `(epoch, start offset)` pairs (Kafka's
/// `LeaderEpochFileCache`). Used by tests and the simulation; a disk-backed log implements the same protocol.
///
/// `endOffset(forEpoch:)` matches Kafka: the last epoch ends at the log end offset; an earlier epoch ends
/// where the next larger epoch starts, reported with the largest epoch `<=` the one asked for (or the one
/// asked for when none is smaller); an epoch beyond the last answers the log end.
public struct MemoryRaftLog: RaftLog, Hashable {
    public private(set) var entries: [RaftEntry] = []
    /// `(epoch, startOffset)`, both strictly increasing.
    public private(set) var epochStarts: [(epoch: Int32, startOffset: Int64)] = []

    public init(entries: [RaftEntry] = []) {
        append(entries)
    }

    public var logStartOffset: Int64 { 0 }

    public var endOffset: OffsetAndEpoch {
        OffsetAndEpoch(offset: Int64(entries.count), epoch: entries.last?.epoch ?? 0)
    }

    public func epoch(at offset: Int64) -> Int32? {
        offset >= 0 && offset < Int64(entries.count) ? entries[Int(offset)].epoch : nil
    }

    public func endOffset(forEpoch epoch: Int32) -> OffsetAndEpoch {
        if let last = epochStarts.last, last.epoch == epoch { return endOffset }
        guard let higher = epochStarts.firstIndex(where: { $0.epoch > epoch }) else { return endOffset }
        let floorEpoch = higher > 0 ? epochStarts[higher - 1].epoch : epoch
        return OffsetAndEpoch(offset: epochStarts[higher].startOffset, epoch: floorEpoch)
    }

    public func entries(from offset: Int64, maxCount: Int) -> [RaftEntry] {
        guard offset >= 0, offset < Int64(entries.count) else { return [] }
        let start = Int(offset)
        return Array(entries[start..<min(entries.count, start + maxCount)])
    }

    public mutating func append(_ newEntries: [RaftEntry]) {
        for entry in newEntries {
            precondition(entry.epoch >= (entries.last?.epoch ?? 0), "epoch \(entry.epoch) after \(entries.last?.epoch ?? 0)")
            if epochStarts.last?.epoch != entry.epoch {
                epochStarts.append((entry.epoch, Int64(entries.count)))
            }
            entries.append(entry)
        }
    }

    public mutating func truncate(to offset: Int64) {
        guard offset < Int64(entries.count) else { return }
        entries.removeSubrange(Int(max(0, offset))...)
        epochStarts.removeAll { $0.startOffset >= offset }
    }

    public static func == (lhs: MemoryRaftLog, rhs: MemoryRaftLog) -> Bool { lhs.entries == rhs.entries }
    public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}
