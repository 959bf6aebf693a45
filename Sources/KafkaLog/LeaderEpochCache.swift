/// Kafka's leader epoch cache (`LeaderEpochFileCache`), in memory: for each leader epoch that wrote to
/// the log, the offset of its first record, as `(epoch, startOffset)` entries.
///
/// Invariant: entries strictly increase in both epoch and start offset. ``assign(epoch:startOffset:)``
/// keeps it so by dropping, from the end, every entry that conflicts with the new one (Kafka's rule).
/// A pure value; ``PartitionLog`` keeps one and persists it as `leader-epoch-checkpoint`
/// (``encoded()``, ``init(parsing:)``) whenever it changes.
public struct LeaderEpochCache: Hashable, Sendable {
    public struct Entry: Hashable, Sendable, CustomStringConvertible {
        public var epoch: Int32
        public var startOffset: Int64

        public init(epoch: Int32, startOffset: Int64) {
            self.epoch = epoch
            self.startOffset = startOffset
        }

        public var description: String { "(\(epoch), \(startOffset))" }
    }

    /// OffsetForLeaderEpoch's answer when nothing is known (`UNDEFINED_EPOCH`, `UNDEFINED_EPOCH_OFFSET`).
    public static let undefinedEpoch: Int32 = -1
    public static let undefinedEpochOffset: Int64 = -1

    /// Ascending by epoch and by start offset.
    public private(set) var entries: [Entry] = []

    public init() {}

    /// The entries as ``assign(epoch:startOffset:)`` would leave them, given in this order (how Kafka
    /// loads its checkpoint file).
    public init(entries: [Entry]) {
        for entry in entries { assign(epoch: entry.epoch, startOffset: entry.startOffset) }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var earliestEntry: Entry? { entries.first }
    public var latestEntry: Entry? { entries.last }
    /// The newest epoch that has an entry.
    public var latestEpoch: Int32? { entries.last?.epoch }

    /// Records that `epoch` starts at `startOffset`, when that is news: the epoch differs from the
    /// latest one, or it is the latest but starts earlier. Entries from the end whose epoch is at least
    /// `epoch` or whose start offset is at least `startOffset` are dropped first, so an older epoch
    /// replaces the newer ones it conflicts with. A negative epoch or offset (a batch written without
    /// a leader epoch) is ignored. Returns whether the entries changed.
    @discardableResult
    public mutating func assign(epoch: Int32, startOffset: Int64) -> Bool {
        guard epoch >= 0, startOffset >= 0 else { return false }
        if let latest = entries.last, latest.epoch == epoch, startOffset >= latest.startOffset { return false }
        while let last = entries.last, last.epoch >= epoch || last.startOffset >= startOffset {
            entries.removeLast()
        }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// Kafka's `endOffsetFor`, what OffsetForLeaderEpoch answers: the largest epoch at or below
    /// `requestedEpoch` and where it ends, i.e. the start offset of the next higher epoch, or
    /// `logEndOffset` when `requestedEpoch` is the latest epoch. Below the earliest entry, the requested
    /// epoch itself with the earliest entry's start offset (its records are gone; the follower should
    /// replicate from there). ``undefinedEpoch``/``undefinedEpochOffset`` when `requestedEpoch` is
    /// undefined (-1), newer than every entry, or the cache is empty.
    public func endOffset(for requestedEpoch: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        let undefined = (Self.undefinedEpoch, Self.undefinedEpochOffset)
        guard requestedEpoch != Self.undefinedEpoch, let latest = entries.last else { return undefined }
        if latest.epoch == requestedEpoch { return (requestedEpoch, logEndOffset) }
        guard let higher = entries.firstIndex(where: { $0.epoch > requestedEpoch }) else { return undefined }
        guard higher > 0 else { return (requestedEpoch, entries[higher].startOffset) }
        return (entries[higher - 1].epoch, entries[higher].startOffset)
    }

    /// Drops the entries starting at or after `endOffset` (the log was truncated to end there). Returns
    /// whether the entries changed.
    @discardableResult
    public mutating func truncateFromEnd(_ endOffset: Int64) -> Bool {
        guard endOffset >= 0 else { return false }
        let count = entries.count
        while let last = entries.last, last.startOffset >= endOffset { entries.removeLast() }
        return entries.count != count
    }

    /// The log now starts at `startOffset`: the entry in force there starts there instead, older entries
    /// are dropped. An entry starting exactly at `startOffset` stays as it is. Returns whether the
    /// entries changed.
    @discardableResult
    public mutating func truncateFromStart(_ startOffset: Int64) -> Bool {
        guard let kept = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
        let moved = Entry(epoch: entries[kept].epoch, startOffset: startOffset)
        guard kept > 0 || entries[kept] != moved else { return false }
        entries.removeFirst(kept)
        entries[0] = moved
        return true
    }

    public mutating func removeAll() { entries.removeAll() }

    /// The epoch in force at `offset`: the entry starting at it, else the last one starting before it.
    /// Nil when `offset` lies before the earliest entry.
    public func epoch(forOffset offset: Int64) -> Int32? {
        entries.last { $0.startOffset <= offset }?.epoch
    }
}

extension LeaderEpochCache {
    /// Kafka's `leader-epoch-checkpoint` file: text lines, each ending in `\n`,
    ///
    ///     0                       version
    ///     <count>                 number of entries
    ///     <epoch> <startOffset>   one line per entry, ascending
    public func encoded() -> [UInt8] {
        var text = "0\n\(entries.count)\n"
        for entry in entries { text += "\(entry.epoch) \(entry.startOffset)\n" }
        return Array(text.utf8)
    }

    /// Reads the file format as Kafka does: an empty file, or one holding only the version, has no
    /// entries; the version must be 0; every line after the count must be two whitespace-separated
    /// numbers (an epoch and an offset, neither negative), and there must be as many as the count says.
    /// Nil otherwise. Entries are applied in order with ``assign(epoch:startOffset:)``.
    public init?(parsing bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        // Line ends as Java's readLine takes them: \n, \r\n (one Character in Swift) or \r.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let version = lines.first else {
            self.init()
            return
        }
        guard version == "0" else { return nil }
        guard lines.count > 1 else {
            self.init()
            return
        }
        guard let count = Int(lines[1]), count == lines.count - 2 else { return nil }
        var parsed: [Entry] = []
        for line in lines.dropFirst(2) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, let epoch = Int32(fields[0]), let offset = Int64(fields[1]), epoch >= 0, offset >= 0 else {
                return nil
            }
            parsed.append(Entry(epoch: epoch, startOffset: offset))
        }
        self.init(entries: parsed)
    }
}
