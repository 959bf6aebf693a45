/// A segment's sparse time index (Kafka's `.timeindex`): entries of 12 bytes, big-endian,
///
///     timestamp       int64  the largest batch maxTimestamp seen so far in the segment
///     relativeOffset  int32  the last offset of the batch that first reached that timestamp
///
/// Timestamps strictly increase and offsets never decrease, so ``lookup(timestamp:)`` (greatest entry
/// at or below a timestamp) gives an offset before which no batch reaches the timestamp. An entry is
/// added with each offset index entry when the timestamp grew, and once more when the segment stops
/// being active, so the last entry holds the segment's largest timestamp. Pure value.
public struct TimeIndex: Hashable, Sendable {
    public static let entrySize = 12

    public struct Entry: Hashable, Sendable {
        public var timestamp: Int64
        public var relativeOffset: Int32
    }

    public let baseOffset: Int64
    public let maxEntries: Int
    public private(set) var entries: [Entry] = []

    public init(baseOffset: Int64, maxEntries: Int) {
        self.baseOffset = baseOffset
        self.maxEntries = max(1, maxEntries)
    }

    public var isFull: Bool { entries.count >= maxEntries }

    /// The last entry as (timestamp, offset), or (-1, baseOffset) when empty.
    public var lastEntry: (timestamp: Int64, offset: Int64) {
        entries.last.map { ($0.timestamp, baseOffset + Int64($0.relativeOffset)) } ?? (-1, baseOffset)
    }

    /// The greatest entry whose timestamp is <= `timestamp`, or (-1, baseOffset) when there is none.
    public func lookup(timestamp: Int64) -> (timestamp: Int64, offset: Int64) {
        guard let slot = entries.lastIndex(atOrBelow: timestamp, key: \.timestamp) else { return (-1, baseOffset) }
        return (entries[slot].timestamp, baseOffset + Int64(entries[slot].relativeOffset))
    }

    /// Adds (timestamp, offset) when the timestamp is larger than the last one's, the offset not smaller,
    /// and there is room (unless `skipFullCheck`, used for the final entry). Returns whether it did.
    @discardableResult
    public mutating func maybeAppend(timestamp: Int64, offset: Int64, skipFullCheck: Bool = false) -> Bool {
        guard skipFullCheck || !isFull, offset >= baseOffset, offset - baseOffset <= Int64(Int32.max) else { return false }
        if let last = entries.last, timestamp <= last.timestamp || offset - baseOffset < Int64(last.relativeOffset) {
            return false
        }
        guard timestamp >= 0 else { return false }
        entries.append(Entry(timestamp: timestamp, relativeOffset: Int32(offset - baseOffset)))
        return true
    }

    /// Removes the entries whose offset is >= `offset`.
    public mutating func truncate(toOffset offset: Int64) {
        entries.removeAll { baseOffset + Int64($0.relativeOffset) >= offset }
    }

    public mutating func removeAll() { entries.removeAll() }

    public func encoded(from index: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity((entries.count - index) * Self.entrySize)
        for entry in entries[index...] {
            bytes.appendBigEndian(entry.timestamp)
            bytes.appendBigEndian(entry.relativeOffset)
        }
        return bytes
    }

    /// Reads a time index file's bytes; nil when the length is not a multiple of 12, timestamps do not
    /// strictly increase, offsets decrease, or an offset lies before the base offset.
    public init?(decoding bytes: [UInt8], baseOffset: Int64, maxEntries: Int) {
        guard bytes.count % Self.entrySize == 0 else { return nil }
        self.init(baseOffset: baseOffset, maxEntries: max(maxEntries, bytes.count / Self.entrySize))
        var at = 0
        while at < bytes.count {
            let timestamp = bytes.readBigEndian(Int64.self, at: at)
            let relative = bytes.readBigEndian(Int32.self, at: at + 8)
            at += Self.entrySize
            guard relative >= 0, timestamp >= 0 else { return nil }
            if let last = entries.last, timestamp <= last.timestamp || relative < last.relativeOffset { return nil }
            entries.append(Entry(timestamp: timestamp, relativeOffset: relative))
        }
    }
}
